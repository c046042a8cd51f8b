import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';

function flatten(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) =>
      m.startsWith(`${e.property} `) ? `${path}${m.slice(e.property.length)}` : `${path}: ${m}`,
    );
    return [...own.slice(0, 1), ...flatten(e.children ?? [], path)];
  });
}

/**
 * `@IsOptional()` lets `null` through to the service, where a `.trim()` or an encryption of it
 * would be a 500. No Tollgate field takes `null`, so a declared body field sent as `null` is a
 * 400 naming it (unknown fields are stripped as usual, whatever their value).
 */
class TollgateValidationPipe extends ValidationPipe {
  private readonly declared = new WeakMap<object, Set<string>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Path parameters are left to their own pipes (IdParamPipe): the primitive conversion here
    // would turn `+1`, `1e0` or `1 ` into 1 before a strict check could see them.
    if (metadata.type === 'param') return value;
    if (metadata.type === 'body' && metadata.metatype && value && typeof value === 'object' && !Array.isArray(value)) {
      const fields = this.fieldsOf(metadata.metatype);
      const nulls = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] === null && fields.has(key));
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
