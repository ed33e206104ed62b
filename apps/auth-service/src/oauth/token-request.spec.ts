import { describe, expect, it } from '@jest/globals';
import type { HttpException } from '@nestjs/common';
import { parseTokenRequest } from './token-request.js';

/** The RFC 6749 `error` a body is refused with. */
function refusal(body: unknown): string | undefined {
  try {
    parseTokenRequest(body);
    return undefined;
  } catch (err) {
    return ((err as HttpException).getResponse() as { error: string }).error;
  }
}

describe('parseTokenRequest (RFC 6749 sections 3.2, 4.1.3, 4.4.2, 6)', () => {
  it('reads each grant, its client fields apart, ignoring unknown parameters', () => {
    expect(
      parseTokenRequest({
        grant_type: 'authorization_code',
        code: 'c',
        redirect_uri: 'https://app.example/cb',
        code_verifier: 'v',
        client_id: 'app',
        resource: 'ignored',
      }),
    ).toEqual({
      grant_type: 'authorization_code',
      code: 'c',
      redirect_uri: 'https://app.example/cb',
      code_verifier: 'v',
      client_id: 'app',
      client_secret: undefined,
    });
    expect(parseTokenRequest({ grant_type: 'refresh_token', refresh_token: 'rt_1' })).toMatchObject(
      {
        refresh_token: 'rt_1',
        scope: undefined,
      },
    );
    expect(
      parseTokenRequest({ grant_type: 'client_credentials', scope: 'a  b a', client_secret: '' }),
    ).toEqual({
      grant_type: 'client_credentials',
      scope: ['a', 'b'],
      client_id: undefined,
      client_secret: undefined,
    });
  });

  it.each([
    ['no grant type', {}, 'invalid_request'],
    ['an empty grant type', { grant_type: '' }, 'invalid_request'],
    ['an unknown grant type', { grant_type: 'password' }, 'unsupported_grant_type'],
    ['the implicit grant', { grant_type: 'implicit' }, 'unsupported_grant_type'],
    [
      'a code without verifier',
      { grant_type: 'authorization_code', code: 'c', redirect_uri: 'x' },
      'invalid_request',
    ],
    ['a refresh without token', { grant_type: 'refresh_token' }, 'invalid_request'],
    [
      'a parameter sent twice',
      { grant_type: 'client_credentials', scope: ['a', 'b'] },
      'invalid_request',
    ],
    [
      'a nested parameter',
      { grant_type: 'client_credentials', client_id: { a: 1 } },
      'invalid_request',
    ],
    ['a malformed scope', { grant_type: 'client_credentials', scope: 'a "b"' }, 'invalid_request'],
    [
      'a too long token',
      { grant_type: 'refresh_token', refresh_token: 'r'.repeat(513) },
      'invalid_request',
    ],
    ['not an object', 'grant_type=client_credentials', 'invalid_request'],
    ['an array', [{ grant_type: 'client_credentials' }], 'invalid_request'],
  ])('refuses %s', (_case, body, error) => {
    expect(refusal(body)).toBe(error);
  });
});
