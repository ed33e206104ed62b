import { createHash } from 'node:crypto';

/**
 * A confidential OAuth client for the suites, and the auth-service setting that declares it: the
 * orders sample's introspection client, a resource server for the services' audience.
 */
export const SERVICE_CLIENT = {
  id: 'orders-service',
  secret: 'e2e-only-secret-5f3a9c1d7b2e',
  introspectAudiences: ['tokenfence-services'],
};

/** A confidential client that signs users in: it authenticates at login and at refresh. */
export const CONF_CLIENT = {
  id: 'conf-app',
  secret: 'e2e-only-secret-conf-8d41b07e',
  allowedScopes: ['profile', 'orders:read'],
};

/** A public client that may be issued two scopes only. */
export const SHOP_CLIENT = { id: 'shop-app', allowedScopes: ['profile', 'orders:read'] };

export const OAUTH_CLIENTS_ENV = JSON.stringify([
  {
    client_id: SERVICE_CLIENT.id,
    client_secret_sha256: createHash('sha256').update(SERVICE_CLIENT.secret).digest('base64url'),
    introspect_audiences: SERVICE_CLIENT.introspectAudiences,
  },
  {
    client_id: CONF_CLIENT.id,
    client_secret_sha256: createHash('sha256').update(CONF_CLIENT.secret).digest('base64url'),
    allowed_scopes: CONF_CLIENT.allowedScopes,
  },
  { client_id: SHOP_CLIENT.id, allowed_scopes: SHOP_CLIENT.allowedScopes },
]);

export const basicAuth = (id: string, secret: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
});

export const form = (fields: Record<string, string>): string =>
  new URLSearchParams(fields).toString();

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
