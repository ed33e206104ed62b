import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { AuthError, type FieldError } from '../errors/auth-error.js';

function flatten(errors: readonly ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** No request body has nested fields; deeper nesting than this is refused before transforming. */
const MAX_BODY_DEPTH = 16;

/** Whether `value` nests objects or arrays deeper than `max` levels (iterative: no recursion). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, depth] = next;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}

/**
 * Strict body validation: a body must be a JSON object of bounded depth, and unknown fields or
 * wrong types are a 400 that lists the fields.
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
    // class-transformer recurses once per level: a deeply nested body overflowed the stack (500).
    if (metadata.type === 'body' && nestedDeeperThan(value, MAX_BODY_DEPTH)) {
      throw new AuthError('VALIDATION_FAILED', 'The request body is nested too deeply.');
    }
    return super.transform(value, metadata);
  }
}
