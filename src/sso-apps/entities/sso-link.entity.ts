import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A user an SSO app may sign in: made when the app creates the user on first login, or by an
 * admin (`POST .../token/link`). `subject` is the user name the app's JWT carries (through
 * `fieldmap.username`), unique per app and compared exactly (binary collation on MySQL).
 * Deleting the app deletes its links.
 */
@Entity('sso_links')
@Index('uq_sso_links_app_subject', ['appId', 'subject'], { unique: true })
export class SsoLinkEntity {
  @PrimaryGeneratedColumn()
  id: number;

  /** sso_apps.id */
  @Column({ name: 'app_id', type: 'integer' })
  appId: number;

  @Column({ type: 'varchar', length: 64 })
  subject: string;

  /** users.id */
  @Column({ name: 'user_id', type: 'integer' })
  userId: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;
}
