import { ApiProperty } from '@nestjs/swagger';

/**
 * new-api's envelope for every `/api/*` answer (seed 002): `{success, message, data}`.
 * Errors use the same shape with `success: false` and a real HTTP status.
 */
export class ApiEnvelope<T> {
  @ApiProperty({ example: true })
  success: boolean;

  @ApiProperty({ example: '' })
  message: string;

  data?: T;
}

/** `{success: true, message: '', data}` for an `/api/*` route. */
export function ok<T>(data: T, message = ''): ApiEnvelope<T> {
  return { success: true, message, data };
}
