import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { type Log, silentLog } from '../logger.ts';
import { DynamoSessionStore } from '../store/sessions-repo.ts';
import type { TableRef } from '../store/table.ts';
import { NexusClient } from './nexus-client.ts';
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

/** Everything a Lambda needs to talk to Nexus; build it once per container, at module scope. */
export function createNexusClient(mx: Config['mx'], deps: NexusClientDeps): NexusClient {
  const { table, clock = systemClock, log = silentLog, dispatchers = {} } = deps;
  const shared = { timeoutMs: mx.requestTimeoutMs, clock, log };
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
  const sessions = new SessionManager({ store: new DynamoSessionStore(table, clock), sso, data, clock, log });
  return new NexusClient({ data, sessions, aggregateMethod: mx.aggregateMethod });
}
