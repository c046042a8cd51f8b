import { assertBodyDepth, BodyTooDeepError, MAX_BODY_DEPTH } from './body-depth';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('assertBodyDepth', () => {
  it(`passes ${MAX_BODY_DEPTH} levels and refuses ${MAX_BODY_DEPTH + 1}, arrays and objects alike`, () => {
    expect(() => assertBodyDepth(bytes(nested(MAX_BODY_DEPTH)))).not.toThrow();
    expect(() => assertBodyDepth(bytes(nested(MAX_BODY_DEPTH + 1)))).toThrow(BodyTooDeepError);
    const objects = (depth: number) => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
    expect(() => assertBodyDepth(bytes(objects(MAX_BODY_DEPTH)))).not.toThrow();
    expect(() => assertBodyDepth(bytes(objects(MAX_BODY_DEPTH + 1)))).toThrow(BodyTooDeepError);
  });

  it('counts depth, not brackets: many siblings pass', () => {
    expect(() => assertBodyDepth(bytes(JSON.stringify(Array.from({ length: 10_000 }, () => [{ a: [1] }]))))).not.toThrow();
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(() => assertBodyDepth(bytes(JSON.stringify({ text: '['.repeat(1000), other: `\\"${'{'.repeat(1000)}` })))).not.toThrow();
    expect(() => assertBodyDepth(bytes(`["\\\\", ${nested(MAX_BODY_DEPTH)}]`))).toThrow(BodyTooDeepError);
  });

  it('reads multibyte UTF-8 and decoded strings alike', () => {
    const text = JSON.stringify({ name: '你好 👋 "[[[' }).replace('}', `,"x":${nested(MAX_BODY_DEPTH)}}`);
    expect(() => assertBodyDepth(bytes(text))).toThrow(BodyTooDeepError);
    expect(() => assertBodyDepth(text)).toThrow(BodyTooDeepError);
    expect(() => assertBodyDepth(JSON.stringify({ name: '你好 👋 "[[[' }))).not.toThrow();
  });

  it('refuses a deep body that is not valid JSON too (the parser judges validity afterwards)', () => {
    expect(() => assertBodyDepth(bytes('['.repeat(MAX_BODY_DEPTH + 1)))).toThrow(BodyTooDeepError);
  });
});
