import { Inject, Injectable } from '@nestjs/common';
import { AccessTokenAuthenticator } from '../core/access-token-authenticator.js';
import { systemClock } from '../core/clock.js';
import { GuardError } from '../core/guard-error.js';
import { LiveConnections } from '../core/live-connections.js';
import type { Principal } from '../core/principal.js';
import { RevocationFeed } from '../core/revocation-feed.js';
import { REVOCATION_GUARD_OPTIONS } from './revocation-guard.module-definition.js';
import type { RevocationGuardModuleOptions } from './revocation-guard.options.js';
import { SocketCredentials } from './socket-credentials.js';

/** Event a socket receives, `{ code, message }`, right before the server disconnects it. */
export const SOCKET_REVOKED_EVENT = 'auth:revoked';

/** The parts of a socket.io `Socket` this uses. */
export interface AuthenticatedSocket {
  readonly id: string;
  readonly handshake: {
    readonly auth?: Record<string, unknown>;
    readonly headers: Record<string, string | string[] | undefined>;
  };
  data: { principal?: Principal } & Record<string, unknown>;
  emit(event: string, payload: unknown): unknown;
  disconnect(close?: boolean): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
}

/** The parts of a socket.io `Server` (or namespace) this uses. */
export interface SocketServer {
  use(middleware: (socket: AuthenticatedSocket, next: (err?: Error) => void) => void): unknown;
  on(event: 'connection', listener: (socket: AuthenticatedSocket) => void): unknown;
}

/**
 * Authenticates socket.io handshakes with the same verifier as HTTP (token in `auth.token`, or
 * an `Authorization: Bearer` header), so that the guard can check each message of the socket
 * like an HTTP request (route rules, stale policy), and disconnects a socket, with the reason, as soon as its
 * token, session or user is revoked or its token expires. Call `attach(server)` from a gateway's
 * `afterInit`.
 */
@Injectable()
export class RevocationSocketAuth {
  private readonly connections: LiveConnections;

  constructor(
    private readonly authenticator: AccessTokenAuthenticator,
    private readonly feed: RevocationFeed,
    private readonly credentials: SocketCredentials,
    @Inject(REVOCATION_GUARD_OPTIONS) options: RevocationGuardModuleOptions,
  ) {
    this.connections = new LiveConnections(feed, options.clock ?? systemClock);
  }

  attach(server: SocketServer): void {
    server.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (err: unknown) => next(toHandshakeError(err)),
      );
    });
    server.on('connection', (socket) => this.track(socket));
  }

  /** Sockets currently tracked. */
  get connectionCount(): number {
    return this.connections.size;
  }

  private async authenticate(socket: AuthenticatedSocket): Promise<void> {
    const token = socket.handshake.auth?.token;
    const header = socket.handshake.headers.authorization;
    const authorization =
      typeof token === 'string' ? `Bearer ${token}` : Array.isArray(header) ? header[0] : header;
    socket.data.principal = await this.authenticator.authenticate(authorization);
    // The guard checks each message with this token, under the handler's rules.
    if (authorization !== undefined) this.credentials.remember(socket, authorization);
  }

  private track(socket: AuthenticatedSocket): void {
    const principal = socket.data.principal;
    if (!principal) {
      socket.disconnect(true);
      return;
    }
    this.connections.track(
      {
        id: socket.id,
        end: (code, message) => {
          socket.emit(SOCKET_REVOKED_EVENT, { code, message });
          socket.disconnect(true);
        },
      },
      principal,
    );
    socket.on('disconnect', () => this.connections.forget(socket.id));
    // Revoked between the handshake and now: the event has already been applied.
    const scope = this.feed.denylist.check(principal);
    if (scope !== undefined) {
      socket.emit(SOCKET_REVOKED_EVENT, {
        code: 'TOKEN_REVOKED',
        message: `The access token has been revoked (${scope}).`,
      });
      this.connections.forget(socket.id);
      socket.disconnect(true);
    }
  }
}

function toHandshakeError(err: unknown): Error {
  const known = err instanceof GuardError;
  const error = new Error(known ? err.message : 'Authentication failed.') as Error & {
    data?: { code: string };
  };
  error.data = { code: known ? err.code : 'TOKEN_MALFORMED' };
  return error;
}
