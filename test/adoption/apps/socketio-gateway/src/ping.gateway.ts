import {
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayInit,
  type WsResponse,
} from '@nestjs/websockets';
import {
  CurrentPrincipal,
  RequireScopes,
  RevocationSocketAuth,
  type Principal,
} from '@tokenfence/revocation-guard';
import type { Server } from 'socket.io';

@WebSocketGateway()
export class PingGateway implements OnGatewayInit {
  constructor(private readonly socketAuth: RevocationSocketAuth) {}

  afterInit(server: Server) {
    this.socketAuth.attach(server);
  }

  @SubscribeMessage('ping')
  ping(@CurrentPrincipal() p: Principal): WsResponse<{ sub: string }> {
    return { event: 'pong', data: { sub: p.sub } };
  }

  @SubscribeMessage('admin:ping')
  @RequireScopes('admin')
  adminPing(): WsResponse<{ admin: boolean }> {
    return { event: 'admin:pong', data: { admin: true } };
  }
}
