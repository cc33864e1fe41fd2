import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIMULATOR_WEBHOOK_CREDENTIALS } from '../../../infra/local/local-stack.ts';
import { collector, settleAndFlush } from '../../support/secrets-scan/collector.ts';
import { LOCAL_MX_CREDENTIALS } from '../../support/secrets-scan/global-setup.ts';
import {
  describeFindings,
  Matcher,
  type ScanRecord,
  scanRecords,
  scanRunDirectory,
  type SecretEntry,
} from '../../support/secrets-scan/scanner.ts';

/**
 * The suite-wide secrets scan (test/support/secrets-scan) can fail: its matcher, its rules and exemptions, the
 * recording hooks. A whole vitest run with a planted leak, which must exit non-zero naming the leak, redacted, is
 * run by `npm test` after the suite (planted-leak-run.mjs).
 */
const secret = (prefix = 'nxr_') => `${prefix}${randomBytes(24).toString('base64url')}`;
const API_KEY = secret();
const SESSION = secret('');
const WHSEC = `whsec_${randomBytes(24).toString('base64')}`;
const KNOWN: SecretEntry[] = [
  { k: 'api key', v: API_KEY },
  { k: 'mx session token', v: SESSION },
  { k: 'webhook secret', v: WHSEC },
];

describe('Matcher (Aho–Corasick)', () => {
  it('finds every pattern present, overlapping and nested ones included, and no other', () => {
    const matcher = new Matcher(['abcdefgh', 'cdefghij', 'defg1234', 'efgh', 'zzzzzzzz']);
    expect([...matcher.find('xxabcdefghijxx')].sort()).toEqual([0, 1, 3]);
    expect([...matcher.find('defg123')]).toEqual([]);
    expect([...matcher.find('ddefg1234')]).toEqual([2]);
  });

  it('agrees with String.includes on random texts and patterns', () => {
    const alphabet = 'ab';
    const random = (length: number) => Array.from({ length }, () => alphabet[randomBytes(1)[0]! % 2]).join('');
    for (let round = 0; round < 200; round++) {
      const patterns = [...new Set(Array.from({ length: 6 }, () => random(1 + (randomBytes(1)[0]! % 6))))];
      const text = random(40);
      const expected = patterns.flatMap((pattern, index) => (text.includes(pattern) ? [index] : []));
      expect([...new Matcher(patterns).find(text)].sort(), `${patterns} in ${text}`).toEqual(expected);
    }
  });
});

describe('scanRecords', () => {
  const scan = (...records: ScanRecord[]) => scanRecords(records, KNOWN);

  it('reports a known secret in a log line, redacted', () => {
    const [finding, ...more] = scan({ s: 'stdout', f: 'test/x.test.ts', t: `{"message":"mx call","token":"${SESSION}"}` });
    expect(more).toEqual([]);
    expect(finding).toMatchObject({ source: 'stdout', file: 'test/x.test.ts', kind: 'mx session token' });
    expect(finding!.excerpt).toContain('[REDACTED mx session token, 32 chars]');
    expect(describeFindings([finding!])).not.toContain(SESSION);
  });

  it('reports unregistered credentials by their shape: whsec_ secrets, Bearer and Basic values', () => {
    const other = secret();
    const findings = scan(
      { s: 'console', t: `rotated to whsec_${randomBytes(24).toString('base64')}` },
      { s: 'stderr', t: `retrying with Authorization: Bearer ${other}` },
      { s: 'webhook', t: `{"auth":"Basic ${Buffer.from('user:password123').toString('base64')}"}` },
    );
    expect(findings.map((finding) => finding.kind)).toEqual(['webhook secret (whsec_)', 'bearer token', 'basic credentials']);
    expect(JSON.stringify(findings)).not.toContain(other);
    // Some random keys have no digit (one 32-character base64url key in about 230): caught by their mixed case.
    const digitless = 'nxr_qWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtY';
    expect(scan({ s: 'stderr', t: `Authorization: Bearer ${digitless}` }).map((finding) => finding.kind)).toEqual([
      'bearer token',
    ]);
  });

  it('does not take prose for credentials', () => {
    const prose = [
      'Send the expected credentials with HTTP Basic authentication.',
      'Send the API key as `Authorization: Bearer <key>`.',
      'the Bearer authentication_scheme is described in RFC 6750',
      '{"securitySchemes":{"api_key":{"type":"http","scheme":"bearer"}}}',
    ];
    expect(scan(...prose.map((t) => ({ s: 'response' as const, c: 'GET /openapi.json 200', t })))).toEqual([]);
  });

  it('lets the webhook secret through only in the create and rotate answers, and nothing else there', () => {
    const body = JSON.stringify({ webhook: { id: 'wh_1', secret: WHSEC } });
    expect(scan({ s: 'response', c: 'POST /webhooks 201', t: body })).toEqual([]);
    expect(scan({ s: 'response', c: 'POST /webhooks/wh_1/rotate-secret 200', t: body })).toEqual([]);
    for (const c of ['GET /webhooks/wh_1 200', 'POST /webhooks/wh_1/test 200', 'POST /webhooks 400']) {
      expect(scan({ s: 'response', c, t: body }), c).toHaveLength(1);
    }
    expect(scan({ s: 'webhook', t: body })).toHaveLength(1);
    expect(scan({ s: 'response', c: 'POST /webhooks 201', t: `${body} ${API_KEY}` })).toMatchObject([{ kind: 'api key' }]);
  });

  it('lets the dev API key through only on the `npm start` banner line', () => {
    const banner = `MX: the simulator at http://127.0.0.1:1\napi key: ${API_KEY} (generated; set LOCAL_API_KEY to choose one)\n`;
    expect(scan({ s: 'subprocess', t: banner })).toEqual([]);
    expect(scan({ s: 'subprocess', t: `${banner}{"message":"request","key":"${API_KEY}"}\n` })).toHaveLength(1);
    expect(scan({ s: 'stdout', t: banner })).toHaveLength(1);
  });

  it('does not show a secret cut by the excerpt’s edge', () => {
    const [finding] = scan({ s: 'stdout', t: `${'x'.repeat(130)}${API_KEY}${'y'.repeat(300)}${SESSION.slice(0, 20)}` });
    expect(finding!.excerpt).not.toContain(API_KEY.slice(0, 12));
  });
});

describe('the run directory', () => {
  it('is scanned across worker files, with the secrets any worker learned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-scan-test-'));
    try {
      writeFileSync(join(dir, '1.secrets.jsonl'), `${JSON.stringify({ k: 'api key', v: API_KEY })}\n`);
      writeFileSync(join(dir, '2.records.jsonl'), `${JSON.stringify({ s: 'stdout', f: 'a.test.ts', t: `key=${API_KEY}` })}\n`);
      writeFileSync(join(dir, '3.records.jsonl'), `${JSON.stringify({ s: 'stdout', t: 'sim-api-key in a log' })}\n`);
      const result = scanRunDirectory(dir, LOCAL_MX_CREDENTIALS);
      expect(result.findings.map((finding) => [finding.file, finding.kind])).toEqual([
        ['a.test.ts', 'api key'],
        [undefined, 'mx credential'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('knows the local configuration’s MX webhook password', () => {
    expect(LOCAL_MX_CREDENTIALS.map((entry) => entry.v)).toContain(SIMULATOR_WEBHOOK_CREDENTIALS.MX_WEBHOOK_PASSWORD);
  });
});

describe('the recording hooks', () => {
  it('see stdout (even when a test installs its own writer), console, and our gateway’s answers', async () => {
    const state = collector();
    const before = state.records.length;
    const marker = `marker-${randomBytes(6).toString('hex')}`;
    const original = process.stdout.write;
    const captured: string[] = [];
    process.stdout.write = ((chunk: string) => captured.push(String(chunk)) > 0) as typeof process.stdout.write;
    process.stdout.write(`${marker} stdout\n`);
    process.stdout.write = original;
    console.info(`${marker} console`);

    const key = secret();
    const server = createServer((_, response) =>
      response.writeHead(200, { 'x-request-id': 'req-00000001' }).end(`${marker} body`),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/users/u1/members`;
    expect(await (await fetch(url, { headers: { authorization: `Bearer ${key}` } })).text()).toBe(`${marker} body`);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all(state.pending);

    expect(captured).toEqual([`${marker} stdout\n`]);
    const mine = state.records.slice(before).filter((record) => record.t.includes(marker));
    expect(mine.map((record) => [record.s, record.c ?? null])).toEqual([
      ['stdout', null],
      ['console', null],
      ['response', 'GET /users/u1/members 200'],
    ]);
    expect(state.secrets.get(key)).toBe('api key');
    await settleAndFlush();
  });
});
