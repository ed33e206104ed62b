import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { AuthError, type FieldError } from '../errors/auth-error.js';

function flatten(errors: readonly ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/**
 * Strict body validation: a body must be a JSON object, and unknown fields or wrong types are a
 * 400 that lists the fields.
 */
export class StrictValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      exceptionFactory: (errors) => {
        const fields = flatten(errors);
        const names = [...new Set(fields.map((f) => f.field))].join(', ');
        return new AuthError('VALIDATION_FAILED', `Invalid request body: ${names}.`, fields);
      },
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      metadata.type === 'body' &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw new AuthError('VALIDATION_FAILED', 'The request body must be a JSON object.');
    }
    return super.transform(value, metadata);
  }
}
