import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, Min } from 'class-validator';
import { MAX_BATCH_IDS, parseFieldList, parseIdList } from '../token-fields';
import { TokenFieldsDto } from './token-fields.dto';

/** The fields `PUT /api/token/batch` may change (seed 001's `update_fields`). */
export const BATCH_UPDATE_FIELDS = [
  'group',
  'expired_time',
  'remain_quota',
  'unlimited_quota',
  'model_limits',
  'model_limits_enabled',
  'allow_ips',
  'mj_image_mode',
  'mj_custom_proxy',
] as const;
export type BatchUpdateField = (typeof BATCH_UPDATE_FIELDS)[number];

const IDS_MESSAGE = `ids must be an array of token ids or a comma-separated string ("873,869"), 1 to ${MAX_BATCH_IDS} of them`;

/** `POST /api/token/batch` body (seed 002): the ids to delete. */
export class BatchDeleteTokensDto {
  @ApiProperty({ example: [1, 2, 3], type: 'integer', isArray: true, description: `token ids (array or "1,2,3"), 1 to ${MAX_BATCH_IDS}` })
  @Transform(({ value }) => parseIdList(value))
  @IsArray({ message: IDS_MESSAGE })
  @ArrayMinSize(1, { message: IDS_MESSAGE })
  @ArrayMaxSize(MAX_BATCH_IDS, { message: IDS_MESSAGE })
  @IsInt({ each: true, message: IDS_MESSAGE })
  @Min(1, { each: true, message: IDS_MESSAGE })
  ids: number[];
}

/** Most ids one `POST /api/token/batch/keys` takes (new-api's `GetTokenKeysBatch`). */
export const MAX_REVEAL_IDS = 100;
const REVEAL_IDS_MESSAGE = `ids must be an array of token ids or a comma-separated string, 1 to ${MAX_REVEAL_IDS} of them`;

/** `POST /api/token/batch/keys` body (new-api): the ids of the tokens whose keys to reveal. */
export class BatchRevealKeysDto {
  @ApiProperty({ example: [1, 2, 3], type: 'integer', isArray: true, description: `token ids (array or "1,2,3"), 1 to ${MAX_REVEAL_IDS}` })
  @Transform(({ value }) => parseIdList(value))
  @IsArray({ message: REVEAL_IDS_MESSAGE })
  @ArrayMinSize(1, { message: REVEAL_IDS_MESSAGE })
  @ArrayMaxSize(MAX_REVEAL_IDS, { message: REVEAL_IDS_MESSAGE })
  @IsInt({ each: true, message: REVEAL_IDS_MESSAGE })
  @Min(1, { each: true, message: REVEAL_IDS_MESSAGE })
  ids: number[];
}

/**
 * `PUT /api/token/batch` body (seed 001): `ids`, the new values, and `update_fields` naming which
 * of them apply; fields not named are ignored. Seed 001's example (comments removed) is accepted verbatim.
 */
export class BatchUpdateTokensDto extends TokenFieldsDto {
  @ApiProperty({ example: [873, 869], type: 'integer', isArray: true, description: `token ids (array or "873,869"), 1 to ${MAX_BATCH_IDS}` })
  @Transform(({ value }) => parseIdList(value))
  @IsArray({ message: IDS_MESSAGE })
  @ArrayMinSize(1, { message: IDS_MESSAGE })
  @ArrayMaxSize(MAX_BATCH_IDS, { message: IDS_MESSAGE })
  @IsInt({ each: true, message: IDS_MESSAGE })
  @Min(1, { each: true, message: IDS_MESSAGE })
  ids: number[];

  @ApiProperty({
    example: ['group', 'expired_time', 'remain_quota', 'unlimited_quota', 'model_limits', 'allow_ips', 'mj_image_mode', 'mj_custom_proxy'],
    description: 'names of the fields to change (array, comma-separated string, or an object whose keys are the names)',
    isArray: true,
    enum: BATCH_UPDATE_FIELDS,
  })
  @Transform(({ value }) => parseFieldList(value))
  @IsArray({ message: 'update_fields must name at least one field' })
  @ArrayMinSize(1, { message: 'update_fields must name at least one field' })
  @IsIn(BATCH_UPDATE_FIELDS, { each: true, message: `update_fields entries must be among: ${BATCH_UPDATE_FIELDS.join(', ')}` })
  update_fields: BatchUpdateField[];
}
