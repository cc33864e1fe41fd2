import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import type { ScanRecord, SecretEntry, SecretKind, Source } from './scanner.ts';
import { MIN_SECRET_LENGTH } from './scanner.ts';

/**
 * The suite-wide secrets scan, worker side. It records what a leak could show up in — every line written to
 * stdout/stderr or through `console`, the body of every answer our gateway gives (the `fetch` helpers and the raw
 * HTTP client), every webhook payload the test receiver gets, the output of `npm start` subprocesses — and learns
 * the secrets of the run: credentials the tests send (`Authorization`, MX headers), tokens the MX simulator issues,
 * webhook secrets returned on create/rotate, MX credentials from the environment. Records and secrets are appended
 * to files of the run directory after each test file; the global teardown (`global-setup.ts`) scans them all.
 *
 * State lives on `globalThis`, so it outlives the per-file module registry of a worker process.
 */
interface CollectorState {
  dir: string | undefined;
  records: ScanRecord[];
  characters: number;
  secrets: Map<string, SecretKind>;
  unsaved: SecretEntry[];
  pending: Set<Promise<void>>;
  file: string | undefined;
}

const STATE = Symbol.for('nexus-relay.secrets-scan');
const FLUSH_AT_CHARACTERS = 4 * 1024 * 1024;

export function collector(): CollectorState {
  const holder = globalThis as unknown as Record<symbol, CollectorState | undefined>;
  holder[STATE] ??= {
    dir: undefined,
    records: [],
    characters: 0,
    secrets: new Map(),
    unsaved: [],
    pending: new Set(),
    file: undefined,
  };
  return holder[STATE];
}

/**
 * A value that must not appear in any log line, answer or webhook payload. Values too short or too uniform to be
 * key material (`AAAA…` from the hostile-input generator) are ignored: they would match innocent text.
 */
export function registerSecret(kind: SecretKind, value: string | undefined | null): void {
  const state = collector();
  const trimmed = value?.trim();
  if (!trimmed || trimmed.length < MIN_SECRET_LENGTH || state.secrets.has(trimmed)) return;
  if (new Set(trimmed).size < 6) return;
  state.secrets.set(trimmed, kind);
  state.unsaved.push({ k: kind, v: trimmed });
}

export function recordText(source: Source, text: string, context?: string): void {
  if (text === '') return;
  const state = collector();
  state.records.push({ s: source, c: context, f: state.file, t: text });
  state.characters += text.length;
  if (state.characters >= FLUSH_AT_CHARACTERS) flush();
}

/** Keeps `work` (a recording still reading a body) from being lost by a flush that comes first. */
export function track(work: Promise<void>): void {
  const state = collector();
  const tracked = work.catch(() => {}).finally(() => state.pending.delete(tracked));
  state.pending.add(tracked);
}

type HeaderSource = Headers | Record<string, string | string[] | number | undefined> | [string, string][] | undefined;

const headerEntries = (headers: HeaderSource): [string, string][] => {
  if (!headers) return [];
  if (headers instanceof Headers || Array.isArray(headers)) return [...(headers as Iterable<[string, string]>)];
  return Object.entries(headers).flatMap(([name, value]) =>
    value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : String(value)] as [string, string]],
  );
};

/**
 * Learns the credentials a request carried — API keys, HTTP Basic passwords, MX keys and tokens — when its answer
 * (`status`) shows they were accepted: refused ones (401) are guesses, not the run's secrets, and the hostile-input
 * suite sends the same junk in headers and paths.
 */
export function observeRequestHeaders(headers: HeaderSource, status: number): void {
  if (status === 401) return;
  for (const [rawName, value] of headerEntries(headers)) {
    const name = rawName.toLowerCase();
    if (name === 'authorization') {
      const bearer = /^\s*Bearer\s+(\S+)/i.exec(value);
      if (bearer) registerSecret('api key', bearer[1]);
      const basic = /^\s*Basic\s+([A-Za-z0-9+/=]+)/i.exec(value);
      if (basic)
        registerSecret('basic password', Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').slice(1).join(':'));
    } else if (name === 'md-api-key') registerSecret('mx credential', value);
    else if (name === 'md-session-token') registerSecret('mx session token', value);
    else if (name === 'md-api-token') registerSecret('mx api token', value);
  }
}

const WHSEC = /whsec_[A-Za-z0-9+/]+={0,2}/g;

/**
 * Records an answer of our gateway (recognised by its `x-request-id`, which every answer carries and the simulator's
 * do not) and learns the webhook secrets create/rotate answers return; from the simulator, only the tokens it issues.
 */
export function observeResponse(method: string, target: string, status: number, headers: Headers, text: string): void {
  const path = target.split('?')[0]!;
  if (headers.has('x-request-id') && SENSITIVE_READ.test(path) && (status === 200 || status === 201)) {
    // The one place account numbers, owners and OAuth windows may be: learnt, not recorded.
    learnSensitive(text);
    return;
  }
  if (headers.has('x-request-id')) {
    recordText('response', text, `${method.toUpperCase()} ${path} ${status}`);
    for (const [secret] of text.matchAll(WHSEC)) {
      registerSecret('webhook secret', secret);
      registerSecret('webhook secret', secret.slice('whsec_'.length));
    }
    return;
  }
  for (const [, token] of text.matchAll(/"token"\s*:\s*"([^"]+)"/g)) registerSecret('mx session token', token);
}

/** The relay's reads of what MX's verification and identification gathered, and the OAuth windows it hands out. */
const SENSITIVE_READ = /\/(account_numbers|account_number|account_owners|oauth_window)$/;
const NUMBER_FIELDS = ['account_number', 'routing_number', 'transit_number', 'institution_number'] as const;
const OWNER_FIELDS = ['owner_name', 'address', 'city', 'email', 'phone', 'postal_code'] as const;

/** Registers every account number and owner field of an account numbers or owners answer. */
export function learnSensitive(text: string): void {
  let body: {
    account_numbers?: Record<string, unknown>[];
    account_owners?: Record<string, unknown>[];
    oauth_window?: { url?: unknown };
  };
  try {
    body = JSON.parse(text);
  } catch {
    return;
  }
  for (const entry of body.account_numbers ?? []) {
    for (const field of NUMBER_FIELDS) if (entry[field] != null) registerSecret('account number', String(entry[field]));
  }
  const window = body.oauth_window?.url;
  if (typeof window === 'string') {
    registerSecret('oauth window', window);
    registerSecret('oauth window', window.split('/').at(-1));
  }
  for (const entry of body.account_owners ?? []) {
    for (const field of OWNER_FIELDS) if (typeof entry[field] === 'string') registerSecret('account owner', entry[field]);
  }
}

/** Where a simulator answer may carry a token (SSO `api_token`, `POST /sessions`): only these bodies are read. */
const SIMULATOR_TOKEN_PATH = /\/api_token$|^\/sessions$/;

/** `fetch` that also observes: wraps the global one once per worker process. */
export function hookFetch(): void {
  const holder = globalThis as unknown as { fetch: typeof fetch & { [STATE]?: true } };
  if (holder.fetch[STATE]) return;
  const original = holder.fetch;
  const observing = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    const response = await original(input, init);
    try {
      observeRequestHeaders(new Headers(init?.headers ?? request?.headers), response.status);
      const url = new URL(request?.url ?? String(input));
      const method = init?.method ?? request?.method ?? 'GET';
      const ours = response.headers.has('x-request-id');
      if (ours || SIMULATOR_TOKEN_PATH.test(url.pathname)) {
        const copy = response.clone();
        track(copy.text().then((text) => observeResponse(method, url.pathname, response.status, response.headers, text)));
      }
    } catch {
      // Observing must never change what the caller gets.
    }
    return response;
  };
  holder.fetch = Object.assign(observing, { [STATE]: true as const }) as typeof fetch & { [STATE]?: true };
}

type Write = (chunk: unknown, ...rest: unknown[]) => boolean;

/**
 * Records what is written to `stream` while keeping whatever `write` tests install themselves: the property becomes
 * an accessor whose setter swaps the inner writer, so a test capturing `process.stdout.write` still gets every line
 * and the scan still sees it. A writer that calls back into the hook (a bound copy of it) reaches the original.
 */
export function hookStream(stream: NodeJS.WriteStream, source: Source): void {
  const marked = stream as NodeJS.WriteStream & { [STATE]?: true };
  if (marked[STATE]) return;
  const original = stream.write as Write;
  let inner: Write = original;
  let inside = false;
  const write: Write = function (this: unknown, chunk, ...rest) {
    if (inside) return original.call(stream, chunk, ...rest);
    inside = true;
    try {
      recordText(source, typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      return inner.call(stream, chunk, ...rest);
    } finally {
      inside = false;
    }
  };
  Object.defineProperty(stream, 'write', {
    configurable: true,
    get: () => write,
    set: (replacement: Write) => {
      inner = replacement === write ? original : replacement;
    },
  });
  marked[STATE] = true;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/** Records what goes through `console` (vitest sends it to the main process, past the stream hooks). */
export function hookConsole(): void {
  const marked = console as Console & { [STATE]?: true };
  if (marked[STATE]) return;
  for (const method of CONSOLE_METHODS) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      recordText('console', format(...args));
      original(...args);
    };
  }
  marked[STATE] = true;
}

/** Secrets only the environment knows: the MX credentials and dev API key a local stack was configured with. */
const SECRET_VARIABLES: [string, SecretKind][] = [
  ['MX_API_KEY', 'mx credential'],
  ['MX_CLIENT_ID', 'mx credential'],
  ['MX_WEBHOOK_PASSWORD', 'basic password'],
  ['LOCAL_API_KEY', 'api key'],
];

/** Appends what was recorded and learned so far to this process's files in the run directory. */
export function flush(): void {
  const state = collector();
  for (const [name, kind] of SECRET_VARIABLES) registerSecret(kind, process.env[name]);
  if (!state.dir) {
    state.records = [];
    state.characters = 0;
    return;
  }
  const lines = (items: unknown[]) => items.map((item) => `${JSON.stringify(item)}\n`).join('');
  if (state.unsaved.length > 0) {
    appendFileSync(join(state.dir, `${process.pid}.secrets.jsonl`), lines(state.unsaved), { mode: 0o600 });
    state.unsaved = [];
  }
  if (state.records.length > 0) {
    appendFileSync(join(state.dir, `${process.pid}.records.jsonl`), lines(state.records), { mode: 0o600 });
    state.records = [];
    state.characters = 0;
  }
}

/** Waits (briefly) for bodies still being read, then flushes. */
export async function settleAndFlush(timeoutMs = 2_000): Promise<void> {
  const state = collector();
  if (state.pending.size > 0) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(state.pending), deadline]);
    clearTimeout(timer);
  }
  flush();
}
