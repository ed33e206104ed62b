import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Module, type INestMicroservice, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  MessagePattern,
  Payload,
  Transport,
  type ClientProxy,
} from '@nestjs/microservices';
import { createServer, type AddressInfo } from 'node:net';
import { firstValueFrom } from 'rxjs';
import type { Principal } from '../core/principal.js';
import { InMemoryEventSource } from '../testing/in-memory-event-source.js';
import { createTestIssuer, type TestIssuer } from '../testing/test-issuer.js';
import { CurrentPrincipal } from './current-principal.decorator.js';
import { RevocationGuardModule } from './revocation-guard.module.js';
import type { RpcContextInfo } from './revocation-guard.options.js';
import { RequireScopes } from './route-requirements.decorators.js';

interface Envelope {
  auth?: { token?: string };
  body: { n: number };
}

@Controller()
class EnvelopeRpc {
  @MessagePattern('orders.get')
  get(@Payload() data: Envelope, @CurrentPrincipal() principal?: Principal) {
    return { n: data.body.n, sub: principal?.sub, scopes: principal?.scopes };
  }
  @MessagePattern('orders.cancel')
  @RequireScopes('orders:write')
  cancel(): { cancelled: true } {
    return { cancelled: true };
  }
}

class WarningLog implements LoggerService {
  readonly warnings: string[] = [];
  log(): void {}
  error(): void {}
  warn(message: unknown): void {
    this.warnings.push(String(message));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An envelope extractor; it throws for `{ auth: 'boom' }`, as a careless one might. */
function envelopeToken(message: RpcContextInfo): string | undefined {
  const data = message.data as { auth?: unknown };
  if (data.auth === 'boom') throw new Error('unreadable envelope');
  return (data.auth as Envelope['auth'])?.token;
}

describe('RevocationGuard on a TCP microservice with a custom token extractor', () => {
  let issuer: TestIssuer;
  let events: InMemoryEventSource;
  let app: INestMicroservice;
  let client: ClientProxy;
  const log = new WarningLog();

  beforeAll(async () => {
    issuer = await createTestIssuer();
    events = new InMemoryEventSource(issuer, { heartbeatIntervalMs: 0 });
    @Module({
      imports: [
        RevocationGuardModule.forRoot({
          ...issuer.moduleOptions(),
          eventSource: events,
          microservices: { tokenExtractor: envelopeToken },
        }),
      ],
      controllers: [EnvelopeRpc],
    })
    class EnvelopeModule {}
    const port = await freePort();
    app = await NestFactory.createMicroservice(EnvelopeModule, {
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
      logger: log,
    });
    await app.listen();
    client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
    });
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
    await app.close();
  });

  const ask = (pattern: string, data: unknown) =>
    firstValueFrom(client.send(pattern, data)).catch((err: unknown) => err);

  it('gives a standalone microservice no hybrid-app warning at start-up', () => {
    expect(log.warnings.filter((w) => w.includes('hybrid app'))).toEqual([]);
  });

  it('takes the token from the envelope; the principal reaches the handler', async () => {
    const token = await issuer.token({ sub: 'alice', scope: 'orders:read' });
    expect(await ask('orders.get', { auth: { token }, body: { n: 1 } })).toEqual({
      n: 1,
      sub: 'alice',
      scopes: ['orders:read'],
    });
    // The default places are not read any more.
    expect(await ask('orders.get', { authorization: `Bearer ${token}`, body: { n: 2 } })).toEqual({
      code: 'TOKEN_MISSING',
      message: 'An Authorization: Bearer access token is required.',
    });
  });

  it('an extractor that throws refuses with TOKEN_MALFORMED', async () => {
    expect(await ask('orders.get', { auth: 'boom', body: { n: 1 } })).toMatchObject({
      code: 'TOKEN_MALFORMED',
    });
  });

  it('applies route rules and revocations to rpc handlers', async () => {
    const token = await issuer.token({ sub: 'bob', scope: 'orders:read' });
    expect(await ask('orders.cancel', { auth: { token } })).toMatchObject({
      code: 'INSUFFICIENT_SCOPE',
    });
    await events.revokeSession(token);
    expect(await ask('orders.get', { auth: { token }, body: { n: 3 } })).toEqual({
      code: 'TOKEN_REVOKED',
      message: 'The access token has been revoked (session).',
    });
  });
});
