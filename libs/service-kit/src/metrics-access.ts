import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether an `Authorization` header carries `Bearer <expected>`. Both sides are hashed first, so
 * the comparison takes the same time whatever the header's length or content.
 */
export function bearerMatches(authorization: string | undefined, expected: string): boolean {
  const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization ?? '');
  const given = createHash('sha256')
    .update(match?.[1] ?? '')
    .digest();
  const wanted = createHash('sha256').update(expected).digest();
  return timingSafeEqual(given, wanted) && match !== null;
}

/** `METRICS_BEARER_TOKEN`: unset or empty leaves `/metrics` open; otherwise 16+ characters. */
export function loadMetricsToken(
  env: Record<string, string | undefined>,
  service: string,
): string | undefined {
  const token = env.METRICS_BEARER_TOKEN;
  if (token === undefined || token === '') return undefined;
  if (!/^[\x21-\x7e]{16,}$/.test(token)) {
    throw new TypeError(
      `${service}: environment variable METRICS_BEARER_TOKEN must be at least 16 printable characters without spaces`,
    );
  }
  return token;
}
