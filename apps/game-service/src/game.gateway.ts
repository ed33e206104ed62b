import {
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayInit,
  type WsResponse,
} from '@nestjs/websockets';
import {
  CurrentPrincipal,
  RevocationSocketAuth,
  type Principal,
} from '@tokenfence/revocation-guard';
import type { Server } from 'socket.io';

/**
 * Real-time game channel. The handshake needs an access token (`auth: { token }`); a socket is
 * disconnected with `auth:revoked` as soon as its token, session or user is revoked or expires.
 */
@WebSocketGateway()
export class GameGateway implements OnGatewayInit {
  constructor(private readonly socketAuth: RevocationSocketAuth) {}

  afterInit(server: Server): void {
    this.socketAuth.attach(server);
  }

  @SubscribeMessage('game:ping')
  ping(@CurrentPrincipal() player: Principal): WsResponse<{ sub: string; at: number }> {
    return { event: 'game:pong', data: { sub: player.sub, at: Date.now() } };
  }
}
