import { Logger, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import { currentLogContext } from './log-context.ts';
import { sourceMappedError } from './source-mapped-stack.ts';

/** What lib/ needs from a logger. Powertools' Logger satisfies it; tests pass a capturing one. */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/**
 * Powertools' Logger, through its public methods, with the correlation keys of the call chain a line is written in
 * (lib/log-context.ts): the request id the client received, the job id, the queue message. Kept per async call chain
 * because a batch's records run at once in one invocation, where the logger's appended keys (per invocation) would mix
 * them.
 *
 * @example
 * const log = createLogger('nexus-relay', 'INFO');
 * withLogContext({ job_id: 'job_1' }, () => log.info('polled')); // {"message":"polled","job_id":"job_1",…}
 */
export class RelayLogger implements Log {
  /** The Powertools Logger lines go through (for `injectLambdaContext` and its level). */
  readonly powertools: Logger;

  constructor(options: { serviceName: string; logLevel: LogLevel }) {
    this.powertools = new Logger({ ...options, jsonReplacerFn: sourceMappedErrors });
  }

  debug(message: string, ...extra: Record<string, unknown>[]): void {
    if (this.#writes(LogLevelThreshold.DEBUG)) this.powertools.debug(message, ...this.#withContext(extra));
  }

  info(message: string, ...extra: Record<string, unknown>[]): void {
    if (this.#writes(LogLevelThreshold.INFO)) this.powertools.info(message, ...this.#withContext(extra));
  }

  warn(message: string, ...extra: Record<string, unknown>[]): void {
    if (this.#writes(LogLevelThreshold.WARN)) this.powertools.warn(message, ...this.#withContext(extra));
  }

  error(message: string, ...extra: Record<string, unknown>[]): void {
    if (this.#writes(LogLevelThreshold.ERROR)) this.powertools.error(message, ...this.#withContext(extra));
  }

  /** A line below the level is dropped before its context is copied (a debug line per MX call on the read path). */
  #writes(threshold: number): boolean {
    return threshold >= this.powertools.level;
  }

  /** Powertools merges each extra object in turn: the context first, so a line's own keys win. */
  #withContext(extra: Record<string, unknown>[]): Record<string, unknown>[] {
    const context = currentLogContext();
    return context ? [{ ...context }, ...extra] : extra;
  }
}

type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export function createLogger(serviceName: string, logLevel: LogLevel = 'INFO'): RelayLogger {
  return new RelayLogger({ serviceName, logLevel });
}

/** An error in a log line gets its stack source-mapped (Powertools then formats it as usual). */
const sourceMappedErrors = (_key: string, value: unknown): unknown => (value instanceof Error ? sourceMappedError(value) : value);

/** A logger that drops everything (default where a caller does not care). */
export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
