import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { fromFile, Parser, type AsyncAPIDocumentInterface } from '@asyncapi/parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { CAEP_EVENT_TYPES, TOKENFENCE_EVENT_TYPES } from './revocation-event-types.js';
import {
  EVENT_KEY_ID_PREFIX,
  EVENT_TYPE_NAMESPACE,
  EVENT_TYPES,
  parseSecurityEvent,
  SET_TYP,
} from './security-event.js';
import { DEFAULT_REVOCATION_TOPIC, REVOCATION_CONTENT_TYPE, REVOCATION_HEADERS } from './topic.js';

const DOCUMENT = fileURLToPath(new URL('../asyncapi.yaml', import.meta.url));
const SCHEMAS = new URL('../schemas/', import.meta.url);
/** Severity of a parser diagnostic (Spectral's): 0 error, 1 warning, 2 information, 3 hint. */
const WARNING = 1;

/** A message's payload schema as written: a multi-format schema object or a plain schema. */
const payloadOf = (message: { payload(): { json(): unknown } | undefined }): { $id?: string } => {
  const json = message.payload()?.json() as { schema?: { $id?: string }; $id?: string };
  return json?.schema ?? json ?? {};
};

describe('the AsyncAPI document of the topic (libs/contract/asyncapi.yaml)', () => {
  let document: AsyncAPIDocumentInterface;
  let description = '';

  beforeAll(async () => {
    const { document: parsed, diagnostics } = await fromFile(new Parser(), DOCUMENT).parse();
    const problems = diagnostics
      .filter((d) => Number(d.severity) <= WARNING)
      .map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`);
    expect(problems).toEqual([]);
    if (!parsed) throw new Error('the parser returned no document');
    document = parsed;
    description = document.info().description() ?? '';
  }, 60_000);

  it('is AsyncAPI 3 and names the contract topic and content type', () => {
    expect(document.version()).toMatch(/^3\./);
    const channels = document.channels().all();
    expect(channels.map((c) => c.address())).toEqual([DEFAULT_REVOCATION_TOPIC]);
    const messages = document.messages().all();
    expect(messages.map((m) => m.id()).sort()).toEqual(['heartbeat', 'revocationBatch']);
    for (const message of messages) {
      expect(message.contentType()).toBe(REVOCATION_CONTENT_TYPE);
      expect(message.headers()?.json()).toMatchObject({
        properties: { [REVOCATION_HEADERS.contentType]: { const: REVOCATION_CONTENT_TYPE } },
      });
      // Trace context is documented and optional: no consumer may require it.
      const headers = message.headers()?.json() as {
        required?: string[];
        properties?: Record<string, unknown>;
      };
      expect(Object.keys(headers.properties ?? {}).sort()).toEqual(
        Object.values(REVOCATION_HEADERS).sort(),
      );
      expect(headers.required).toEqual([REVOCATION_HEADERS.contentType]);
    }
    const actions = document
      .operations()
      .all()
      .map((o) => o.action())
      .sort();
    expect(actions).toEqual(['receive', 'send']);
  });

  it('gives each SET event type its JSON Schema from libs/contract/schemas', () => {
    const files: Record<string, string> = {
      revocationBatch: 'revocation-batch.schema.json',
      heartbeat: 'heartbeat.schema.json',
    };
    for (const message of document.messages().all()) {
      const file = files[message.id()] ?? '';
      const schema = JSON.parse(readFileSync(new URL(file, SCHEMAS), 'utf8')) as { $id: string };
      expect(payloadOf(message).$id).toBe(schema.$id);
    }
    expect(Object.values(EVENT_TYPES).sort()).toEqual(
      [
        'https://tokenfence.dev/secevent/heartbeat',
        'https://tokenfence.dev/secevent/revocation-batch',
      ].sort(),
    );
  });

  it('documents every event type, scope, the signed SET format and the version rule', () => {
    const names = [
      ...Object.values(EVENT_TYPES),
      ...Object.values(CAEP_EVENT_TYPES),
      ...Object.values(TOKENFENCE_EVENT_TYPES),
    ];
    for (const name of names) expect(description).toContain(name);
    for (const scope of ['token', 'session', 'user', 'all', 'key']) {
      expect(description).toContain(`| \`${scope}\` |`);
    }
    for (const text of [
      `\`typ\` is \`${SET_TYP}\``,
      `starts with \`${EVENT_KEY_ID_PREFIX}\``,
      '`alg` is `EdDSA`',
      '/.well-known/jwks.json',
      '`iss`',
      '`iat`',
      '`jti`',
      '**exactly one**',
      'EVENT_VERSION_UNSUPPORTED',
      EVENT_TYPE_NAMESPACE,
      'At least once',
      'In order per partition',
      'Duplicates are harmless',
      'no Kafka key',
      'snapshot marker',
    ]) {
      expect(description).toContain(text);
    }
  });

  it('has examples that the schemas and the contract parser accept', () => {
    const ajv = new Ajv2020({ strict: true });
    for (const file of readdirSync(SCHEMAS)) {
      ajv.addSchema(JSON.parse(readFileSync(new URL(file, SCHEMAS), 'utf8')) as object);
    }
    let checked = 0;
    for (const message of document.messages().all()) {
      const $id = payloadOf(message).$id ?? '';
      const validate = ajv.getSchema($id);
      if (!validate) throw new Error(`no schema ${$id}`);
      for (const example of message.examples().all()) {
        const payload = example.payload();
        expect(validate(payload)).toBe(true);
        expect(parseSecurityEvent(payload)).toMatchObject({ kind: expect.any(String) });
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });
});
