import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The suite-wide secrets scan, main-process side: reads what every worker recorded (log lines, response bodies,
 * webhook payloads, subprocess output) and the secrets known to the run, and reports every record holding one.
 * Known values are found with one Aho–Corasick pass per record (thousands of keys cost no more than one); pattern
 * rules catch credentials that were never registered (`whsec_…`, `Bearer …`, `Basic …`).
 */

/** Where a recorded text came from. */
/** Where a recorded text came from; `table`: every item of a stack's table, dumped at the end of a test that asks. */
export type Source = 'stdout' | 'stderr' | 'console' | 'response' | 'webhook' | 'subprocess' | 'table';

/** One recorded text: source, context (`POST /webhooks 201` for a response), test file, text. */
export interface ScanRecord {
  s: Source;
  c?: string;
  f?: string;
  t: string;
}

export type SecretKind =
  | 'api key'
  | 'mx session token'
  | 'mx api token'
  | 'webhook secret'
  | 'mx credential'
  /** A user's bank credential value, sent to create or update a member. */
  | 'member credential'
  | 'basic password'
  | 'session token header'
  /** What MX's verification gathers: account, routing, transit and institution numbers. */
  | 'account number'
  /** What MX's identification gathers: an owner's name, address, email, phone. */
  | 'account owner'
  /** MX's one-time OAuth window URI (and its token): a credential, like a widget URL. */
  | 'oauth window';

export interface SecretEntry {
  k: SecretKind;
  v: string;
}

export interface Finding {
  file: string | undefined;
  source: Source;
  context: string | undefined;
  kind: string;
  /** The text around the first occurrence, every known secret and rule match in it redacted. */
  excerpt: string;
}

/** Shorter values are not tracked: they would match ordinary text (every real credential here is longer). */
export const MIN_SECRET_LENGTH = 8;

/**
 * Credentials by their shape. `accept` keeps prose out: "HTTP Basic authentication" is not base64 of `user:password`,
 * and a word after "Bearer" is not a token. Random key material has digits, or failing that (one 32-character
 * base64url key in about 230 has none) both cases of letters over 20 characters, which no English word has.
 */
const RULES: { kind: string; pattern: RegExp; accept?: (match: RegExpMatchArray) => boolean }[] = [
  { kind: 'webhook secret (whsec_)', pattern: /whsec_[A-Za-z0-9+/]{16,}={0,2}/g },
  {
    kind: 'bearer token',
    pattern: /\bBearer\s+([A-Za-z0-9._~+/-]{16,}=*)/gi,
    accept: ([, token]) =>
      /[A-Za-z]/.test(token!) && (/\d/.test(token!) || (token!.length >= 20 && /[a-z]/.test(token!) && /[A-Z]/.test(token!))),
  },
  {
    kind: 'basic credentials',
    pattern: /\bBasic\s+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])/g,
    accept: (match) => /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(Buffer.from(match[1]!, 'base64').toString('latin1')),
  },
];

/**
 * The one legitimate place a secret appears: the answer to creating a webhook or rotating its secret carries
 * the new `whsec_` secret, once (an idempotent replay of that request answers the same). Nothing else is exempt.
 */
const WEBHOOK_SECRET_ANSWER = /^POST \/webhooks(?:\/[^/\s]+\/rotate-secret)? 2\d\d$/;
const WEBHOOK_SECRET_KINDS = new Set(['webhook secret', 'webhook secret (whsec_)']);
/** `npm start` prints the dev API key on purpose (docs/ARCHITECTURE.md → Local runtime): that one banner line only. */
const API_KEY_BANNER = /^api key: \S+(?: \(generated; set LOCAL_API_KEY to choose one\))?$/gm;

function allowedKinds(record: ScanRecord): Set<string> | undefined {
  if (record.s === 'response' && record.c && WEBHOOK_SECRET_ANSWER.test(record.c)) return WEBHOOK_SECRET_KINDS;
  return undefined;
}

const textOf = (record: ScanRecord) =>
  record.s === 'subprocess' ? record.t.replace(API_KEY_BANNER, 'api key: [banner]') : record.t;

/** Aho–Corasick over UTF-16 code units: every pattern occurring in a text, in one pass. */
export class Matcher {
  readonly #next: Map<number, number>[] = [new Map()];
  readonly #fail: number[] = [0];
  /** The pattern ending exactly at this node, or -1. */
  readonly #terminal: number[] = [-1];
  /** The nearest node along the failure links (itself excluded) where a pattern ends, or 0. */
  readonly #dictionary: number[] = [0];

  constructor(readonly patterns: readonly string[]) {
    patterns.forEach((pattern, index) => {
      let node = 0;
      for (let i = 0; i < pattern.length; i++) {
        const code = pattern.charCodeAt(i);
        let child = this.#next[node]!.get(code);
        if (child === undefined) {
          child = this.#next.length;
          this.#next.push(new Map());
          this.#fail.push(0);
          this.#terminal.push(-1);
          this.#dictionary.push(0);
          this.#next[node]!.set(code, child);
        }
        node = child;
      }
      this.#terminal[node] = index;
    });
    const queue: number[] = [...this.#next[0]!.values()];
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!;
      for (const [code, child] of this.#next[node]!) {
        let fail = this.#fail[node]!;
        while (fail !== 0 && !this.#next[fail]!.has(code)) fail = this.#fail[fail]!;
        const target = this.#next[fail]!.get(code);
        const link = target !== undefined && target !== child ? target : 0;
        this.#fail[child] = link;
        this.#dictionary[child] = this.#terminal[link] !== -1 ? link : this.#dictionary[link]!;
        queue.push(child);
      }
    }
  }

  /** Indexes (into `patterns`) of the patterns found in `text`. */
  find(text: string): Set<number> {
    const found = new Set<number>();
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      while (node !== 0 && !this.#next[node]!.has(code)) node = this.#fail[node]!;
      node = this.#next[node]!.get(code) ?? 0;
      for (let at = this.#terminal[node] !== -1 ? node : this.#dictionary[node]!; at !== 0; at = this.#dictionary[at]!) {
        found.add(this.#terminal[at]!);
      }
    }
    return found;
  }
}

/** Scans `records` for `secrets` and the pattern rules. */
export function scanRecords(records: Iterable<ScanRecord>, secrets: Iterable<SecretEntry>): Finding[] {
  const kinds = new Map<string, SecretKind>();
  for (const { k, v } of secrets) if (v.length >= MIN_SECRET_LENGTH && !kinds.has(v)) kinds.set(v, k);
  const values = [...kinds.keys()];
  const matcher = new Matcher(values);
  const findings: Finding[] = [];
  for (const record of records) {
    const text = textOf(record);
    const allowed = allowedKinds(record);
    const hits: { kind: string; value: string }[] = [];
    for (const index of matcher.find(text)) hits.push({ kind: kinds.get(values[index]!)!, value: values[index]! });
    for (const { kind, pattern, accept } of RULES) {
      for (const match of text.matchAll(pattern)) if (!accept || accept(match)) hits.push({ kind, value: match[0] });
    }
    const leaks = hits.filter((hit) => !allowed?.has(hit.kind));
    if (leaks.length === 0) continue;
    const first = leaks.reduce((a, b) => (text.indexOf(a.value) <= text.indexOf(b.value) ? a : b));
    const at = text.indexOf(first.value);
    const excerpt = redact(text.slice(Math.max(0, at - 120), at + first.value.length + 120), hits);
    const leakKinds = [...new Set([first.kind, ...leaks.map((leak) => leak.kind)])].join(', ');
    findings.push({ file: record.f, source: record.s, context: record.c, kind: leakKinds, excerpt });
  }
  return findings;
}

/** `text` with every hit (longest first) replaced by its kind and length. */
export function redact(text: string, hits: { kind: string; value: string }[]): string {
  let redacted = text;
  for (const { kind, value } of [...hits].sort((a, b) => b.value.length - a.value.length)) {
    redacted = redacted.split(value).join(`[REDACTED ${kind}, ${value.length} chars]`);
  }
  // A secret cut by the excerpt's edges must not show either.
  for (const { value } of hits) {
    for (let keep = value.length - 1; keep >= MIN_SECRET_LENGTH; keep--) {
      if (redacted.startsWith(value.slice(-keep))) redacted = `[REDACTED]${redacted.slice(keep)}`;
      if (redacted.endsWith(value.slice(0, keep))) redacted = `${redacted.slice(0, -keep)}[REDACTED]`;
    }
  }
  return redacted.replace(/\s+/g, ' ');
}

const readJsonLines = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as T);

export interface RunScan {
  findings: Finding[];
  records: number;
  characters: number;
  secrets: number;
  /** How many secrets of each kind the run knew. */
  secretKinds: Record<string, number>;
}

/** Scans a run directory: `*.records.jsonl` and `*.secrets.jsonl` as the workers wrote them. */
export function scanRunDirectory(dir: string, extraSecrets: SecretEntry[] = []): RunScan {
  const files = existsSync(dir) ? readdirSync(dir) : [];
  const secrets = [...extraSecrets];
  for (const file of files.filter((name) => name.endsWith('.secrets.jsonl')))
    secrets.push(...readJsonLines<SecretEntry>(join(dir, file)));
  const records: ScanRecord[] = [];
  for (const file of files.filter((name) => name.endsWith('.records.jsonl')))
    records.push(...readJsonLines<ScanRecord>(join(dir, file)));
  return {
    findings: scanRecords(records, secrets),
    records: records.length,
    characters: records.reduce((sum, record) => sum + record.t.length, 0),
    secrets: new Set(secrets.map((secret) => secret.v)).size,
    secretKinds: countKinds(secrets),
  };
}

function countKinds(secrets: SecretEntry[]): Record<string, number> {
  const byValue = new Map(secrets.map((secret) => [secret.v, secret.k]));
  const counts: Record<string, number> = {};
  for (const kind of byValue.values()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** The message a failing run shows: where each leak was, redacted. */
export function describeFindings(findings: Finding[], limit = 20): string {
  const lines = findings
    .slice(0, limit)
    .map(
      (finding, i) =>
        `${i + 1}. ${finding.kind} in ${finding.source}${finding.context ? ` (${finding.context})` : ''}` +
        `${finding.file ? ` during ${finding.file}` : ''}:\n   ${finding.excerpt}`,
    );
  const groups = new Map<string, number>();
  for (const { kind, source, context } of findings) {
    const key = `${kind} in ${source}${context ? ` (${context.replace(/ \d{3}$/, '')})` : ''}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const more =
    findings.length > limit
      ? [`… and ${findings.length - limit} more; all of them: ${[...groups].map(([key, n]) => `${n}× ${key}`).join('; ')}`]
      : [];
  return [`secrets scan: ${findings.length} record(s) hold a secret`, ...lines, ...more].join('\n');
}
