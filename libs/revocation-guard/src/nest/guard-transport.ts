import type { ExecutionContext } from '@nestjs/common';
import type { GuardError } from '../core/guard-error.js';
import type { Principal } from '../core/principal.js';
import {
  bearerChallenge,
  GuardGraphQLException,
  PROBLEM_JSON,
  toHttpException,
  type GuardBodyOptions,
} from './guard-http-exception.js';
import type { ErrorBodyException, GraphQLContextOf } from './optional-peers.js';
import type { SocketCredentials } from './socket-credentials.js';

/**
 * What one kind of execution context (HTTP, socket.io, ...) supplies to the guard: the
 * credential, where the principal goes, and how a refusal reaches the caller. The rules
 * themselves are the same for all (`AccessTokenAuthenticator.authorize`).
 */
export interface GuardTransport {
  /** The `Authorization` value to check, `Bearer <token>`. */
  readonly authorization: string | undefined;
  accept(principal: Principal): void;
  /** The exception to throw for a refusal; it carries the error's stable `code`. */
  refuse(error: GuardError): Error;
}

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: Principal;
}
interface HttpResponse {
  setHeader?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
}

/**
 * An HTTP request: the `Authorization` header; `request.user`; a Nest HTTP exception whose body
 * is `{statusCode, code, message, error}` (or RFC 9457 problem details), with a Bearer challenge
 * on 401 and 403 and `Retry-After` on 503.
 */
export function httpTransport(
  context: ExecutionContext,
  options: GuardBodyOptions = {},
): GuardTransport {
  const http = context.switchToHttp();
  const request = http.getRequest<HttpRequest>();
  const header = request.headers.authorization;
  return {
    authorization: Array.isArray(header) ? header[0] : header,
    accept: (principal) => {
      request.user = principal;
    },
    refuse: (error) => {
      const response = http.getResponse<HttpResponse>();
      const set = (name: string, value: string) => {
        if (response.setHeader) response.setHeader(name, value);
        else response.header?.(name, value);
      };
      const exception = toHttpException(error, options);
      if (error.status === 401 || error.status === 403)
        set('WWW-Authenticate', bearerChallenge(error));
      if ('retryAfterSeconds' in exception) set('Retry-After', String(exception.retryAfterSeconds));
      // Nest's adapters keep a +json Content-Type set before the exception is answered.
      if (options.problemDetails === true) set('Content-Type', PROBLEM_JSON);
      return exception;
    },
  };
}

/**
 * A socket.io message: the token the socket was authenticated with at its handshake (none when
 * `RevocationSocketAuth` did not authenticate it); `socket.data.principal`; an `exception` event
 * `{code, message}` to the socket (`WsException`, from `@nestjs/websockets`, loaded lazily).
 */
export function socketTransport(
  context: ExecutionContext,
  credentials: SocketCredentials,
  WsException: ErrorBodyException,
): GuardTransport {
  const socket = context.switchToWs().getClient<{ data?: { principal?: Principal } }>();
  return {
    authorization: credentials.authorizationOf(socket),
    accept: (principal) => {
      if (socket.data) socket.data.principal = principal;
    },
    refuse: (error) => new WsException({ code: error.code, message: error.message }),
  };
}

/**
 * A GraphQL resolver (Apollo driver): the `Authorization` header of the HTTP request in the
 * GraphQL context (`{ req }`, Nest's default context); `req.user`; a
 * {@link GuardGraphQLException}, whose `extensions` carry the code. A context with no `req`
 * (e.g. a subscription over graphql-ws without one) has no credential: `TOKEN_MISSING`.
 */
export function graphqlTransport(
  context: ExecutionContext,
  contextOf: GraphQLContextOf,
): GuardTransport {
  const gqlContext = contextOf(context) as { req?: Partial<HttpRequest> } | undefined;
  const request = gqlContext?.req;
  const header = request?.headers?.authorization;
  return {
    authorization: Array.isArray(header) ? header[0] : header,
    accept: (principal) => {
      if (request) request.user = principal;
    },
    refuse: (error) => new GuardGraphQLException(error),
  };
}

/**
 * The refusal of a handler in a context the guard does not support yet: for rpc an
 * `RpcException({code, message})` (what Nest's rpc filter sends back), for any other context a
 * 403 HTTP exception carrying the code.
 */
export function unsupportedContextRefusal(
  error: GuardError,
  RpcException: ErrorBodyException | undefined,
  options: GuardBodyOptions = {},
): Error {
  return RpcException
    ? new RpcException({ code: error.code, message: error.message })
    : toHttpException(error, options);
}
