import { afterAll, beforeAll, expect } from '@jest/globals';
import { decodeJwt } from 'jose';
import { io, type Socket } from 'socket.io-client';
import type { DatabaseKind } from './databases.js';
import { bearer, call } from './http.js';
import {
  KeycloakAdmin,
  withKeycloakLog,
  provisionRealm,
  type ClientCredentials,
  type ProvisionedRealm,
  type TokenSet,
} from './keycloak.js';
import { freePort } from './free-port.js';
import type { RunningService, SystemOptions, TestSystem } from './system.js';
import { useSystem } from './use-system.js';
import { waitFor } from './wait-for.js';

/** The path segment of the realm's endpoints at our auth service: `/signals/kc/...`. */
export const PROVIDER_ID = 'kc';

export interface KeycloakSystemOptions {
  readonly database?: DatabaseKind;
  /** `app`'s back-channel logout URL is our endpoint for the realm. */
  readonly backchannelLogout?: boolean;
  /** Our auth service sets up a Shared Signals stream of this delivery at the realm. */
  readonly sharedSignals?: 'push' | 'poll';
  /** Instances of each sample (orders, game), all trusting the realm. Default 2. */
  readonly instances?: number;
  /** The realm's users. Default alice and bob. */
  readonly users?: readonly string[];
}

/** A live game socket of a Keycloak user, and what the game service tells it. */
export interface PlayerSocket {
  readonly socket: Socket;
  /** The `auth:revoked` message's code, once the service revokes the socket. */
  readonly revoked: Promise<string>;
  /** The reason of the disconnect (the server's: `io server disconnect`). */
  readonly disconnected: Promise<string>;
}

/**
 * A Keycloak realm (test/support/keycloak.ts) and the whole system trusting it: the auth service
 * with the realm in IDENTITY_PROVIDERS (back-channel logout and/or a Shared Signals stream), and
 * several orders and game instances with the realm in TRUSTED_ISSUERS (Keycloak's token shape:
 * `typ: JWT`, `azp`), as the README's guide configures them. Everything is ready before the tests.
 */
export class KeycloakSystem {
  readonly system: TestSystem;
  private realmOrNone: ProvisionedRealm | undefined;
  private readonly samples: RunningService[] = [];
  private readonly games: RunningService[] = [];
  private readonly sockets: Socket[] = [];

  constructor(private readonly options: KeycloakSystemOptions) {
    const authEnv: Record<string, string> = { RATE_LIMIT_SIGNALS_PER_IP: '1000000' };
    const downstreamEnv: Record<string, string> = {};
    const systemOptions: { -readonly [K in keyof SystemOptions]: SystemOptions[K] } = {
      database: options.database ?? 'embedded',
      authEnv,
      downstreamEnv,
    };
    beforeAll(async () => {
      // Keycloak is told our URLs (logout, push) before the auth service starts there.
      systemOptions.authPort = await freePort();
      const signals = `http://127.0.0.1:${systemOptions.authPort}/signals/${PROVIDER_ID}`;
      const admin = await KeycloakAdmin.connect();
      const realm = await provisionRealm(admin, {
        ...(options.backchannelLogout && { backchannelLogoutUrl: `${signals}/backchannel-logout` }),
        pushUrlPrefix: `${signals}/`,
        users: (options.users ?? ['alice', 'bob']).map((username) => ({ username })),
      });
      this.realmOrNone = realm;
      authEnv.IDENTITY_PROVIDERS = JSON.stringify([this.providerEntry(realm)]);
      downstreamEnv.TRUSTED_ISSUERS = JSON.stringify([
        {
          issuer: realm.issuer,
          jwksUrl: realm.jwksUri,
          audience: realm.audience,
          profile: 'jwt',
          algorithms: ['RS256'],
          claims: { clientId: 'azp' },
          maxTokenLifetimeSeconds: 600,
        },
      ]);
    }, 60_000);
    this.system = useSystem(systemOptions);
    beforeAll(async () => {
      const { system } = this;
      this.samples.push(system.orders, system.game);
      this.games.push(system.game);
      for (let i = 1; i < (options.instances ?? 2); i++) {
        const [orders, game] = await Promise.all([
          system.startDownstream('orders'),
          system.startDownstream('game'),
        ]);
        this.samples.push(orders, game);
        this.games.push(game);
      }
      await Promise.all(this.samples.map((s) => system.waitReady(s)));
      if (options.sharedSignals) await this.waitForVerifiedStream();
    }, 90_000);
    afterAll(async () => {
      for (const socket of this.sockets) socket.disconnect();
      await this.realmOrNone?.delete();
    });
  }

  /** A new Keycloak session of the user (password grant of `app`): its tokens and sid. */
  async session(username: string): Promise<{ tokens: TokenSet; sid: string }> {
    const tokens = await this.realm.login(username);
    return { tokens, sid: decodeJwt(tokens.access_token).sid as string };
  }

  /** Expects every instance to accept each of the tokens. */
  async expectAccepted(...tokens: string[]): Promise<void> {
    for (const token of tokens) {
      expect((await this.answers(token)).map((a) => a.status)).toEqual(this.samples.map(() => 200));
    }
  }

  /** The SSF receiver client our auth service uses at the realm. */
  get receiver(): ClientCredentials {
    return this.options.sharedSignals === 'push'
      ? this.realm.pushReceiver
      : this.realm.pollReceiver;
  }

  get realm(): ProvisionedRealm {
    if (!this.realmOrNone) throw new Error('the realm is not provisioned yet');
    return this.realmOrNone;
  }

  /** Every orders and game instance. */
  get instances(): readonly RunningService[] {
    return this.samples;
  }

  /** Our IDENTITY_PROVIDERS entry for the realm: the tested settings of the README's guide. */
  private providerEntry(realm: ProvisionedRealm): Record<string, unknown> {
    const { sharedSignals } = this.options;
    const receiver = sharedSignals === 'push' ? realm.pushReceiver : realm.pollReceiver;
    return {
      id: PROVIDER_ID,
      issuer: realm.issuer,
      jwks_uri: realm.jwksUri,
      max_token_lifetime_seconds: 600,
      backchannel_logout: { audiences: [realm.app.clientId] },
      ...(sharedSignals && {
        ssf: {
          delivery: sharedSignals,
          client_id: receiver.clientId,
          client_secret: receiver.secret,
          scope: 'ssf.read ssf.manage',
          poll_interval_ms: 200,
        },
      }),
    };
  }

  /** Our stream at the realm, set up and verified (its verification event reached us). */
  private async waitForVerifiedStream(): Promise<void> {
    await withKeycloakLog(
      waitFor(
        `a verified ${this.options.sharedSignals} stream of ${PROVIDER_ID}`,
        async () => {
          const rows = await this.system.queryAuthDatabase<{ verified_at: unknown }>(
            'SELECT verified_at FROM ssf_streams WHERE provider_id = $1',
            [PROVIDER_ID],
          );
          return rows[0]?.verified_at ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      ),
    );
  }

  /** The answers of every instance's `GET /me` to the token. */
  async answers(token: string): Promise<{ status: number; code?: string }[]> {
    return Promise.all(
      this.samples.map(async (service) => {
        const answer = await call<{ code?: string }>(`${service.url}/me`, {
          headers: bearer(token),
        });
        return { status: answer.status, code: answer.body?.code };
      }),
    );
  }

  /**
   * Waits until every instance refuses the token with 401 TOKEN_REVOKED; the milliseconds since
   * `sinceMs`. A failure shows what each instance answered, and Keycloak's log.
   */
  async refusedEverywhere(token: string, what: string, sinceMs: number): Promise<number> {
    await withKeycloakLog(
      waitFor(
        `every instance to refuse the token (${what})`,
        async () => {
          const answers = await this.answers(token);
          if (answers.every((a) => a.status === 401 && a.code === 'TOKEN_REVOKED')) return true;
          throw new Error(`the instances answered ${JSON.stringify(answers)}`);
        },
        { timeoutMs: 15_000, intervalMs: 10 },
      ),
    );
    return Date.now() - sinceMs;
  }

  /** A socket on every game instance, connected with the token. */
  async openSockets(token: string): Promise<PlayerSocket[]> {
    return Promise.all(
      this.games.map(async (game) => {
        const socket = io(game.url, {
          transports: ['websocket'],
          reconnection: false,
          auth: { token },
        });
        this.sockets.push(socket);
        const revoked = new Promise<string>((resolve) =>
          socket.once('auth:revoked', (m: { code: string }) => resolve(m.code)),
        );
        const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
        await new Promise<void>((resolve, reject) => {
          socket.once('connect', () => resolve());
          socket.once('connect_error', reject);
        });
        return { socket, revoked, disconnected };
      }),
    );
  }
}
