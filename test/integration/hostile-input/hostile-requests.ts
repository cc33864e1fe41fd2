import fc from 'fast-check';
import type { RawRequest } from './raw-http.ts';

/** Values that exist in the running stack, so that some generated requests get past validation and reach MX. */
export interface KnownValues {
  apiKey: string;
  /** `Basic …` credentials `/mx/webhooks` accepts. */
  mxWebhookAuthorization: string;
  byParameter: Record<string, string[]>;
}

const TRAVERSAL_AND_SPECIALS = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '%2e.',
  '..%2f',
  '..%2F',
  '%2e%2e%2f',
  '..%5c',
  '..\\',
  '%252e%252e%252f',
  '%c0%ae%c0%ae%c0%af',
  '..;',
  '/',
  '%2F',
  '%2f',
  '%5C',
  '%00',
  '%0a',
  '%0d%0a',
  '%09',
  '%7f',
  '%ff',
  '%',
  '%%',
  '%zz',
  '%u002e',
  '~',
  ';',
  ',',
  '@',
  ':',
  '*',
  '"',
  "'",
  '<script>',
  '{x}',
  '$(id)',
  '`id`',
  '|',
  '^',
  '!',
  '$',
  '&',
  '=',
  '+',
  '#',
  '?',
];

const PRINTABLE_ASCII = Array.from({ length: 0x7f - 0x21 }, (_, i) => String.fromCharCode(0x21 + i));

/** Any code point, lone surrogates included (fc's own 'binary' unit builds a costly table of them all). */
const codePoint = fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code));

/** Any text, as UTF-8 percent-escapes (a lone surrogate becomes U+FFFD's bytes). */
const escapedUnicode = fc
  .string({ unit: codePoint, maxLength: 12 })
  .map((text) => [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join(''));

/** Text as it may appear raw in a request target: printable ASCII, traversal, escapes. */
export const hostileToken = fc.oneof(
  fc.constantFrom(...TRAVERSAL_AND_SPECIALS),
  fc.string({ unit: fc.constantFrom(...PRINTABLE_ASCII), maxLength: 16 }),
  escapedUnicode,
);

const hostileText = fc.array(hostileToken, { minLength: 1, maxLength: 6 }).map((tokens) => tokens.join(''));
const oversized = fc
  .tuple(fc.constantFrom('A', '9', '%2e', '..%2f', '-'), fc.integer({ min: 200, max: 4000 }))
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)));

const PLAUSIBLE: Record<string, fc.Arbitrary<string>> = {
  user_id: fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/),
  member_guid: fc.stringMatching(/^MBR-[A-Za-z0-9-]{1,24}$/),
  beat_guid: fc.stringMatching(/^BET-[A-Za-z0-9-]{1,24}$/),
  spending_plan_guid: fc.stringMatching(/^SPL-[A-Za-z0-9-]{1,24}$/),
  spending_plan_account_guid: fc.stringMatching(/^SPA-[A-Za-z0-9-]{1,24}$/),
  category_guid: fc.stringMatching(/^CAT-[A-Za-z0-9-]{1,24}$/),
  top_level_category_guids: fc.stringMatching(/^CAT-[A-Za-z0-9-]{1,12}(,CAT-[A-Za-z0-9-]{1,12}){0,3}$/),
  institution_guid: fc.stringMatching(/^INS-[A-Za-z0-9_-]{1,24}$/),
  start_date: fc.stringMatching(/^\d{4}-(0\d|1[0-2])-[0-3]\d$/),
  end_date: fc.stringMatching(/^\d{4}-(0\d|1[0-2])-[0-3]\d$/),
  job_id: fc.stringMatching(/^job_[a-z0-9]{9}[0-9a-f]{16}$/),
  webhook_id: fc.stringMatching(/^wh_[A-Za-z0-9_-]{1,30}$/),
  msg_id: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
  micro_deposit_guid: fc.stringMatching(/^MIC-[A-Za-z0-9-]{1,24}$/),
  // MX's guids whose prefix the relay does not pin (lib/nexus/nexus-params.ts).
  ...Object.fromEntries(
    ['transaction_guid', 'transaction_rule_guid', 'budget_guid', 'goal_guid', 'holding_guid', 'insight_guid', 'guid'].map(
      (name) => [name, fc.stringMatching(/^[A-Z]{3}-[A-Za-z0-9-]{1,24}$/)],
    ),
  ),
};

/** A value that passes (or nearly passes) the parameter's validation, raw or percent-encoded. */
function plausible(name: string, known: KnownValues): fc.Arbitrary<string> {
  const generated = PLAUSIBLE[name] ?? fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/);
  const existing = known.byParameter[name] ?? [];
  const value = existing.length > 0 ? fc.oneof(fc.constantFrom(...existing), generated) : generated;
  return fc.tuple(value, fc.boolean()).map(([text, encode]) => (encode ? encodeURIComponent(text) : text));
}

/** One path segment: hostile, oversized, plausible with something hostile appended, plausible, or empty. */
const segment = (name: string, known: KnownValues): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: hostileText },
    { weight: 1, arbitrary: oversized },
    { weight: 3, arbitrary: fc.tuple(plausible(name, known), hostileText).map(([value, tail]) => value + tail) },
    { weight: 4, arbitrary: plausible(name, known) },
    { weight: 1, arbitrary: fc.constant('') },
  );

const QUERY_KEYS = [
  'page',
  'records_per_page',
  'use_case',
  'include_holdings',
  'include_transactions',
  'status',
  'since',
  'until',
  'cursor',
  'limit',
];
const PLAUSIBLE_QUERY_VALUES = [
  '1',
  '10',
  '1000',
  '1000000',
  '0',
  '-1',
  '1e3',
  '0x10',
  '%205',
  'PFM',
  'MONEY_MOVEMENT',
  'pfm',
  'true',
  'false',
  'TRUE',
  'pending',
  'delivered',
  '2024-01-01T00:00:00Z',
  '2024-02-30T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-23:59',
  'eyJwayI6IngifQ',
];

const queryPair = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) },
      { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '') },
      { weight: 2, arbitrary: hostileToken },
    ),
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...PLAUSIBLE_QUERY_VALUES) },
      { weight: 3, arbitrary: hostileText },
      { weight: 1, arbitrary: oversized },
    ),
  )
  .map(([key, value]) => `${key}=${value}`);

/** `?…` with known and unknown keys, repeated keys, hostile values; or nothing. */
const queryString = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 5, arbitrary: fc.array(queryPair, { minLength: 1, maxLength: 5 }).map((pairs) => `?${pairs.join('&')}`) },
  { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?=', '?a', '?page', '?page=1&page=2', '?x=1=2') },
);

const URLS = [
  'http://127.0.0.1:1/hook',
  'http://localhost:1/x',
  'https://127.0.0.1/',
  'https://169.254.169.254/latest/meta-data',
  'https://[::1]/',
  'https://0177.0.0.1/',
  'https://2130706433/',
  'https://user:pw@127.0.0.1/',
  'javascript:alert(1)',
  'file:///etc/passwd',
  'ftp://127.0.0.1/',
  '//127.0.0.1/',
  '',
];
// Only addresses and localhost: a generated hostname would send DNS queries out of the test.
const url = fc.oneof(
  fc.constantFrom(...URLS),
  fc.tuple(fc.constantFrom(...URLS), hostileText).map(([base, tail]) => base + tail),
  hostileText,
);
const jsonValue = fc.jsonValue({ maxDepth: 2 });
const anyOf = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary }, { weight: 1, arbitrary: jsonValue }, { weight: 1, arbitrary: hostileText });
const instant = fc.oneof(
  fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom(...PLAUSIBLE_QUERY_VALUES),
);

/** An object with the keys our bodies take (any subset), each plausible or hostile, and sometimes an unknown key. */
const bodyObject = fc.record(
  {
    url: anyOf(url),
    event_types: anyOf(
      fc.array(fc.oneof(fc.constantFrom('*', 'aggregation.*', 'aggregation.started', 'webhook.test', 'nope', ''), hostileText), {
        maxLength: 40,
      }),
    ),
    description: anyOf(fc.oneof(fc.string({ maxLength: 40 }), fc.constant('d'.repeat(600)), fc.constant(null))),
    enabled: anyOf(fc.boolean()),
    challenges: anyOf(
      fc.array(fc.record({ guid: anyOf(fc.stringMatching(/^CRD-[A-Za-z0-9-]{1,20}$/)), value: anyOf(fc.string()) }), {
        maxLength: 25,
      }),
    ),
    since: anyOf(instant),
    until: anyOf(instant),
    status: anyOf(fc.constantFrom('pending', 'pending_endpoint', 'delivered', 'failed', 'nope')),
    cursor: anyOf(fc.base64String({ maxLength: 60 })),
    unexpected: hostileText,
  },
  { requiredKeys: [] },
);

const deeplyNested = fc
  .tuple(fc.integer({ min: 50, max: 5000 }), fc.boolean())
  .map(([depth, objects]) =>
    objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`,
  );

/** No body, JSON (ours, random, deep, oversized) or not JSON at all. */
const body: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: bodyObject.map((value) => JSON.stringify(value)) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deeplyNested },
  { weight: 1, arbitrary: fc.integer({ min: 64 * 1024 - 8, max: 66 * 1024 }).map((size) => JSON.stringify('x'.repeat(size))) },
  {
    weight: 2,
    arbitrary: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('{', 'nul', '\u0000', '<x/>', 'a=b&c=d', '\ufeff{}')),
  },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/merge-patch+json',
      'application/jsonx',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/' + '+'.repeat(5000) + 'json',
    ),
  },
  { weight: 1, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** Latin-1 text: what a header can carry beyond ASCII. */
const latin1 = fc.string({
  unit: fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code === 0x7f ? 0x7e : code)),
});

const authorization = (known: KnownValues) =>
  fc.oneof(
    { weight: 14, arbitrary: fc.constant(`Bearer ${known.apiKey}`) },
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constant(known.mxWebhookAuthorization) },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constantFrom('Bearer', 'Bearer ', `Bearer ${'k'.repeat(15)}`, `Bearer ${'k'.repeat(600)}`, `bearer ${known.apiKey}x`),
        fc.constantFrom(`Basic ${Buffer.from('a:b').toString('base64')}`, 'Basic', 'Basic ====', `Basic ${'A'.repeat(5000)}`),
        fc.string({ unit: fc.constantFrom(...PRINTABLE_ASCII, ' '), maxLength: 80 }),
        latin1.map((text) => `Bearer ${text}`),
      ),
    },
  );

const idempotencyKey = fc.oneof(
  { weight: 5, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom(...PRINTABLE_ASCII), minLength: 1, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom('', ' ', 'k'.repeat(300)), latin1) },
);

const extraHeaders = fc.record(
  {
    'x-request-id': fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{8,40}$/), latin1, fc.constant('r'.repeat(5000))),
    'x-filler': fc.integer({ min: 1, max: 7000 }).map((size) => 'f'.repeat(size)),
    'x-forwarded-for': fc.constantFrom('127.0.0.1', '::1', '"><script>', '0'.repeat(300)),
  },
  { requiredKeys: [] },
);

const clip = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…(${text.length})` : text);

/** Which part of a request is hostile; the others are what a well-behaved client would send. */
const FOCUSES = ['path', 'query', 'body', 'headers', 'everything'] as const;
type Focus = (typeof FOCUSES)[number];

export interface TargetRoute {
  method: string;
  path: string;
  /** What a well-behaved client sends as `authorization` here (a bearer key, MX's Basic credentials, nothing). */
  authorization: string | undefined;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Requests aimed at one route template: hostile path parameters, query, body or headers, or all of them. */
export function hostileRequests(route: TargetRoute, known: KnownValues): fc.Arbitrary<RawRequest> {
  const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!);
  const fill = (values: string[]) => values.reduce((template, value, i) => template.replace(`{${names[i]}}`, value), route.path);
  const paths = {
    hostile: fc.tuple(...names.map((name) => segment(name, known))).map(fill),
    plausible: fc.tuple(...names.map((name) => plausible(name, known))).map(fill),
  };
  const plausibleBody = WRITE_METHODS.has(route.method)
    ? fc.option(
        bodyObject.map((value) => JSON.stringify(value)),
        { nil: undefined },
      )
    : fc.constant(undefined);
  const plausibleKey = fc.option(fc.stringMatching(/^[A-Za-z0-9-]{8,32}$/), { nil: undefined });

  const requestFor = (focus: Focus) => {
    const hostile = (part: Focus) => focus === part || focus === 'everything';
    return fc.record({
      method: hostile('everything')
        ? fc.oneof(
            { weight: 9, arbitrary: fc.constant(route.method) },
            { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE') },
          )
        : fc.constant(route.method),
      path: hostile('path') ? paths.hostile : paths.plausible,
      query: hostile('query') ? queryString : fc.constant(''),
      body: hostile('body') ? body : plausibleBody,
      contentType: hostile('body') || hostile('headers') ? contentType : fc.constant('application/json'),
      authorization: hostile('headers') ? authorization(known) : fc.constant(route.authorization),
      idempotencyKey: hostile('headers') ? idempotencyKey : plausibleKey,
      extra: hostile('headers') ? extraHeaders : fc.constant({}),
    });
  };

  return fc
    .constantFrom(...FOCUSES)
    .chain(requestFor)
    .map(({ method, path, query, body, contentType, authorization, idempotencyKey, extra }) => ({
      [fc.toStringMethod]: () => `${method} ${clip(path + query)} body ${clip(body ?? '(none)')}`,
      method,
      target: path + query,
      body,
      headers: Object.fromEntries(
        Object.entries({
          ...extra,
          authorization,
          'idempotency-key': idempotencyKey,
          'content-type': body === undefined ? undefined : contentType,
        }).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
    }));
}
