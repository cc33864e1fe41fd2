import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions, LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
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
 * Powertools' Logger, plus the correlation keys of the call chain a line is written in (lib/log-context.ts): the
 * request id the client received, the job id, the queue message. Kept per async call chain rather than as the
 * logger's appended keys, which every invocation running in the process at once would share.
 */
export class RelayLogger extends Logger {
  constructor(options?: ConstructorOptions) {
    // Lines below the level are dropped before Powertools sees them (processLogItem): none could be buffered.
    // Powertools buffers whenever logBufferOptions is given and not `enabled: false`.
    const buffer = options?.logBufferOptions;
    if (buffer !== undefined && buffer.enabled !== false) throw new TypeError('RelayLogger does not buffer log lines');
    super(options);
  }

  protected override processLogItem(logLevel: number, input: LogItemMessage, extraInput: LogItemExtraInput): void {
    // A line below the level is dropped before its context is copied: the relay's loggers do not buffer lines (see the
    // constructor), so Powertools would drop it too, after reading the environment for a trace id.
    if (logLevel < this.level) return;
    const context = currentLogContext();
    // Powertools takes each extra item in turn (objects merged, an Error as `error`), so a mixed list is fine.
    const extra = context ? ([{ ...context }, ...extraInput] as LogItemExtraInput) : extraInput;
    super.processLogItem(logLevel, input, extra);
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new RelayLogger(options);
  }
}

export function createLogger(serviceName: string, logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' = 'INFO'): Logger {
  return new RelayLogger({ serviceName, logLevel, jsonReplacerFn: sourceMappedErrors });
}

/** An error in a log line gets its stack source-mapped (Powertools then formats it as usual). */
const sourceMappedErrors = (_key: string, value: unknown): unknown => (value instanceof Error ? sourceMappedError(value) : value);

/** A logger that drops everything (default where a caller does not care). */
export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
