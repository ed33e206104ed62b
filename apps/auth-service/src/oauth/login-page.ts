import { createHash } from 'node:crypto';
import { AUTHORIZATION_PARAMS, type AuthorizationRequest } from './authorization-request.js';

/** Text for HTML content and quoted attribute values: every markup character escaped. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** The pages' only style, allowed by its hash: no other inline style or script can run. */
const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:24rem;margin:3rem auto;padding:0 1rem}' +
  'label,input,button{display:block;width:100%;box-sizing:border-box;margin:.25rem 0}' +
  'input,button{padding:.5rem}.message{color:#a00}';
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/**
 * The CSP `form-action` source of a redirect URI: a form post answered with a redirect there is
 * checked against it. Its origin for http(s), its scheme for an app's custom scheme.
 */
export function formActionSource(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
}

/**
 * The headers of every hosted page: never cached, never framed, no referrer, and a policy that
 * allows nothing but the page's own style and posting its form here (or, through the redirect
 * that answers it, to the client's redirect URI).
 */
export function pageHeaders(redirectUri?: string): Record<string, string> {
  const formAction = ["'self'", ...(redirectUri ? [formActionSource(redirectUri)] : [])];
  return {
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    'Content-Security-Policy': [
      "default-src 'none'",
      `style-src ${STYLE_HASH}`,
      `form-action ${formAction.join(' ')}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'Content-Type': 'text/html; charset=utf-8',
  };
}

function page(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    `<body>${body}</body>`,
    '</html>',
  ].join('\n');
}

/** What the login page shows and posts back. */
export interface LoginPageModel {
  /** The absolute URL the form posts to. */
  readonly action: string;
  readonly request: AuthorizationRequest;
  readonly csrfToken: string;
  /** A refusal to show above the form (a wrong password, a lock). */
  readonly message?: string;
  /** The username to fill in again after a refusal. */
  readonly username?: string;
}

/**
 * The hosted login page: the client's name and the scopes it asks for, and a form that posts the
 * credentials, the CSRF token and the authorization request back. Every value is escaped.
 */
export function renderLoginPage(model: LoginPageModel): string {
  const { request } = model;
  const hidden = [
    ...AUTHORIZATION_PARAMS.flatMap((name) => {
      const value = request.params[name];
      return value === undefined ? [] : [[name, value] as const];
    }),
    ['csrf_token', model.csrfToken] as const,
  ].map(
    ([name, value]) =>
      `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
  );
  const scopes =
    request.scopes === undefined
      ? '<p>It asks for the access this application may have.</p>'
      : request.scopes.length === 0
        ? '<p>It asks for no particular access.</p>'
        : `<p>It asks for:</p><ul>${request.scopes
            .map((s) => `<li>${escapeHtml(s)}</li>`)
            .join('')}</ul>`;
  const body = [
    `<h1>Sign in to continue to ${escapeHtml(request.client.name)}</h1>`,
    scopes,
    model.message === undefined
      ? ''
      : `<p class="message" role="alert">${escapeHtml(model.message)}</p>`,
    `<form method="post" action="${escapeHtml(model.action)}">`,
    ...hidden,
    '<label for="username">Username</label>',
    `<input id="username" name="username" autocomplete="username" required value="${escapeHtml(model.username ?? '')}">`,
    '<label for="password">Password</label>',
    '<input id="password" name="password" type="password" autocomplete="current-password" required>',
    '<button type="submit">Sign in</button>',
    '</form>',
  ].join('\n');
  return page(`Sign in to ${request.client.name}`, body);
}

/** A page that only tells the user what went wrong (a bad request, a CSRF refusal). */
export function renderMessagePage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
