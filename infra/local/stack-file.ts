import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QUEUE_NAMES, type QueueName } from '../../lib/queue/queue-names.ts';
import type { LocalStack } from './local-stack.ts';

/**
 * `npm start` describes the running local stack in a JSON file, so tools (the `nexus-relay` CLI, `npm run demo`)
 * find it without copying URLs and keys from the terminal. Default `.local/stack.json` at the repository root
 * (gitignored); `NEXUS_RELAY_STACK_FILE` chooses another path. The file holds the dev API key: it is written 0600.
 */
export const STACK_FILE_ENV = 'NEXUS_RELAY_STACK_FILE';
export const DEFAULT_STACK_FILE = fileURLToPath(new URL('../../.local/stack.json', import.meta.url));

/** What the stack file holds. */
export interface StackFile {
  /** The gateway, e.g. `http://127.0.0.1:3000`. */
  url: string;
  /** The dev server key (not bound to a user). */
  apiKey: string;
  /** The MX simulator (its control API is under `/_sim/`); null when the stack talks to a real MX. */
  simulatorUrl: string | null;
  dynamodb: { endpoint: string; region: string; tableName: string };
  queues: {
    endpoint: string;
    region: string;
    /** Each queue's URL and its dead-letter queue's, by name (lib/queue/queue-names.ts). */
    urls: Record<QueueName, string>;
    deadLetterUrls: Record<QueueName, string>;
  };
  /** The process serving the stack: the file is stale once it is gone. */
  pid: number;
  startedAt: string;
}

/** The stack file describing `stack`, served by this process. */
export function describeStack(stack: LocalStack): StackFile {
  const { engines } = stack;
  return {
    url: stack.url,
    apiKey: stack.apiKey,
    simulatorUrl: stack.simulatorUrl ?? null,
    dynamodb: { endpoint: engines.dynamoDbEndpoint, region: engines.region, tableName: engines.tableName },
    queues: {
      endpoint: engines.sqsEndpoint,
      region: engines.region,
      urls: { ...engines.queueUrls },
      deadLetterUrls: { ...engines.deadLetterQueueUrls },
    },
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
}

/**
 * Checked by hand rather than with zod: the CLI reads this file on every run, and loading zod would cost it a
 * noticeable part of its start-up time. Returns what is wrong, or undefined.
 */
function problemWith(value: unknown): string | undefined {
  const isObject = (candidate: unknown): candidate is Record<string, unknown> =>
    typeof candidate === 'object' && candidate !== null && !Array.isArray(candidate);
  const isString = (candidate: unknown) => typeof candidate === 'string' && candidate !== '';
  const isUrl = (candidate: unknown) => isString(candidate) && URL.canParse(candidate as string);
  if (!isObject(value)) return 'not a JSON object';
  if (!isUrl(value.url)) return '`url` must be a URL';
  if (!isString(value.apiKey)) return '`apiKey` must be a string';
  if (value.simulatorUrl !== null && !isUrl(value.simulatorUrl)) return '`simulatorUrl` must be a URL or null';
  const { dynamodb, queues } = value;
  if (!isObject(dynamodb) || !isUrl(dynamodb.endpoint) || !isString(dynamodb.region) || !isString(dynamodb.tableName)) {
    return '`dynamodb` must have endpoint, region and tableName';
  }
  const byName = (urls: unknown) => isObject(urls) && QUEUE_NAMES.every((name) => isString(urls[name]));
  if (
    !isObject(queues) ||
    !isString(queues.endpoint) ||
    !isString(queues.region) ||
    !byName(queues.urls) ||
    !byName(queues.deadLetterUrls)
  ) {
    return `\`queues\` must have endpoint, region, and the urls and deadLetterUrls of ${QUEUE_NAMES.join(', ')}`;
  }
  if (!Number.isInteger(value.pid) || (value.pid as number) <= 0) return '`pid` must be a process id';
  if (!isString(value.startedAt)) return '`startedAt` must be a time';
  return undefined;
}

export class StackFileError extends Error {
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`${path}: ${message}`, options);
    this.name = 'StackFileError';
    this.path = path;
  }
}

/** Where the stack file is: `NEXUS_RELAY_STACK_FILE` (relative to the working directory) or the default. */
export const stackFilePath = (env: Record<string, string | undefined> = process.env): string =>
  env[STACK_FILE_ENV] ? resolve(env[STACK_FILE_ENV]) : DEFAULT_STACK_FILE;

/**
 * Where `npm start` writes every JSON log and metric line: `NEXUS_RELAY_LOG_FILE`, else `logs/stack.jsonl` beside the
 * stack file — `logs/stack-{pid}.jsonl` while another running stack owns that file: stacks side by side never share one.
 */
export function logFilePath(env: Record<string, string | undefined> = process.env, pid = process.pid): string {
  if (env.NEXUS_RELAY_LOG_FILE) return resolve(env.NEXUS_RELAY_LOG_FILE);
  const stackFile = stackFilePath(env);
  let owner: number | undefined;
  try {
    owner = readStackFile(stackFile)?.pid;
  } catch (error) {
    if (!(error instanceof StackFileError)) throw error; // Not a stack file: this stack's replaces it.
  }
  return join(dirname(stackFile), 'logs', owner === undefined || owner === pid ? 'stack.jsonl' : `stack-${pid}.jsonl`);
}

/** True while a process with this id exists (EPERM: it exists but is someone else's). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The running local stack, or undefined when there is no stack file or it is stale (its process is gone, e.g. after
 * a kill -9). Throws StackFileError when the file exists but is not a stack file.
 */
export function readStackFile(path: string = stackFilePath()): StackFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StackFileError(path, `cannot be read (${(error as Error).message})`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StackFileError(path, 'is not valid JSON', { cause: error });
  }
  const problem = problemWith(json);
  if (problem !== undefined) throw new StackFileError(path, `is not a stack file: ${problem}`);
  const stack = json as StackFile;
  return isProcessAlive(stack.pid) ? stack : undefined;
}

/** Writes the stack file atomically (temporary file + rename), readable by its owner only. */
export function writeStackFile(stack: StackFile, path: string = stackFilePath()): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  const problem = problemWith(stack);
  if (problem !== undefined) throw new StackFileError(path, `would not be a stack file: ${problem}`);
  writeFileSync(temporary, `${JSON.stringify(stack, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** Removes the stack file if it still describes process `pid` (another stack may have taken it over since). */
export function removeStackFile(pid: number, path: string = stackFilePath()): boolean {
  let owner: unknown;
  try {
    owner = (JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown }).pid;
  } catch {
    return false;
  }
  if (owner !== pid) return false;
  rmSync(path, { force: true });
  return true;
}
