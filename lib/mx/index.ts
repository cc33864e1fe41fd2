import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { type Log, silentLog } from '../logger.ts';
import { DynamoSessionLease } from '../store/session-lease-repo.ts';
import { DynamoSessionStore } from '../store/sessions-repo.ts';
import type { TableRef } from '../store/table.ts';
import { NexusClient } from './nexus-client.ts';
import { RetryPolicy } from './retry-policy.ts';
import { SessionManager } from './sessions.ts';
import { SsoClient } from './sso.ts';
import { MxTransport, NEXUS_HEADERS } from './transport.ts';

export interface NexusClientDeps {
  table: TableRef;
  clock?: Clock;
  log?: Log;
  /** By default each origin gets its own keep-alive Pool; tests pass MockAgents. */
  dispatchers?: { data?: Dispatcher; sso?: Dispatcher };
}

/**
 * Everything a Lambda needs to talk to Nexus; build it once per container, at module scope. Each request to MX gets
 * `requestTimeoutMs` per attempt and `retryBudgetMs` in all (session included); sessions are shared through the
 * table and created by one container at a time.
 */
export function createNexusClient(mx: Config['mx'], deps: NexusClientDeps): NexusClient {
  const { table, clock = systemClock, log = silentLog, dispatchers = {} } = deps;
  const retry = new RetryPolicy({ budgetMs: mx.retryBudgetMs });
  const shared = { timeoutMs: mx.requestTimeoutMs, retry, clock, log };
  const data = new MxTransport({
    ...shared,
    baseUrl: mx.baseUrl,
    defaultHeaders: NEXUS_HEADERS,
    dispatcher: dispatchers.data,
    upstream: 'mx-data',
  });
  const sso = new SsoClient({
    transport: new MxTransport({ ...shared, baseUrl: mx.ssoBaseUrl, dispatcher: dispatchers.sso, upstream: 'mx-sso' }),
    clientId: mx.clientId,
    apiKey: mx.apiKey,
  });
  const sessions = new SessionManager({
    store: new DynamoSessionStore(table, clock),
    lease: new DynamoSessionLease(table, clock),
    sso,
    data,
    retry,
    clock,
    log,
  });
  return new NexusClient({ data, sessions, retry, aggregateMethod: mx.aggregateMethod });
}
