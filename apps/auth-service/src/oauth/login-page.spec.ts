import { describe, expect, it } from '@jest/globals';
import type { OAuthClient } from '../config/auth-config.js';
import { parseAuthorizationRequest } from './authorization-request.js';
import { browserCookieNames, browserCookieOptions, secureCookies } from './browser-cookies.js';
import { escapeHtml, pageHeaders, renderLoginPage, renderMessagePage } from './login-page.js';

const EVIL = `<script>alert(1)</script>"'&`;
const CLIENT: OAuthClient = {
  clientId: 'evil',
  secretSha256: undefined,
  allowedScopes: undefined,
  introspectAudiences: [],
  grantTypes: ['authorization_code'],
  redirectUris: ['https://app.example/cb'],
  allowedOrigins: [],
  name: EVIL,
};

function request() {
  const parsed = parseAuthorizationRequest(
    {
      response_type: 'code',
      client_id: 'evil',
      redirect_uri: 'https://app.example/cb',
      state: EVIL,
      scope: 'profile <b>',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    },
    () => CLIENT,
  );
  if (parsed.kind !== 'valid') throw new Error(`not valid: ${parsed.kind}`);
  return parsed.request;
}

describe('the hosted login page', () => {
  it('escapes every markup character', () => {
    expect(escapeHtml(EVIL)).toBe('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;');
  });

  it('never shows a client name, state, scope, username or message raw', () => {
    const html = renderLoginPage({
      action: 'https://auth.example/oauth/authorize',
      request: request(),
      csrfToken: EVIL,
      message: EVIL,
      username: EVIL,
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).not.toContain(`"'&`);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // The hidden fields carry the request back, escaped.
    expect(html).toContain(`<input type="hidden" name="state" value="${escapeHtml(EVIL)}">`);
    expect(html).toContain('name="csrf_token"');
    expect(html).toContain('<form method="post" action="https://auth.example/oauth/authorize">');
    expect(html).not.toContain('<script');
    expect(renderMessagePage(EVIL, EVIL)).not.toContain('<script>');
  });

  it('sends the security headers, allowing the form to post here and redirect to the client', () => {
    const headers = pageHeaders('https://app.example:8443/cb?x=1');
    expect(headers).toMatchObject({
      'Cache-Control': 'no-store',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    });
    const csp = headers['Content-Security-Policy'] ?? '';
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      expect.stringMatching(/^style-src 'sha256-[A-Za-z0-9+/]+={0,2}'$/),
      "form-action 'self' https://app.example:8443",
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ]);
    expect(pageHeaders('com.example.app:/cb')['Content-Security-Policy']).toContain(
      "form-action 'self' com.example.app:;",
    );
    expect(pageHeaders()['Content-Security-Policy']).toContain("form-action 'self';");
  });
});

describe('the browser cookies', () => {
  it.each([
    ['http://127.0.0.1:3000', false],
    ['http://localhost:3000', false],
    ['http://[::1]:3000', false],
    ['https://127.0.0.1:3000', true],
    ['https://auth.example.com', true],
    ['http://auth.example.com', true],
    ['http://127.0.0.2', true],
    ['http://localhost.example.com', true],
  ])('issuer %s: Secure %s', (issuer, secure) => {
    expect(secureCookies(issuer)).toBe(secure);
    expect(browserCookieOptions(issuer)).toMatchObject({
      secure,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
    });
    expect(browserCookieNames(issuer)).toEqual(
      secure
        ? { session: '__Host-tokenfence-session', csrf: '__Host-tokenfence-csrf' }
        : { session: 'tokenfence-session', csrf: 'tokenfence-csrf' },
    );
  });
});
