import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Injectable,
  Module,
  SetMetadata,
  type ExecutionContext,
  type INestApplication,
  type LoggerService,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  EventPattern,
  MessagePattern,
  RpcException,
  Transport,
  type ClientProxy,
} from '@nestjs/microservices';
import { exportJWK, generateKeyPair } from 'jose';
import { createServer, type AddressInfo } from 'node:net';
import { firstValueFrom } from 'rxjs';
import type { RevocationEventSource } from '../core/event-source.js';
import { ManualClock } from '../core/manual-clock.js';
import { Public } from './public.decorator.js';
import { RevocationGuard } from './revocation.guard.js';
import { RevocationGuardModule } from './revocation-guard.module.js';

const source: RevocationEventSource = {
  start: (sink) => {
    sink.onPartitions([0]);
    sink.onCaughtUp();
    return Promise.resolve();
  },
  stop: () => Promise.resolve(),
};

const RPC_REFUSAL =
  'The revocation guard does not support rpc (other than Kafka and TCP) handlers yet; mark the ' +
  'handler @Public() or set globalGuard: false.';
const WARNING_TAIL =
  'is refused with GUARD_CONTEXT_UNSUPPORTED: the guard supports HTTP (Express, Fastify), ' +
  'socket.io, GraphQL (Apollo) and microservices over Kafka and TCP only; mark it @Public() or ' +
  'set globalGuard: false.';

/** Payloads the guarded event handler ran with: none, it is refused. */
const guardedEvents: unknown[] = [];
/** Resolved by the public event handler when it runs. */
let publicEventSeen: (payload: unknown) => void = () => undefined;

@Controller()
class OrdersController {
  @Get('health') @Public() health(): { ok: true } {
    return { ok: true };
  }
  @MessagePattern('orders.get') get(): { ok: true } {
    return { ok: true };
  }
  @EventPattern('orders.created') created(payload: unknown): void {
    guardedEvents.push(payload);
  }
  @MessagePattern('orders.nats', Transport.NATS) viaNats(): { ok: true } {
    return { ok: true };
  }
  @MessagePattern('orders.ping') @Public() ping(): { pong: true } {
    return { pong: true };
  }
  @EventPattern('orders.audit') @Public() audit(payload: unknown): void {
    publicEventSeen(payload);
  }
}

/** What `@Resolver()` with a `@Query()` looks like to Nest: supported, so never in a warning. */
@Injectable()
class OrdersResolver {
  @SetMetadata('graphql:resolver_type', 'Query') orders(): [] {
    return [];
  }
  @SetMetadata('graphql:resolver_type', 'Query') @Public() catalogue(): [] {
    return [];
  }
}

class CapturingLogger implements LoggerService {
  readonly warnings: string[] = [];
  log(): void {}
  readonly errors: unknown[] = [];
  onError: (message: unknown) => void = () => undefined;
  error(message: unknown): void {
    this.errors.push(message);
    this.onError(message);
  }
  warn(message: unknown, context?: string): void {
    this.warnings.push(`${context ?? ''}: ${String(message)}`);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('contexts other than HTTP, GraphQL, socket.io, Kafka and TCP (F4)', () => {
  const logger = new CapturingLogger();
  let app: INestApplication;
  let client: ClientProxy;

  beforeAll(async () => {
    const port = await freePort();
    const { publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'tokens-1', alg: 'ES256' };
    @Module({
      imports: [
        RevocationGuardModule.forRoot({
          issuer: 'https://auth.example.test',
          audience: 'services',
          keys: { keys: [jwk] },
          eventSource: source,
          clock: new ManualClock(1_800_000_000_000),
          stalePolicy: 'allow',
        }),
      ],
      controllers: [OrdersController],
      providers: [OrdersResolver],
    })
    class OrdersModule {}
    app = await NestFactory.create(OrdersModule, { logger });
    // A hybrid app's microservice gets the global guard only when it inherits the app's config.
    app.connectMicroservice(
      { transport: Transport.TCP, options: { host: '127.0.0.1', port } },
      { inheritAppConfig: true },
    );
    await app.startAllMicroservices();
    await app.init();
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

  it('checks a guarded @MessagePattern over TCP: no token, TOKEN_MISSING', async () => {
    await expect(firstValueFrom(client.send('orders.get', {}))).rejects.toEqual({
      code: 'TOKEN_MISSING',
      message: 'An Authorization: Bearer access token is required.',
    });
  });

  it('drops a refused @EventPattern over TCP: the handler does not run, Nest logs nothing', async () => {
    await firstValueFrom(client.emit('orders.created', { n: 1 }));
    await firstValueFrom(client.emit('orders.created', { n: 2 }));
    // The public event after them is handled: both refusals were processed before it.
    const seen = new Promise((resolve) => (publicEventSeen = resolve));
    await firstValueFrom(client.emit('orders.audit', { n: 3 }));
    await expect(seen).resolves.toEqual({ n: 3 });
    expect(guardedEvents).toEqual([]);
    expect(logger.errors).toEqual([]);
    const refused = logger.warnings.filter((w) => w.includes('TOKEN_MISSING'));
    expect(refused).toHaveLength(1); // once per code, not per event
    expect(refused[0]).toContain('OrdersController.created (pattern "orders.created")');
  });

  it('refuses a handler on another transport with GUARD_CONTEXT_UNSUPPORTED', async () => {
    const context = {
      getType: () => 'rpc',
      getHandler: () =>
        Object.getOwnPropertyDescriptor(OrdersController.prototype, 'viaNats')?.value as unknown,
      getClass: () => OrdersController,
      switchToRpc: () => ({ getContext: () => ({}), getData: () => ({}) }),
    } as unknown as ExecutionContext;
    const refusal = await app
      .get(RevocationGuard)
      .canActivate(context)
      .catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(RpcException);
    expect((refusal as RpcException).getError()).toEqual({
      code: 'GUARD_CONTEXT_UNSUPPORTED',
      message: RPC_REFUSAL,
    });
  });

  it('runs @Public() message and event handlers', async () => {
    await expect(firstValueFrom(client.send('orders.ping', {}))).resolves.toEqual({ pong: true });
    const seen = new Promise((resolve) => (publicEventSeen = resolve));
    await firstValueFrom(client.emit('orders.audit', { n: 1 }));
    await expect(seen).resolves.toEqual({ n: 1 });
  });

  it('warns once at start-up per refused handler, naming it; GraphQL ones are supported', () => {
    const warnings = logger.warnings.filter((w) => w.includes('GUARD_CONTEXT_UNSUPPORTED'));
    expect(warnings.sort()).toEqual([
      `RevocationGuard: OrdersController.viaNats (rpc, NATS) ${WARNING_TAIL}`,
    ]);
  });

  it('notes in a hybrid app that rpc handlers need inheritAppConfig to be guarded', () => {
    expect(logger.warnings.filter((w) => w.includes('hybrid app'))).toEqual([
      'RevocationGuard: hybrid app: the global guard checks the microservice handlers ' +
        'OrdersController.get, OrdersController.created only when the microservice is connected ' +
        'with app.connectMicroservice(options, { inheritAppConfig: true }); without it Nest runs ' +
        'them unguarded. Add it, or @UseGuards(RevocationGuard) on their controllers.',
    ]);
  });
});
