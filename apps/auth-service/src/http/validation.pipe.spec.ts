import { describe, expect, it } from '@jest/globals';
import { LoginDto } from '../auth/auth.dto.js';
import { AuthError } from '../errors/auth-error.js';
import { StrictValidationPipe } from './validation.pipe.js';

const pipe = new StrictValidationPipe();
const asBody = { type: 'body' as const, metatype: LoginDto, data: '' };

const nested = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
};

const outcome = (value: unknown): Promise<unknown> =>
  pipe.transform(value, asBody).then(
    (v) => ({ accepted: v }),
    (err: unknown) => (err instanceof AuthError ? { code: err.code, message: err.message } : err),
  );

describe('StrictValidationPipe', () => {
  it('accepts a valid body', async () => {
    expect(await outcome({ username: 'alice', password: 'secret' })).toMatchObject({
      accepted: { username: 'alice', password: 'secret' },
    });
  });

  // Found by the REST fuzzer: class-transformer overflowed the stack on such a body (a 500).
  it.each([17, 5_000, 100_000])(
    'refuses a body nested %i levels deep with VALIDATION_FAILED',
    async (levels) => {
      expect(await outcome({ username: 'a', password: 'b', extra: nested(levels) })).toEqual({
        code: 'VALIDATION_FAILED',
        message: 'The request body is nested too deeply.',
      });
    },
  );

  it('still lists the fields of a shallow body with unknown fields', async () => {
    expect(await outcome({ username: 'a', password: 'b', extra: nested(5) })).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'Invalid request body: extra.',
    });
  });
});
