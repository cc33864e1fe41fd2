import { AsyncLocalStorage } from 'node:async_hooks';

/** Correlation keys a log line may carry. */
export interface LogContext {
  request_id?: string;
  /** API Gateway's own id, when the client sent its own x-request-id. */
  gateway_request_id?: string;
  job_id?: string;
  message_id?: string;
  delivery_id?: string;
  /** Per call chain, not the logger's own: the local runtime runs every function in one process. */
  function_name?: string;
  function_request_id?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `keys` added to the log context of its async call chain, so concurrent requests never mix keys. */
export function withLogContext<T>(keys: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...keys }, fn);
}

/** Adds `keys` to the current context (e.g. a job id once created). */
export function addToLogContext(keys: LogContext): void {
  const store = storage.getStore();
  if (store) Object.assign(store, keys);
}

export const currentLogContext = (): LogContext | undefined => storage.getStore();
