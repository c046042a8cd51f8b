import { toInt } from './int-transform';

describe('toInt', () => {
  it('turns digit strings into numbers and leaves the rest for the validator', () => {
    expect(toInt({ value: '20' })).toBe(20);
    expect(toInt({ value: ' -1 ' })).toBe(-1);
    expect(toInt({ value: 7 })).toBe(7);
    expect(toInt({ value: 'zero' })).toBe('zero');
    expect(toInt({ value: '1.5' })).toBe('1.5');
  });

  it('treats missing and empty values as absent, so defaults apply', () => {
    expect(toInt({ value: undefined })).toBeUndefined();
    expect(toInt({ value: '' })).toBeUndefined();
    expect(toInt({ value: '  ' })).toBeUndefined();
  });
});
