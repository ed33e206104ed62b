import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { HttpException } from '@nestjs/common';
import type { AuthConfig } from '../config/auth-config.js';
import { ClientAuthenticator } from './client-authenticator.js';

const SECRET = 'a client secret';
const clients = new ClientAuthenticator({
  clients: [
    {
      clientId: 'svc',
      secretSha256: createHash('sha256').update(SECRET).digest('base64url'),
    },
  ],
} as unknown as AuthConfig);
const basic = (pair: string): string => `Basic ${Buffer.from(pair).toString('base64')}`;

/** The HTTP answer a call would give: status and RFC 6749 error, or the client. */
function answer(authorization: string): unknown {
  try {
    return clients.authenticate(authorization, {});
  } catch (err) {
    if (!(err instanceof HttpException)) throw err;
    return { status: err.getStatus(), error: (err.getResponse() as { error: string }).error };
  }
}

describe('ClientAuthenticator', () => {
  it('accepts form-encoded Basic credentials', () => {
    expect(answer(basic(`svc:${encodeURIComponent(SECRET)}`))).toEqual({
      clientId: 'svc',
      confidential: true,
    });
  });

  // Found by the REST fuzzer: decodeURIComponent threw a URIError, answered as a 500.
  it.each(['%:x', 'svc:%zz', 'svc:%E0%A4%A', '%ff:secret'])(
    'refuses malformed percent-encoding (%s) with 401 invalid_client',
    (pair) => {
      expect(answer(basic(pair))).toEqual({ status: 401, error: 'invalid_client' });
    },
  );
});
