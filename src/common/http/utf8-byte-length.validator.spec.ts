import { validateSync } from 'class-validator';
import { isWellFormedText, Utf8ByteLength } from './utf8-byte-length.validator';

class Body {
  @Utf8ByteLength(1, 8, { message: 'secret must be 1 to 8 bytes' })
  secret: unknown;
}

function messages(secret: unknown): string[] {
  const body = Object.assign(new Body(), { secret });
  return validateSync(body).flatMap((error) => Object.values(error.constraints ?? {}));
}

describe('Utf8ByteLength', () => {
  it('counts UTF-8 bytes, not characters', () => {
    expect(messages('12345678')).toEqual([]);
    expect(messages('ééé')).toEqual([]); // 6 bytes
    expect(messages('éééé€')).toEqual(['secret must be 1 to 8 bytes']); // 11 bytes
    expect(messages('')).toEqual(['secret must be 1 to 8 bytes']);
  });

  it('refuses lone surrogates, naming the field, and takes a pair as one code point', () => {
    expect(messages('\ud800')).toEqual(['secret must be well-formed Unicode text (no lone surrogates)']);
    expect(messages('a\udfffb')).toEqual(['secret must be well-formed Unicode text (no lone surrogates)']);
    expect(messages('💸')).toEqual([]); // \ud83d\udcb8: 4 bytes
  });

  it('refuses what is not a string with the given message', () => {
    expect(messages(12345)).toEqual(['secret must be 1 to 8 bytes']);
  });

  it('isWellFormedText: false only for an unpaired surrogate', () => {
    expect([isWellFormedText('ok 💸'), isWellFormedText('\udc00\ud800'), isWellFormedText('\ud83d')]).toEqual([true, false, false]);
  });
});
