import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { jsonText } from '../../users/entities/json-text.transformer';

/** The JWT algorithms an app may pin (seed 004 names HS256, HS384, HS512 "etc."). */
export const SSO_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'] as const;
export type SsoAlgorithm = (typeof SSO_ALGORITHMS)[number];

/** seed 004's `fieldmap`: which JWT claim holds each user field. */
export interface SsoFieldMap {
  username: string;
  name?: string;
  email?: string;
}

/**
 * An SSO token app of seed 004: an external system signs a JWT for a user with `secret`
 * (HS*: shared key; RS* or ES*: the issuer's key pair, whose public SPKI is stored here).
 * The secret is stored only AES-256-GCM encrypted (`secret_ciphertext`), `initpwd` only as a bcrypt hash.
 */
@Entity('sso_apps')
@Index('uq_sso_apps_name', ['name'], { unique: true })
export class SsoAppEntity {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  /** The URL query parameter carrying the JWT. */
  @Column({ name: 'token_name', type: 'varchar', length: 64 })
  tokenName: string;

  @Column({ type: 'varchar', length: 8 })
  algorithm: SsoAlgorithm;

  @Column({ name: 'secret_ciphertext', type: 'text' })
  secretCiphertext: string;

  /** Maximum token age and lifetime, in seconds. */
  @Column({ type: 'integer' })
  expire: number;

  @Column({ type: 'text', transformer: jsonText<SsoFieldMap>(() => ({ username: 'username' })) })
  fieldmap: SsoFieldMap;

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** Create unknown users on first login. */
  @Column({ name: 'init_user', type: 'boolean', default: false })
  initUser: boolean;

  @Column({ name: 'init_roles', type: 'text', transformer: jsonText<string[]>(() => []) })
  initRoles: string[];

  @Column({ name: 'initpwd_hash', type: 'varchar', length: 100, nullable: true })
  initpwdHash: string | null;

  /** Set by `allow_admin_roles=1`: `Administrator` in initroles, and SSO into admin accounts, are allowed. */
  @Column({ name: 'allow_admin_roles', type: 'boolean', default: false })
  allowAdminRoles: boolean;

  @Column({ type: 'varchar', length: 255, nullable: true })
  issuer: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  audience: string | null;

  /** Seconds of clock skew allowed on exp/nbf/iat. */
  @Column({ name: 'clock_tolerance', type: 'integer', default: 60 })
  clockTolerance: number;

  @Column({ name: 'creator_id', type: 'integer' })
  creatorId: number;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt: Date;
}
