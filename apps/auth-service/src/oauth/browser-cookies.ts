import type { CookieOptions } from 'express';

/** Hosts a browser treats as a secure context over plain HTTP (local development, tests). */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Whether the service's cookies are `Secure` (and `__Host-` prefixed): always, but for an
 * `http:` issuer on a loopback host, where a browser would not send a Secure cookie back.
 */
export function secureCookies(issuer: string): boolean {
  const url = new URL(issuer);
  return !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

/** The service's browser cookies: the hosted login's session, and its CSRF double-submit. */
export interface BrowserCookieNames {
  readonly session: string;
  readonly csrf: string;
}

/** The cookie names for an issuer: `__Host-` prefixed when Secure (RFC 6265bis 4.1.3.2). */
export function browserCookieNames(issuer: string): BrowserCookieNames {
  const prefix = secureCookies(issuer) ? '__Host-' : '';
  return { session: `${prefix}tokenfence-session`, csrf: `${prefix}tokenfence-csrf` };
}

/** HttpOnly, SameSite=Lax, Path=/, no Domain; Secure as {@link secureCookies} says. */
export function browserCookieOptions(issuer: string, maxAgeSeconds?: number): CookieOptions {
  return {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: secureCookies(issuer),
    ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds * 1000 }),
  };
}

/** A request's cookies by name (the first of a repeated name); malformed pairs are skipped. */
export function readCookies(header: string | undefined): ReadonlyMap<string, string> {
  const cookies = new Map<string, string>();
  for (const pair of (header ?? '').split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1);
    }
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}
