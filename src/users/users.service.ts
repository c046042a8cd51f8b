import { ConflictException, ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AccessTokenResolver } from '../common/auth/access-token.resolver';
import { Principal, Role } from '../common/auth/principal';
import { InvalidationBus } from '../common/cache/invalidation-bus';
import { CryptoService } from '../common/crypto/crypto.service';
import { isUniqueViolation } from '../database/unique-violation';
import { CreateUserDto } from './dto/create-user.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { toUserResponse, UserResponseDto, userTokenHint } from './dto/user-response.dto';
import { UserEntity } from './entities/user.entity';

/** The root user's fixed id and name (seed 003). */
export const ROOT_USER = { id: 1, name: 'root' } as const;

/**
 * Users of seed 003 and their access tokens (UUID v4, stored as HMAC-SHA-256 + masked hint).
 * Also the {@link AccessTokenResolver} behind the global guard.
 */
@Injectable()
export class UsersService extends AccessTokenResolver {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly crypto: CryptoService,
    private readonly bus: InvalidationBus,
  ) {
    super();
  }

  /**
   * Resolves a user access token to its live (not deleted) user; constant-time hash comparison.
   * @returns undefined for unknown, reset or deleted tokens.
   */
  async resolve(token: string): Promise<Principal | undefined> {
    if (token.length > 512) return undefined;
    const hash = this.crypto.hash(token);
    const user = await this.users.findOne({ where: { tokenHash: hash, isDelete: false } });
    if (!user?.tokenHash || !this.crypto.hashesEqual(user.tokenHash, hash)) return undefined;
    return { userId: user.id, name: user.name, role: user.role, via: 'user_token' };
  }

  /**
   * `POST /1/users/init`: creates root (id 1, role 100) and returns it with its clear token.
   * @throws ForbiddenException (403) when any user exists already; nothing changes.
   */
  async initRoot(): Promise<UserResponseDto> {
    if ((await this.users.count()) > 0) throw new ForbiddenException('already initialized: the root user exists');
    try {
      return await this.insertUser(ROOT_USER.name, Role.Root, ROOT_USER.id);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ForbiddenException('already initialized: the root user exists');
      throw error;
    }
  }

  /** The caller's own user (token masked). @throws NotFoundException when it vanished. */
  async me(principal: Principal): Promise<UserResponseDto> {
    return toUserResponse(await this.findLive(principal.userId));
  }

  /** All users, deleted ones included with `IsDelete: true`, by id. Tokens masked. */
  async list(): Promise<UserResponseDto[]> {
    const all = await this.users.find({ order: { id: 'ASC' } });
    return all.map((u) => toUserResponse(u));
  }

  /**
   * `POST /1/users`: a common user with a fresh token, shown once.
   * @throws ConflictException (409) when the name is taken (also by a deleted user).
   */
  async create(dto: CreateUserDto): Promise<UserResponseDto> {
    const name = dto.name.trim();
    await this.assertNameFree(name);
    try {
      return await this.insertUser(name, Role.Common);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException(`name "${name}" is already taken`);
      throw error;
    }
  }

  /**
   * Renames a user, or (root only) changes its role between common (1) and admin (10).
   * @throws NotFoundException (404), ForbiddenException (403) for role changes by non-root or on root,
   *   ConflictException (409) for a taken name.
   */
  async update(actor: Principal, id: number, dto: UpdateUserDto): Promise<UserResponseDto> {
    const user = await this.findLive(id);
    this.assertMayManage(actor, user);
    if (dto.role !== undefined && dto.role !== user.role) {
      if (actor.role !== Role.Root) throw new ForbiddenException('only root can change roles');
      if (user.role === Role.Root) throw new ForbiddenException('the root user keeps its role');
      user.role = dto.role;
    }
    if (dto.name !== undefined && dto.name.trim() !== user.name) {
      await this.assertNameFree(dto.name.trim());
      user.name = dto.name.trim();
    }
    user.updatedAt = new Date();
    try {
      await this.users.save(user);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException(`name "${dto.name}" is already taken`);
      throw error;
    }
    this.bus.publish({ topic: 'user', id: user.id });
    return toUserResponse(user);
  }

  /**
   * Soft-deletes a user: its access token stops working at once (hash cleared), its API tokens too.
   * @throws NotFoundException (404), ForbiddenException (403) for root, oneself, or a peer/higher role.
   */
  async remove(actor: Principal, id: number): Promise<void> {
    const user = await this.findLive(id);
    if (user.role === Role.Root) throw new ForbiddenException('the root user cannot be deleted');
    if (user.id === actor.userId) throw new ForbiddenException('you cannot delete yourself');
    this.assertMayManage(actor, user);
    await this.users.update({ id: user.id }, { isDelete: true, tokenHash: null, updatedAt: new Date() });
    this.bus.publish({ topic: 'user', id: user.id });
  }

  /**
   * Issues a new access token; the old one stops working at once. Returns the new one in full.
   * @throws NotFoundException (404), ForbiddenException (403) for a peer/higher role.
   */
  async resetToken(actor: Principal, id: number): Promise<UserResponseDto> {
    const user = await this.findLive(id);
    this.assertMayManage(actor, user);
    const token = this.crypto.randomUuid();
    user.tokenHash = this.crypto.hash(token);
    user.tokenHint = userTokenHint(token);
    user.updatedAt = new Date();
    await this.users.save(user);
    this.bus.publish({ topic: 'user', id: user.id });
    return toUserResponse(user, token);
  }

  /** A live user by id. @throws NotFoundException (404) for unknown or deleted ids. */
  async findLive(id: number): Promise<UserEntity> {
    const user = await this.users.findOne({ where: { id, isDelete: false } });
    if (!user) throw new NotFoundException(`user ${id} not found`);
    return user;
  }

  /** Root manages everyone; an admin manages common users and itself. */
  private assertMayManage(actor: Principal, target: UserEntity): void {
    if (actor.role === Role.Root || actor.userId === target.id) return;
    if (target.role >= actor.role) throw new ForbiddenException('only root can manage admins and root');
  }

  private async assertNameFree(name: string): Promise<void> {
    if (await this.users.exists({ where: { name } })) throw new ConflictException(`name "${name}" is already taken`);
  }

  private async insertUser(name: string, role: Role, id?: number): Promise<UserResponseDto> {
    const token = this.crypto.randomUuid();
    const now = new Date();
    const user = this.users.create({
      ...(id ? { id } : {}),
      name,
      role,
      tokenHash: this.crypto.hash(token),
      tokenHint: userTokenHint(token),
      isDelete: false,
      createdAt: now,
      updatedAt: now,
    });
    await this.users.insert(user);
    return toUserResponse(user, token);
  }
}
