import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { AuthController } from '../auth/auth.controller.js';
import { AuthError } from '../errors/auth-error.js';
import { ManualClock, openMediumApp, type MediumApp } from '../testing/medium-app.js';
import { RateLimitGuard } from './rate-limit.guard.js';

/** Frozen: no window ends during the tests. */
const clock = new ManualClock(Date.now());
let app: MediumApp;
let guard: RateLimitGuard;
beforeAll(async () => {
  app = await openMediumApp(clock, { RATE_LIMIT_REGISTER_PER_IP: '1' });
  guard = app.module.get(RateLimitGuard);
}, 30_000);
afterAll(() => app.close());

/** What the guard says to a registration from `ip` with an empty body (per-IP limit only). */
function registrationFrom(ip: string): Promise<string> {
  const request = { ip, body: {}, headers: {} };
  const context = {
    // The route's metadata is read from the handler; it is never called.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    getHandler: () => AuthController.prototype.register,
    getClass: () => AuthController,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return guard.canActivate(context).then(
    () => 'allowed',
    (err: unknown) => {
      if (err instanceof AuthError) return err.code;
      throw err;
    },
  );
}

describe('per-IP rate limits (F16)', () => {
  it('bucket IPv6 clients per /64', async () => {
    expect({
      first: await registrationFrom('2001:db8:1:2::1'),
      sameSlash64: await registrationFrom('2001:db8:1:2:ffff:ffff:ffff:fffe'),
      spelledOut: await registrationFrom('2001:0DB8:0001:0002:0000:0000:0000:0007'),
      otherSlash64: await registrationFrom('2001:db8:1:3::1'),
    }).toEqual({
      first: 'allowed',
      sameSlash64: 'RATE_LIMITED',
      spelledOut: 'RATE_LIMITED',
      otherSlash64: 'allowed',
    });
  });

  it('treat an IPv4-mapped IPv6 address as its IPv4 address', async () => {
    expect({
      mapped: await registrationFrom('::ffff:192.0.2.7'),
      ipv4: await registrationFrom('192.0.2.7'),
      mappedInHex: await registrationFrom('::ffff:c000:207'),
      neighbour: await registrationFrom('192.0.2.8'),
    }).toEqual({
      mapped: 'allowed',
      ipv4: 'RATE_LIMITED',
      mappedInHex: 'RATE_LIMITED',
      neighbour: 'allowed',
    });
  });
});
