import type { Endpoint } from './endpoints.js';
import type { FuzzAnswer } from './request.js';

/** An error code the service may answer with: upper snake case, e.g. `TOKEN_MALFORMED`. */
const CODE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

/** RFC 6749 section 5.2 error codes (RFC 7009 adds `unsupported_token_type`). */
const OAUTH_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'unsupported_token_type',
]);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What every answer must satisfy; returns the broken rules (empty when all hold):
 * never a 5xx; a 4xx is JSON with a stable `{code, message}` (OAuth endpoints: RFC 6749
 * `{error, error_description}` as well); a 429 says when to retry.
 */
export function brokenRules(endpoint: Endpoint, answer: FuzzAnswer): string[] {
  const broken: string[] = [];
  const { status, json } = answer;
  if (status >= 500) broken.push(`a ${status} answer`);
  if (status < 400 || status >= 500) return broken;
  if (
    endpoint.errors === 'html' &&
    answer.headers.get('content-type')?.startsWith('text/html') === true
  ) {
    return [...broken, ...brokenPageRules(answer)];
  }
  if (!answer.headers.get('content-type')?.startsWith('application/json')) {
    broken.push(`a ${status} that is not JSON (${answer.headers.get('content-type')})`);
  }
  if (!isRecord(json)) return [...broken, `a ${status} without a JSON object body`];
  if (typeof json.code !== 'string' || !CODE.test(json.code)) {
    broken.push(`a ${status} without an upper-snake-case code: ${JSON.stringify(json.code)}`);
  }
  if (typeof json.message !== 'string' || json.message === '') {
    broken.push(`a ${status} without a message`);
  }
  if (endpoint.errors === 'oauth') {
    if (typeof json.error !== 'string' || !OAUTH_ERRORS.has(json.error)) {
      broken.push(`a ${status} without an RFC 6749 error: ${JSON.stringify(json.error)}`);
    }
    if (typeof json.error_description !== 'string') {
      broken.push(`a ${status} without an error_description`);
    }
  }
  if (status === 429 && !/^[1-9]\d*$/.test(answer.headers.get('retry-after') ?? '')) {
    broken.push(`a 429 without a positive Retry-After: ${answer.headers.get('retry-after')}`);
  }
  return broken;
}

/** A hosted page's error: never cached or framed, a CSP that allows no script, Retry-After. */
function brokenPageRules(answer: FuzzAnswer): string[] {
  const broken: string[] = [];
  const header = (name: string) => answer.headers.get(name) ?? '';
  if (header('cache-control') !== 'no-store') broken.push('a page without Cache-Control: no-store');
  if (header('x-frame-options') !== 'DENY') broken.push('a page without X-Frame-Options: DENY');
  if (header('x-content-type-options') !== 'nosniff') broken.push('a page without nosniff');
  const csp = header('content-security-policy');
  if (!csp.includes("default-src 'none'") || !csp.includes("frame-ancestors 'none'")) {
    broken.push(`a page without its Content-Security-Policy: ${csp}`);
  }
  if (answer.status === 429 && !/^[1-9]\d*$/.test(header('retry-after'))) {
    broken.push(`a 429 page without a positive Retry-After: ${header('retry-after')}`);
  }
  return broken;
}
