import { UserEntity } from '../users/entities/user.entity';

/** Every TypeORM entity, for the app and the CLI. Each domain module adds its own here. */
export const ENTITIES = [UserEntity];
