import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { JOB_KINDS } from '../../lib/aggregation/job.ts';

/**
 * What `npm start` prints of the local stack's output. Every function writes what Lambda would send to CloudWatch —
 * a JSON log line per event, an EMF line per invocation, an access log line per request — far more than a person
 * follows in a terminal. By default each JSON line goes to a file (`.local/logs/stack.jsonl`) and the terminal gets a
 * short line per request, per job transition and per warning or error, each named by the function whose call chain
 * wrote it (`function_name`, carried per call chain: lib/log-context.ts). `--json-logs` prints the JSON lines as
 * they are written instead.
 */

/** Log messages that mark a job's life: the terminal shows these at INFO, the rest of INFO goes to the file only. */
const TRANSITIONS = new Set([
  ...JOB_KINDS.flatMap((kind) => [`${kind} started`, `${kind} finished`]),
  'aggregation resumed',
  'MX-started aggregation',
  'member connection status changed',
  'refresh request handled',
  'refresh request rejected by MX',
]);

/** The keys a short line shows, in this order, when the line has them (ids and outcomes; never payloads). */
const SHOWN_KEYS = [
  'request_id',
  'job_id',
  'user_id',
  'member_guid',
  'trigger',
  'kind',
  'status',
  'connection_status',
  'previous_connection_status',
  'outcome',
  'webhook_id',
  'msg_id',
  'status_code',
] as const;

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 23);

/** A logged error as the short line shows it: an Error's name and message, or a code as the line gives it. */
function errorOf(record: Record<string, unknown>): string {
  const { error, error_code: code } = record;
  const suffix = typeof code === 'string' ? ` (${code})` : '';
  if (typeof error === 'string') return ` error=${error}${suffix}`;
  if (error === null || typeof error !== 'object') return suffix && ` error=${suffix.trim()}`;
  const { name, message } = error as { name?: unknown; message?: unknown };
  return ` error=${typeof name === 'string' ? name : 'Error'}: ${typeof message === 'string' ? message : ''}${suffix}`;
}

/** The short line for one line of output, or undefined when it belongs in the file only. Non-JSON text is kept. */
export function shortLine(text: string): string | undefined {
  if (!text.startsWith('{')) return text;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return text;
  }
  if ('_aws' in record) return undefined; // EMF metrics
  if (typeof record.routeKey === 'string' && typeof record.status === 'number') {
    const at = typeof record.requestTime === 'number' ? record.requestTime : Date.now();
    return `${clock(at)} ${record.method} ${record.path} → ${record.status} (${record.responseLatency} ms) ${record.requestId}`;
  }
  const level = typeof record.level === 'string' ? record.level : 'INFO';
  const message = typeof record.message === 'string' ? record.message : '';
  const important = level === 'WARN' || level === 'ERROR' || level === 'CRITICAL';
  if (!important && !TRANSITIONS.has(message)) return undefined;
  const at = typeof record.timestamp === 'string' ? Date.parse(record.timestamp) : Date.now();
  const fn = typeof record.function_name === 'string' ? record.function_name : '-';
  const keys = SHOWN_KEYS.filter((key) => record[key] !== undefined && record[key] !== null).map(
    (key) => `${key}=${String(record[key])}`,
  );
  const errorText = important ? errorOf(record) : '';
  return [clock(at), important ? level : '', fn, message, ...keys].filter(Boolean).join(' ') + errorText;
}

/**
 * Puts the stack's output through `shortLine`: JSON lines (stdout's and stderr's: Powertools writes warnings and
 * errors to stderr) appended to `file`, the short ones and any other text to the terminal stream they came on.
 * Writes are taken line by line, whatever their chunks. Returns what stops it.
 */
export function showShortLog(file: string): { file: string; stop: () => void } {
  mkdirSync(dirname(file), { recursive: true });
  const sink: WriteStream = createWriteStream(file, { flags: 'a' });
  const restores = [process.stdout, process.stderr].map((stream) => divert(stream, sink));
  return {
    file,
    stop: () => {
      restores.forEach((restore) => restore());
      sink.end();
    },
  };
}

function divert(stream: NodeJS.WriteStream, sink: WriteStream): () => void {
  const original = stream.write;
  const terminal = original.bind(stream);
  let partial = '';
  const write = (chunk: string | Uint8Array, encodingOrDone?: unknown, done?: unknown): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('{')) sink.write(`${line}\n`);
      const short = shortLine(line);
      if (short !== undefined) terminal(`${short}\n`);
    }
    const callback = typeof encodingOrDone === 'function' ? encodingOrDone : done;
    if (typeof callback === 'function') (callback as () => void)();
    return true;
  };
  stream.write = write as typeof stream.write;
  return () => {
    stream.write = original;
  };
}
