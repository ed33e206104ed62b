import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { AuthError, type FieldError } from '../errors/auth-error.js';

function flatten(errors: readonly ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Strict body validation: unknown fields and wrong types are a 400 that lists the fields. */
export function strictValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return new AuthError(
        'VALIDATION_FAILED',
        `Invalid request body: ${[...new Set(fields.map((f) => f.field))].join(', ') || 'body'}.`,
        fields,
      );
    },
  });
}
