import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';

const NULLABLE = Symbol('tollgate:nullable');

/**
 * Marks a body field for which `null` means something (e.g. a user's `quota: null` = unlimited):
 * the global pipe lets it through (add `@ValidateIf((o) => o.field !== null)` to its checks).
 */
export function NullMeansSomething(): PropertyDecorator {
  return (target, property) => {
    const owner = target.constructor as unknown as Record<symbol, Set<string | symbol> | undefined>;
    owner[NULLABLE] = new Set([...(owner[NULLABLE] ?? []), property]);
  };
}

/**
 * The one message shown for a property: the failing check declared first (topmost). DTOs declare
 * the type check above the range and format checks (`@IsInt()` above `@Max()`, `@IsArray()` above
 * `@ArrayMinSize()`), so `p=abc` reads "p must be an integer", not "p must be at most 100000".
 * class-validator lists a property's failures bottom decorator first, nested validation last.
 */
function firstDeclaredFailure(constraints: Record<string, string>): string | undefined {
  const entries = Object.entries(constraints);
  const own = entries.filter(([name]) => name !== 'nestedValidation').reverse();
  return [...own, ...entries.filter(([name]) => name === 'nestedValidation')][0]?.[1];
}

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const message = firstDeclaredFailure(e.constraints ?? {});
    const own = message === undefined ? [] : [message.startsWith(`${e.property} `) ? `${path}${message.slice(e.property.length)}` : `${path}: ${message}`];
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/**
 * `@IsOptional()` lets `null` through to the service, where a `.trim()` or an encryption of it
 * would be a 500. So a declared body field sent as `null` is a 400 naming it, unless it is marked
 * {@link NullMeansSomething} (unknown fields are stripped as usual, whatever their value).
 */
class TollgateValidationPipe extends ValidationPipe {
  private readonly declared = new WeakMap<object, Set<string>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Path parameters are left to their own pipes (IdParamPipe): the primitive conversion here
    // would turn `+1`, `1e0` or `1 ` into 1 before a strict check could see them.
    if (metadata.type === 'param') return value;
    if (metadata.type === 'body' && metadata.metatype && value && typeof value === 'object' && !Array.isArray(value)) {
      const fields = this.fieldsOf(metadata.metatype);
      const nullable = (metadata.metatype as unknown as Record<symbol, Set<string> | undefined>)[NULLABLE];
      const nulls = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] === null && fields.has(key) && !nullable?.has(key));
      if (nulls.length > 0) throw new BadRequestException(nulls.map((key) => `${key} must not be null`).join('; '));
    }
    return super.transform(value, metadata);
  }

  private fieldsOf(metatype: object): Set<string> {
    let fields = this.declared.get(metatype);
    if (!fields) {
      const metadatas = getMetadataStorage().getTargetValidationMetadatas(metatype as new () => object, '', true, false);
      fields = new Set(metadatas.map((m) => m.propertyName));
      this.declared.set(metatype, fields);
    }
    return fields;
  }
}

/**
 * The global validation pipe: transforms to DTO classes, strips unknown fields (the seeds'
 * examples carry extras), and answers 400 with every bad field named: `name must be ...; remain_quota must be ...`.
 */
export function createValidationPipe(): ValidationPipe {
  return new TollgateValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: false,
    exceptionFactory: (errors) => new BadRequestException(flatten(errors).join('; ') || 'invalid request'),
  });
}
