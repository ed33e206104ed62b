import { createHash } from 'node:crypto';

/** A confidential OAuth client for the suites, and the auth-service setting that declares it. */
export const SERVICE_CLIENT = { id: 'orders-service', secret: 'e2e-only-secret-5f3a9c1d7b2e' };

export const OAUTH_CLIENTS_ENV = JSON.stringify([
  {
    client_id: SERVICE_CLIENT.id,
    client_secret_sha256: createHash('sha256').update(SERVICE_CLIENT.secret).digest('base64url'),
  },
]);

export const basicAuth = (id: string, secret: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});

export const form = (fields: Record<string, string>): string =>
  new URLSearchParams(fields).toString();

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
