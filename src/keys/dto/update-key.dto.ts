import { ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { KeyStatus } from '../entities/key.entity';
import { CreateKeyDto } from './create-key.dto';

/** `PATCH /1/keys/:id`: any field of {@link CreateKeyDto}, plus `status` 1 (enable) or 2 (disable). */
export class UpdateKeyDto extends PartialType(CreateKeyDto) {
  /** 1 enabled, 2 disabled by an admin (3 is set only by the relay). Enabling clears `last_error`. */
  @ApiPropertyOptional({ example: 2, enum: [KeyStatus.Enabled, KeyStatus.DisabledByAdmin], type: 'integer' })
  @IsOptional()
  @IsIn([KeyStatus.Enabled, KeyStatus.DisabledByAdmin], { message: 'status must be 1 (enabled) or 2 (disabled)' })
  status?: KeyStatus;
}
