import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

const MAX_ID = 2_147_483_647;

/**
 * A path `:id`: digits only (no sign, space or exponent), 1 to 2^31-1, as a number.
 * @throws BadRequestException (400) `id must be a positive integer`
 */
@Injectable()
export class IdParamPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const id = /^\d{1,10}$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(id) || id < 1 || id > MAX_ID) throw new BadRequestException('id must be a positive integer');
    return id;
  }
}
