import fc from 'fast-check';
import { bodies } from './bodies.js';
import { garbageAuthorization, holderAuthorization } from './credentials.js';
import type { Endpoint, KnownValues } from './endpoints.js';
import { CLIENT_BASIC, type FuzzRequest } from './request.js';
import { headerText, pathSegment, queryString } from './values.js';

/** Who the generated requests come from. */
export type Caller = 'anonymous' | 'user' | 'admin' | 'client';

/** The callers each kind of endpoint is fuzzed as. */
export const callersOf = (endpoint: Endpoint): readonly Caller[] => {
  switch (endpoint.access) {
    case 'public':
      return ['anonymous'];
    case 'bearer':
      return ['anonymous', 'user'];
    case 'admin':
      return ['anonymous', 'user', 'admin'];
    case 'client':
      return ['anonymous', 'client'];
  }
};

const authorizationOf = (caller: Caller): fc.Arbitrary<string | undefined> => {
  switch (caller) {
    case 'anonymous':
      return garbageAuthorization;
    case 'user':
    case 'admin':
      return holderAuthorization;
    case 'client':
      return fc.oneof(
        { weight: 6, arbitrary: fc.constant(`Basic ${CLIENT_BASIC}`) },
        { weight: 2, arbitrary: fc.constant(undefined) }, // client_secret_post or a public client
        { weight: 1, arbitrary: garbageAuthorization },
      );
  }
};

const extraHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    'user-agent': fc.oneof(headerText(80), headerText(1_000)),
    accept: fc.constantFrom('*/*', 'text/html', 'application/xml', 'application/json;q=0'),
    'x-forwarded-for': fc.constantFrom('1.2.3.4', 'garbage', '::1, 10.0.0.1'),
  },
  { requiredKeys: [] },
);

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/** Requests to one endpoint from one caller: every part of them generated. */
export function requestsTo(
  endpoint: Endpoint,
  caller: Caller,
  known: KnownValues,
  holderSid: string,
): fc.Arbitrary<FuzzRequest> {
  const knownParams = endpoint.params?.(known, holderSid) ?? {};
  const names = [...endpoint.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
  const path = fc
    .tuple(...names.map((name) => pathSegment(knownParams[name] ?? [])))
    .map((values) => values.reduce((p, v, i) => p.replace(`{${names[i]}}`, v), endpoint.path));
  const method = fc.oneof(
    { weight: 19, arbitrary: fc.constant(endpoint.method) },
    { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) },
  );
  const body = bodies(endpoint.fields?.(known) ?? {}, endpoint.form ?? false);
  return fc
    .record({
      method,
      path,
      query: queryString,
      authorization: authorizationOf(caller),
      extra: extraHeaders,
      body,
    })
    .map(({ method, path, query, authorization, extra, body }) => {
      const withBody = method !== 'GET' && method !== 'HEAD';
      const headers: Record<string, string> = { ...extra, ...(withBody ? body.headers : {}) };
      if (authorization !== undefined) headers.authorization = authorization;
      return {
        method,
        path: `${path}${query}`,
        headers,
        ...(withBody && body.body !== undefined ? { body: body.body } : {}),
      };
    });
}
