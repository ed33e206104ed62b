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
      introspectAudiences: [],
    },
    { clientId: 'app', secretSha256: undefined, introspectAudiences: [] },
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
      introspectAudiences: [],
    });
  });

  // Found by the REST fuzzer: decodeURIComponent threw a URIError, answered as a 500.
  it.each(['%:x', 'svc:%zz', 'svc:%E0%A4%A', '%ff:secret'])(
    'refuses malformed percent-encoding (%s) with 401 invalid_client',
    (pair) => {
      expect(answer(basic(pair))).toEqual({ status: 401, error: 'invalid_client' });
    },
  );

  describe('a grant issued to a client (RFC 6749 section 6)', () => {
    const refusal = (presented: Parameters<typeof clients.refusalForGrant>[0], owner: string) => {
      const err = clients.refusalForGrant(presented, owner);
      return (
        err && { status: err.getStatus(), error: (err.getResponse() as { error: string }).error }
      );
    };
    const svc = clients.authenticateIfPresented(basic(`svc:${encodeURIComponent(SECRET)}`), {});
    const app = clients.authenticateIfPresented(undefined, { client_id: 'app' });

    it('needs no credentials for a public client, and no credentials is not an error', () => {
      expect(clients.authenticateIfPresented(undefined, {})).toBeUndefined();
      expect(refusal(undefined, 'app')).toBeUndefined();
      expect(refusal(app, 'app')).toBeUndefined();
    });

    it('needs the confidential client itself, authenticated', () => {
      expect(refusal(svc, 'svc')).toBeUndefined();
      expect(refusal(undefined, 'svc')).toEqual({ status: 401, error: 'invalid_client' });
    });

    it("refuses another client's grant with 400 invalid_grant", () => {
      expect(refusal(app, 'svc')).toEqual({ status: 400, error: 'invalid_grant' });
      expect(refusal(svc, 'app')).toEqual({ status: 400, error: 'invalid_grant' });
    });

    it('refuses bad credentials whatever the grant', () => {
      expect(() => clients.authenticateIfPresented(undefined, { client_id: 'svc' })).toThrow(
        'Unknown client or wrong secret.',
      );
      expect(() => clients.authenticateIfPresented('Bearer x', {})).toThrow(
        'Use exactly one client authentication method.',
      );
    });
  });
});
