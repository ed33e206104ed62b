/**
 * One generated HTTP request. Secrets never appear in it: a generated value holds a placeholder
 * (see {@link Secrets}) that is replaced only when the request is sent, so a failing case printed
 * by fast-check shows `~~access-token~~`, never a real token.
 */
export interface FuzzRequest {
  readonly method: string;
  /** Path with any parameters already filled in and encoded, query string included. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface FuzzAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  readonly json: unknown;
  readonly text: string;
}

/** Placeholder -> real value, for the tokens the suite holds. */
export type Secrets = Readonly<Record<string, string>>;

/** Placeholders: unreserved URL characters only, so they survive percent- and JSON-encoding. */
export const ACCESS_TOKEN = '~~access-token~~';
export const REFRESH_TOKEN = '~~refresh-token~~';
export const CLIENT_SECRET = '~~client-secret~~';
/** `Basic` credentials of the suite's confidential client. */
export const CLIENT_BASIC = '~~client-basic~~';

const reveal = (value: string, secrets: Secrets): string =>
  Object.entries(secrets).reduce(
    (v, [placeholder, real]) => v.split(placeholder).join(real),
    value,
  );

/** Sends a request; a server that does not answer within `timeoutMs` fails the case. */
export async function send(
  baseUrl: string,
  request: FuzzRequest,
  secrets: Secrets,
  timeoutMs = 10_000,
): Promise<FuzzAnswer> {
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name, reveal(value, secrets)]),
  );
  const response = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers,
    body: request.body === undefined ? undefined : reveal(request.body, secrets),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** How a failing case is shown: placeholders kept, long values cut. */
export function describeRequest(request: FuzzRequest): string {
  const cut = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}...(${s.length} chars)` : s);
  return JSON.stringify({
    method: request.method,
    path: cut(request.path),
    headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, cut(v)])),
    body: request.body === undefined ? undefined : cut(request.body),
  });
}
