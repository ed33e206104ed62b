import fc from 'fast-check';
import { anyFieldValue, anyJson, anyString, headerText, percentEncode } from './values.js';

/** What a generated body adds to a request. */
export interface FuzzBody {
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Plausible fields of an endpoint: each field name with values that may pass validation. */
export type FieldSpec = Readonly<Record<string, fc.Arbitrary<unknown>>>;

const JSON_TYPE = { 'content-type': 'application/json' };
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };

/**
 * An object shaped like the endpoint's body: every field optional, each either plausible or any
 * value of any type, sometimes with extra fields.
 */
const shaped = (fields: FieldSpec): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .tuple(
      fc.record(
        Object.fromEntries(
          Object.entries(fields).map(([name, plausible]) => [
            name,
            fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 1, arbitrary: anyFieldValue }),
          ]),
        ),
        { requiredKeys: [] },
      ),
      fc.oneof(
        { weight: 4, arbitrary: fc.constant({}) },
        {
          weight: 1,
          arbitrary: fc.dictionary(
            anyString.filter((k) => k.length < 50),
            anyFieldValue,
            { maxKeys: 3 },
          ),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom<Record<string, unknown>>(
            JSON.parse('{"__proto__": {"admin": true}}') as Record<string, unknown>,
            { constructor: { prototype: { x: 1 } } },
          ),
        },
      ),
    )
    .map(([own, extra]) => ({ ...own, ...extra }));

/** The same fields as an urlencoded form: strings only, sometimes repeated keys. */
const formOf = (fields: FieldSpec): fc.Arbitrary<string> =>
  fc
    .tuple(
      shaped(fields),
      fc.array(fc.tuple(fc.constantFrom(...Object.keys(fields), 'x'), anyString), { maxLength: 2 }),
    )
    .map(([object, repeats]) => {
      const pairs: [string, string][] = Object.entries(object).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : (JSON.stringify(v) ?? ''),
      ]);
      return [...pairs, ...repeats]
        .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
        .join('&');
    });

const deeplyNested = fc
  .tuple(fc.integer({ min: 50, max: 5_000 }), fc.boolean())
  .map(([n, arrays]) =>
    arrays ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n),
  );

const notJson = fc.oneof(
  fc.constantFrom(
    '{',
    '{"username":',
    "{'a':1}",
    '[1,]',
    'undefined',
    '\ufeff{}',
    '{"a":1}{"b":2}',
    'null',
    '"text"',
    '1',
  ),
  anyString,
);

/** Bodies of every kind, led by the endpoint's own shape in JSON (or as a form when `form`). */
export function bodies(fields: FieldSpec, form: boolean): fc.Arbitrary<FuzzBody> {
  const formBody = formOf(fields).map((body) => ({ headers: FORM_TYPE, body }));
  return fc.oneof(
    {
      weight: form ? 2 : 5,
      arbitrary: shaped(fields).map((o) => ({ headers: JSON_TYPE, body: JSON.stringify(o) })),
    },
    { weight: form ? 6 : 1, arbitrary: formBody },
    { weight: 2, arbitrary: anyJson.map((v) => ({ headers: JSON_TYPE, body: JSON.stringify(v) })) },
    { weight: 1, arbitrary: notJson.map((body) => ({ headers: JSON_TYPE, body })) },
    { weight: 1, arbitrary: notJson.map((body) => ({ headers: FORM_TYPE, body })) },
    { weight: 1, arbitrary: deeplyNested.map((body) => ({ headers: JSON_TYPE, body })) },
    { weight: 1, arbitrary: fc.constant({ headers: {} }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.oneof(
            fc.constantFrom(
              'text/plain',
              'multipart/form-data; boundary=x',
              'application/xml',
              'application/json; charset=utf-16',
              'application/json; charset=koi8-r',
              'application/json; charset',
              'application/x-www-form-urlencoded; charset=utf-7',
              'application/*',
              ';;;',
            ),
            headerText(40),
          ),
          fc.oneof(
            shaped(fields).map((o) => JSON.stringify(o)),
            anyString,
          ),
        )
        .map(([type, body]) => ({ headers: { 'content-type': type }, body })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown'), shaped(fields))
        .map(([encoding, o]) => ({
          headers: { ...JSON_TYPE, 'content-encoding': encoding },
          body: JSON.stringify(o),
        })),
    },
  );
}
