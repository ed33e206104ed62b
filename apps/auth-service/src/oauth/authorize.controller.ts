import {
  Catch,
  Controller,
  Get,
  HttpException,
  Inject,
  Logger,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import {
  ApiConsumes,
  ApiFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuthService } from '../auth/auth.service.js';
import { clientInfoOf } from '../auth/client-info.js';
import { AUTH_CONFIG, type AuthConfig, type OAuthClient } from '../config/auth-config.js';
import { AuthError } from '../errors/auth-error.js';
import { RateLimit, RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { AuthorizationCodes } from './authorization-codes.js';
import {
  errorRedirect,
  parseAuthorizationRequest,
  redirectTo,
  type AuthorizationRequest,
} from './authorization-request.js';
import { browserCookieNames, browserCookieOptions, readCookies } from './browser-cookies.js';
import { BrowserSessions, type LiveBrowserSession } from './browser-sessions.js';
import { ClientAuthenticator } from './client-authenticator.js';
import { CsrfTokens } from './csrf-tokens.js';
import { pageHeaders, renderLoginPage, renderMessagePage } from './login-page.js';
import { OAUTH_ENDPOINTS } from './oauth-endpoints.js';

const AUTHORIZE_PATH = OAUTH_ENDPOINTS.authorization.path;

/** What the hosted login page says after a refused sign-in: never whether the user exists. */
const WRONG_CREDENTIALS = 'The username or password is incorrect.';

/** Sends a hosted HTML page with the pages' security headers. */
function sendPage(res: Response, status: number, html: string, redirectUri?: string): void {
  res.status(status).set(pageHeaders(redirectUri)).send(html);
}

/**
 * A redirect back to the client: never cached, no referrer. 302 answers a GET; a form post is
 * answered with 303, so that no browser posts the credentials on to the client (RFC 9700 4.12).
 */
type RedirectStatus = 302 | 303;
function sendRedirect(res: Response, status: RedirectStatus, location: string): void {
  res
    .status(status)
    .set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', Location: location })
    .end();
}

/**
 * Errors of the hosted pages (a rate limit, a failure) are pages too: never the JSON error body
 * the API answers with.
 */
@Catch()
export class HostedPageErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HostedPageErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    if (exception instanceof AuthError) {
      if (exception.retryAfterSeconds !== undefined) {
        res.setHeader('Retry-After', String(exception.retryAfterSeconds));
      }
      const title = exception.status === 429 ? 'Too many attempts' : 'Sign-in refused';
      sendPage(res, exception.status, renderMessagePage(title, exception.message));
      return;
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      sendPage(
        res,
        exception.getStatus(),
        renderMessagePage('Bad request', 'The sign-in request was refused.'),
      );
      return;
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : 'unknown error',
    );
    sendPage(res, 500, renderMessagePage('Error', 'Something went wrong; try again later.'));
  }
}

/**
 * The authorization endpoint (RFC 6749 4.1, RFC 7636, RFC 9207) and its hosted login page. A
 * browser with a live sign-in gets a code at once; otherwise it signs in with a password through
 * the very check of `POST /auth/login`, and its sign-in is remembered (a browser session).
 */
@ApiTags('oauth')
@Controller()
@UseFilters(HostedPageErrorFilter)
export class AuthorizeController {
  private readonly cookies: ReturnType<typeof browserCookieNames>;
  private readonly action: string;

  constructor(
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly clients: ClientAuthenticator,
    private readonly auth: AuthService,
    private readonly browserSessions: BrowserSessions,
    private readonly codes: AuthorizationCodes,
    private readonly csrf: CsrfTokens,
  ) {
    this.cookies = browserCookieNames(config.issuer);
    this.action = `${config.issuer}${AUTHORIZE_PATH}`;
  }

  @Get(AUTHORIZE_PATH)
  @ApiOperation({
    summary: 'Authorization request (code flow with S256 PKCE and state)',
    description:
      'Query: response_type=code, client_id, redirect_uri (exactly as registered), state, ' +
      'code_challenge, code_challenge_method=S256, scope (optional).',
  })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The hosted login page (HTML), with a CSRF cookie' })
  @ApiFoundResponse({
    description:
      'To redirect_uri with `code`, `state` and `iss` (a live sign-in), or with `error`, ' +
      '`error_description`, `state` and `iss`',
  })
  @ApiResponse({ status: 400, description: 'Unknown client or redirect URI: an HTML error page' })
  async authorize(@Req() req: Request, @Res() res: Response): Promise<void> {
    const request = this.validRequest(req.query, res, 302);
    if (!request) return;
    const cookies = readCookies(req.headers.cookie);
    const live = mayAnswerSilently(request.client)
      ? await this.browserSessions.findLive(cookies.get(this.cookies.session))
      : undefined;
    if (live) {
      await this.redirectWithCode(res, 302, request, live);
      return;
    }
    let csrfCookie = cookies.get(this.cookies.csrf);
    if (!this.csrf.isCookieValue(csrfCookie)) {
      csrfCookie = this.csrf.newCookieValue();
      res.cookie(this.cookies.csrf, csrfCookie, browserCookieOptions(this.config.issuer));
    }
    this.sendLoginPage(res, 200, request, this.csrf.tokenFor(csrfCookie));
  }

  @Post(AUTHORIZE_PATH)
  @UseGuards(RateLimitGuard)
  @RateLimit('login')
  @ApiOperation({
    summary: 'The hosted login form',
    description:
      'Form fields: username, password, csrf_token and the authorization request, checked ' +
      'again as on GET. Limited as POST /auth/login (RATE_LIMIT_LOGIN_*), with its lockout.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiProduces('text/html')
  @ApiResponse({
    status: 303,
    description:
      'Signed in: to redirect_uri with `code`, `state` and `iss`, and a session cookie; or an ' +
      'error redirect as on GET',
  })
  @ApiResponse({ status: 400, description: 'A bad request: an HTML page' })
  @ApiResponse({ status: 401, description: 'Wrong credentials: the login page again' })
  @ApiResponse({ status: 403, description: 'CSRF token or Origin refused: an HTML page' })
  @ApiResponse({ status: 429, description: 'Locked or rate limited: an HTML page, Retry-After' })
  async signIn(@Req() req: Request, @Res() res: Response): Promise<void> {
    const form = (req.body ?? {}) as Record<string, unknown>;
    const cookies = readCookies(req.headers.cookie);
    const csrfCookie = cookies.get(this.cookies.csrf);
    const origin = req.headers.origin;
    if (
      (origin !== undefined && origin !== new URL(this.config.issuer).origin) ||
      !this.csrf.verify(csrfCookie, form.csrf_token)
    ) {
      sendPage(
        res,
        403,
        renderMessagePage(
          'Request refused',
          'This sign-in form has expired or did not come from this site. Go back and try again.',
        ),
      );
      return;
    }
    const request = this.validRequest(form, res, 303);
    if (!request || !this.csrf.isCookieValue(csrfCookie)) return;
    const csrfToken = this.csrf.tokenFor(csrfCookie);
    const { username, password } = form;
    if (!isLoginField(username, 64) || !isLoginField(password, 256)) {
      this.sendLoginPage(res, 400, request, csrfToken, 'Enter your username and password.');
      return;
    }
    let userId: string;
    try {
      userId = (await this.auth.signIn(username, password)).id;
    } catch (err) {
      if (err instanceof AuthError && err.code === 'INVALID_CREDENTIALS') {
        this.sendLoginPage(res, 401, request, csrfToken, WRONG_CREDENTIALS, username);
        return;
      }
      if (err instanceof AuthError && err.code === 'LOGIN_LOCKED') {
        if (err.retryAfterSeconds !== undefined) {
          res.setHeader('Retry-After', String(err.retryAfterSeconds));
        }
        this.sendLoginPage(res, 429, request, csrfToken, err.message, username);
        return;
      }
      throw err;
    }
    const opened = await this.browserSessions.open(userId, clientInfoOf(req));
    res.cookie(
      this.cookies.session,
      opened.cookieValue,
      browserCookieOptions(this.config.issuer, opened.maxAgeSeconds),
    );
    await this.redirectWithCode(res, 303, request, opened);
  }

  /** The request when valid; otherwise answers (an error page, or an error redirect). */
  private validRequest(
    source: Record<string, unknown>,
    res: Response,
    redirectStatus: RedirectStatus,
  ): AuthorizationRequest | undefined {
    const parsed = parseAuthorizationRequest(source, (id) => this.clients.find(id));
    switch (parsed.kind) {
      case 'valid':
        return parsed.request;
      case 'page-error':
        sendPage(res, 400, renderMessagePage('Invalid sign-in request', parsed.message));
        return undefined;
      case 'redirect-error':
        sendRedirect(res, redirectStatus, errorRedirect(parsed.response, this.config.issuer));
        return undefined;
    }
  }

  private async redirectWithCode(
    res: Response,
    status: RedirectStatus,
    request: AuthorizationRequest,
    session: LiveBrowserSession,
  ): Promise<void> {
    const code = await this.codes.issue({
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      userId: session.userId,
      browserSessionId: session.id,
      requestedScopes: request.scopes,
      authTime: session.authTime,
    });
    sendRedirect(
      res,
      status,
      redirectTo(request.redirectUri, { code, state: request.state, iss: this.config.issuer }),
    );
  }

  private sendLoginPage(
    res: Response,
    status: number,
    request: AuthorizationRequest,
    csrfToken: string,
    message?: string,
    username?: string,
  ): void {
    sendPage(
      res,
      status,
      renderLoginPage({ action: this.action, request, csrfToken, message, username }),
      request.redirectUri,
    );
  }
}

/**
 * A username or password as `POST /auth/login` takes them (LoginDto): 1 to `max` characters, no
 * NUL (PostgreSQL text cannot hold it, and no registered username has one).
 */
const isLoginField = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length >= 1 && value.length <= max && !value.includes('\0');

/**
 * Whether a signed-in browser may be sent a code for this client without the user acting
 * (RFC 6749 section 10.2, RFC 8252 section 8.6): only when the client authenticates at the token
 * endpoint or can only be reached over https. A loopback port or a private-use scheme can be
 * claimed by any local program, which would start the flow with its own PKCE verifier; for
 * those clients the user signs in again.
 */
function mayAnswerSilently(client: OAuthClient): boolean {
  return (
    client.secretSha256 !== undefined ||
    client.redirectUris.every((uri) => uri.startsWith('https://'))
  );
}
