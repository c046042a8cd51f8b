import { ValidateBy, ValidationOptions, buildMessage } from 'class-validator';

/** True when `text` has no lone surrogate, i.e. it can be encoded as UTF-8 (every paired surrogate is one code point). */
export function isWellFormedText(text: string): boolean {
  return !/\p{Surrogate}/u.test(text);
}

/**
 * The field is a string of well-formed Unicode whose UTF-8 encoding is `min` to `max` bytes (a
 * limit like bcrypt's 72 bytes counts bytes, not characters). class-validator's `IsByteLength`
 * throws a URIError on a lone surrogate (validator.js measures with `encodeURI`), which rendered
 * as a 500; here such text is refused like any other bad value: with
 * `<field> must be well-formed Unicode text (no lone surrogates)`, else the given message.
 */
export function Utf8ByteLength(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'utf8ByteLength',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || !isWellFormedText(value)) return false;
          const bytes = Buffer.byteLength(value, 'utf8');
          return bytes >= min && bytes <= max;
        },
        defaultMessage: (args) => {
          if (typeof args?.value === 'string' && !isWellFormedText(args.value)) return `${args.property} must be well-formed Unicode text (no lone surrogates)`;
          if (typeof options?.message === 'string') return options.message;
          return buildMessage((prefix) => `${prefix}$property must be ${min} to ${max} bytes in UTF-8`)(args!);
        },
      },
    },
    { ...options, message: undefined },
  );
}
