import { AsyncLocalStorage } from 'node:async_hooks';

/** Correlation keys a log line may carry: the request id the client received, the job and message it is about. */
export interface LogContext {
  request_id?: string;
  /** API Gateway's own id of the request (its access log's `requestId`), when the client sent its own x-request-id. */
  gateway_request_id?: string;
  job_id?: string;
  message_id?: string;
  delivery_id?: string;
  /**
   * The function and invocation a line belongs to. Powertools' Logger holds them as the logger's own (one per
   * container in AWS); the local runtime runs every function in one process, so they are carried per call chain.
   */
  function_name?: string;
  function_request_id?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/**
 * Runs `fn` with `keys` added to the log context of everything it does (see RelayLogger). Per async call chain,
 * so requests served at once in one process (the local gateway) never mix their keys, as a logger's appended keys
 * would.
 */
export function withLogContext<T>(keys: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...keys }, fn);
}

/** Adds `keys` to the current context (e.g. the job id, once a request has created its job). */
export function addToLogContext(keys: LogContext): void {
  const store = storage.getStore();
  if (store) Object.assign(store, keys);
}

export const currentLogContext = (): LogContext | undefined => storage.getStore();
