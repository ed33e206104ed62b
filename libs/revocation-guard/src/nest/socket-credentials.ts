import { Injectable } from '@nestjs/common';

/**
 * The `Authorization` value each socket was authenticated with at its handshake, so the guard
 * can check every message with the same rules as an HTTP request. Kept off `socket.data` (which
 * adapters may copy across hosts) and never logged; an entry goes with its socket.
 */
@Injectable()
export class SocketCredentials {
  private readonly authorizations = new WeakMap<object, string>();

  remember(socket: object, authorization: string): void {
    this.authorizations.set(socket, authorization);
  }

  authorizationOf(socket: object): string | undefined {
    return this.authorizations.get(socket);
  }
}
