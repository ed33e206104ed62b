import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import {
  CurrentPrincipal,
  Public,
  RevocationGuardModule,
  type Principal,
  type RevocationEventSource,
} from '@tokenfence/revocation-guard';
import { RevocationHealthIndicator } from '@tokenfence/revocation-guard/terminus';
import { createTestIssuer, InMemoryEventSource } from '@tokenfence/revocation-guard/testing';

@Controller()
class MeController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly revocations: RevocationHealthIndicator,
  ) {}
  @Get('me') me(@CurrentPrincipal() p: Principal) {
    return { sub: p.sub, scopes: p.scopes };
  }
  @Public() @Get('public') open() {
    return { ok: true };
  }
  @Public() @Get('health') @HealthCheck() ready() {
    return this.health.check([() => this.revocations.isHealthy()]);
  }
}

// No broker in this smoke test: an event source that never delivers anything.
const idle: RevocationEventSource = { start: async () => {}, stop: async () => {} };

@Module({
  imports: [
    TerminusModule.forRoot({ logger: false }),
    RevocationGuardModule.forRoot({
      issuer: 'http://127.0.0.1:1',
      audience: 'tokenfence-services',
      jwksUrl: 'http://127.0.0.1:1/.well-known/jwks.json',
      kafka: { brokers: ['127.0.0.1:1'] },
      eventSource: idle,
    }),
  ],
  controllers: [MeController],
  providers: [RevocationHealthIndicator],
})
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
const results = {
  public: (await fetch(`${url}/public`)).status,
  me: await fetch(`${url}/me`).then(async (r) => [
    r.status,
    ((await r.json()) as { code: string }).code,
  ]),
  health: await fetch(`${url}/health`).then(async (r) => [r.status, await r.json()]),
};
await app.close();

// The /testing entry point: local keys, an in-memory topic, no broker and no JWKS URL.
const issuer = await createTestIssuer();
const events = new InMemoryEventSource(issuer);
@Controller()
class TestedController {
  @Get('me') me(@CurrentPrincipal() p: Principal) {
    return { sub: p.sub };
  }
}
@Module({
  imports: [RevocationGuardModule.forRoot({ ...issuer.moduleOptions(), eventSource: events })],
  controllers: [TestedController],
})
class TestedModule {}
const tested = await NestFactory.create(TestedModule, { logger: false });
await tested.listen(0, '127.0.0.1');
const testedUrl = (await tested.getUrl()).replace('[::1]', '127.0.0.1');
const token = await issuer.token();
const me = () =>
  fetch(`${testedUrl}/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
const before = await me();
await events.revokeSession(token);
console.log(JSON.stringify({ ...results, testing: [before, await me()] }));
await tested.close();
