import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CAEP_EVENT_TYPES,
  EVENT_TYPES,
  REVOCATION_CONTENT_TYPE,
  TOKENFENCE_EVENT_TYPES,
} from '@tokenfence/contract';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import kafkajs from 'kafkajs';
import { form, FORM } from './support/clients.js';
import { bearer, call } from './support/http.js';
import { TestSystem } from './support/system.js';
import {
  login,
  loggedIn,
  PASSWORD,
  register,
  uniqueName,
  type TokenPair,
} from './support/users.js';
import { waitFor } from './support/wait-for.js';
import { testConsumer } from './support/test-consumer.js';

const ADMIN = { username: 'schema-admin', password: 'an admin password for tests' };
const FIRST_PARTY = 'tokenfence-first-party';

/** libs/contract/schemas, compiled with ajv's draft 2020-12 dialect. */
const SCHEMAS = new URL('../libs/contract/schemas/', import.meta.url);
const ajv = new Ajv2020({ strict: true, allErrors: true });
for (const file of readdirSync(SCHEMAS)) {
  ajv.addSchema(JSON.parse(readFileSync(new URL(file, SCHEMAS), 'utf8')) as object);
}
const schema = (file: string): ValidateFunction => {
  const validate = ajv.getSchema(`https://tokenfence.dev/schemas/contract/${file}`);
  if (!validate) throw new Error(`no schema ${file}`);
  return validate;
};
/** The schema of each SET event type: one of these, or the message is not ours. */
const SET_SCHEMAS: Record<string, ValidateFunction> = {
  [EVENT_TYPES.revocationBatch]: schema('revocation-batch.schema.json'),
  [EVENT_TYPES.heartbeat]: schema('heartbeat.schema.json'),
};
const HEADER = schema('set-header.schema.json');
const MEMBER: Record<string, ValidateFunction> = Object.fromEntries(
  ['token', 'session', 'user', 'all', 'key'].map((s) => [s, schema(`revocation-${s}.schema.json`)]),
);

interface Member {
  scope: string;
  reason: string;
  eventType?: string;
  iss?: string;
}
interface Seen {
  setTypes: Map<string, number>;
  /** `scope eventType` of every revocation. */
  revocations: Map<string, number>;
  reasons: Set<string>;
  snapshotParts: { partition: number; last: boolean; reason: string }[];
  messages: number;
  members: number;
  problems: string[];
}

/**
 * Every kind of message the auth service publishes, captured off a live topic, verified against
 * its JWKS and validated against the schemas that libs/contract/asyncapi.yaml references.
 */
describe('real messages on the topic match the contract schemas', () => {
  const system = new TestSystem({
    database: 'embedded',
    authEnv: {
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      REFRESH_GRACE_SECONDS: '0',
    },
  });
  let consumer: kafkajs.Consumer | undefined;
  const seen: Seen = {
    setTypes: new Map(),
    revocations: new Map(),
    reasons: new Set(),
    snapshotParts: [],
    messages: 0,
    members: 0,
    problems: [],
  };
  const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  beforeAll(async () => {
    await system.start();
  }, 120_000);
  afterAll(async () => {
    await consumer?.disconnect();
    await system.stop();
  }, 60_000);

  async function capture(): Promise<void> {
    const issuer = new URL(system.auth.url).origin;
    let keys: ReturnType<typeof createLocalJWKSet> | undefined;
    const refreshKeys = async () => {
      const jwks = await call<JSONWebKeySet>(`${system.auth.url}/.well-known/jwks.json`);
      keys = createLocalJWKSet(jwks.body);
    };
    await refreshKeys();
    const kafka = new kafkajs.Kafka({
      brokers: system.brokers.split(','),
      clientId: 'schema-check',
      logLevel: kafkajs.logLevel.NOTHING,
    });
    consumer = testConsumer(kafka, 'schema-check');
    await consumer.connect();
    await consumer.subscribe({ topic: system.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const where = `p${partition}@${message.offset}`;
        const value = message.value?.toString('ascii') ?? '';
        // As documented: no Kafka key (the auth service picks the partition), the content type.
        if (message.key !== null) seen.problems.push(`${where}: a Kafka key`);
        if (message.headers?.['content-type']?.toString() !== REVOCATION_CONTENT_TYPE) {
          seen.problems.push(`${where}: content-type ${String(message.headers?.['content-type'])}`);
        }
        try {
          const header = decodeProtectedHeader(value);
          if (!HEADER(header))
            seen.problems.push(`${where} header: ${ajv.errorsText(HEADER.errors)}`);
          // Genuine: signed by an event key of the JWKS (fetched again for a new key).
          const verified = await compactVerify(value, keys!, { algorithms: ['EdDSA'] }).catch(
            async () => {
              await refreshKeys();
              return compactVerify(value, keys!, { algorithms: ['EdDSA'] });
            },
          );
          const claims = JSON.parse(new TextDecoder().decode(verified.payload)) as {
            iss: string;
            events: Record<string, { revocations?: Member[]; snapshot?: Seen['snapshotParts'][0] }>;
          };
          if (claims.iss !== issuer) seen.problems.push(`${where}: iss ${claims.iss}`);
          const [type = ''] = Object.keys(claims.events ?? {});
          const validate = SET_SCHEMAS[type];
          if (!validate) {
            seen.problems.push(`${where}: no schema for SET event type ${type}`);
            return;
          }
          if (!validate(claims)) {
            seen.problems.push(`${where} ${type}: ${ajv.errorsText(validate.errors)}`);
            return;
          }
          count(seen.setTypes, type);
          seen.messages++;
          const body = claims.events[type];
          for (const member of body?.revocations ?? []) {
            const byScope = MEMBER[member.scope];
            if (!byScope?.(member)) {
              seen.problems.push(`${where} ${member.scope}: ${ajv.errorsText(byScope?.errors)}`);
            }
            // What today's producer writes, beyond what a reader must accept.
            if (!member.eventType || member.iss !== issuer) {
              seen.problems.push(`${where}: a member without eventType or this issuer`);
            }
            count(seen.revocations, `${member.scope} ${member.eventType}`);
            seen.reasons.add(member.reason);
            seen.members++;
          }
          if (body?.snapshot) seen.snapshotParts.push(body.snapshot);
        } catch (err) {
          seen.problems.push(`${where}: ${(err as Error).message}`);
        }
      },
    });
  }

  it('every message verifies and validates, and every event type the auth service writes is seen', async () => {
    await capture();
    const url = system.auth.url;
    const admin = async () =>
      (await call<TokenPair>(`${url}/auth/login`, { json: ADMIN })).body.access_token;
    const post = async (path: string, token: string, json?: unknown) =>
      (await call(`${url}${path}`, { method: 'POST', headers: bearer(token), json })).status;

    // A session logout, and logout-all.
    const one = await loggedIn(url, 'schemas');
    expect(await post('/auth/logout', one.access_token)).toBe(204);
    const username = uniqueName('schemas');
    const id = await register(url, username);
    const all = await login(url, username);
    expect(await post('/auth/logout-all', all.access_token)).toBe(204);
    // A password change ends the other sessions (credential-change).
    await login(url, username); // another session, which the change ends
    const current = await login(url, username);
    expect(
      await post('/auth/password', current.access_token, {
        current_password: PASSWORD,
        new_password: `${PASSWORD} 2`,
      }),
    ).toBe(204);
    // Refresh-token reuse ends the session.
    const reused = await loggedIn(url, 'reuse');
    const body = { refresh_token: reused.refresh_token };
    expect((await call(`${url}/auth/refresh`, { json: body })).status).toBe(200);
    expect((await call(`${url}/auth/refresh`, { json: body })).status).toBe(401);
    // RFC 7009: one access token.
    const single = await loggedIn(url, 'rfc7009');
    const revoked = await call(`${url}/oauth/revoke`, {
      method: 'POST',
      headers: FORM,
      body: form({
        token: single.access_token,
        token_type_hint: 'access_token',
        client_id: FIRST_PARTY,
      }),
    });
    expect(revoked.status).toBe(200);
    // The admin's revocations: sessions, scopes, disable, a signing key, everyone, a snapshot.
    let token = await admin();
    const target = uniqueName('target');
    const targetId = await register(url, target);
    expect(await post(`/admin/users/${targetId}/revoke-sessions`, token)).toBe(204);
    const rescope = await call(`${url}/admin/users/${targetId}/scopes`, {
      method: 'PUT',
      headers: bearer(token),
      json: { scope: 'profile orders:read' },
    });
    expect(rescope.status).toBe(204);
    expect(await post(`/admin/users/${id}/disable`, token)).toBe(204);
    const kid = decodeProtectedHeader(token).kid ?? '';
    expect(await post(`/admin/keys/${kid}/revoke`, token)).toBe(204);
    token = await admin();
    expect(await post('/admin/revoke-all', token)).toBe(204);
    token = await admin();
    expect(await post('/admin/topic/snapshot', token)).toBe(202);

    const expected = [
      `session ${CAEP_EVENT_TYPES.sessionRevoked}`,
      `user ${CAEP_EVENT_TYPES.sessionRevoked}`,
      `session ${CAEP_EVENT_TYPES.credentialChange}`,
      `user ${CAEP_EVENT_TYPES.tokenClaimsChange}`,
      `user ${TOKENFENCE_EVENT_TYPES.accountDisabled}`,
      `token ${TOKENFENCE_EVENT_TYPES.tokenRevoked}`,
      `all ${TOKENFENCE_EVENT_TYPES.globalCutoff}`,
      `key ${TOKENFENCE_EVENT_TYPES.keyRevoked}`,
    ];
    const partitions = await topicPartitions(system);
    await waitFor(
      'every event type, heartbeats and a whole snapshot on the topic',
      () => {
        const missing = expected.filter((e) => !seen.revocations.has(e));
        const lastParts = new Set(
          seen.snapshotParts
            .filter((p) => p.last && p.reason === 'requested')
            .map((p) => p.partition),
        );
        const done =
          missing.length === 0 &&
          (seen.setTypes.get(EVENT_TYPES.heartbeat) ?? 0) >= partitions &&
          lastParts.size === partitions;
        return Promise.resolve(done ? true : undefined);
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}; seen ${JSON.stringify([...seen.revocations.keys()])}, ` +
          `${seen.snapshotParts.length} snapshot parts; problems: ${seen.problems.join('; ')}`,
      );
    });

    expect(seen.problems).toEqual([]);
    for (const reason of [
      'logout',
      'logout-all',
      'password-change',
      'refresh-reuse',
      'oauth-revoke',
    ]) {
      expect(seen.reasons).toContain(reason);
    }
    // Every SET event type seen had a schema (others were counted as problems, above).
    expect([...seen.setTypes.keys()].sort()).toEqual(Object.keys(SET_SCHEMAS).sort());
    process.stderr.write(
      `[topic-schemas] validated ${seen.messages} messages ` +
        `(${[...seen.setTypes].map(([t, n]) => `${n} ${t.split('/').pop()}`).join(', ')}), ` +
        `${seen.members} revocations, ${seen.snapshotParts.length} snapshot parts\n`,
    );
  });
});

async function topicPartitions(system: TestSystem): Promise<number> {
  const admin = new kafkajs.Kafka({
    brokers: system.brokers.split(','),
    logLevel: kafkajs.logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [system.topic] });
    return metadata.topics[0]?.partitions.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}
