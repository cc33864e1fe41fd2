import { LogFormatter, LogItem, Logger, LogLevelThreshold } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { currentLogContext } from './log-context.ts';
import { sourceMappedError } from './source-mapped-stack.ts';

/** What lib/ needs from a logger. */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/**
 * Powertools' Logger with the correlation keys of the async call chain: per chain, not Powertools' per-invocation keys,
 * because a batch's records run at once in one invocation and would mix them.
 *
 * @example
 * const log = createLogger('nexus-relay', 'INFO');
 * withLogContext({ job_id: 'job_1' }, () => log.info('polled')); // {"message":"polled","job_id":"job_1",…}
 */
export class RelayLogger implements Log {
  /** For `injectLambdaContext` and its level. */
  readonly powertools: Logger;

  constructor(options: { serviceName: string; logLevel: LogLevel }) {
    this.powertools = new Logger({ ...options, jsonReplacerFn: sourceMappedErrors, logFormatter: new RelayLogFormatter() });
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

  /** A line below the level is dropped before its context is copied (hot: a debug line per MX call). */
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

/**
 * Powertools' keys less what the log group already says (service, function ARN and memory), what is nearly always the
 * same (`cold_start` false, `sampling_rate` 0) and X-Ray's trace id (the stack traces nothing): a fifth of a nightly
 * report's log bytes (BENCHMARKS.md section 8).
 */
class RelayLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        ...(context?.coldStart ? { cold_start: true } : {}),
        function_name: context?.functionName,
        function_request_id: context?.awsRequestId,
        ...(attributes.sampleRateValue > 0 ? { sampling_rate: attributes.sampleRateValue } : {}),
      },
    }).addAttributes(additional);
  }
}

export function createLogger(serviceName: string, logLevel: LogLevel = 'INFO'): RelayLogger {
  return new RelayLogger({ serviceName, logLevel });
}

const sourceMappedErrors = (_key: string, value: unknown): unknown => (value instanceof Error ? sourceMappedError(value) : value);

/** A logger that drops everything. */
export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
