import { noMetrics } from '../../../../lib/metrics.ts';
import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../../../../lib/clock.ts';
import { type Log, silentLog } from '../../../../lib/logger.ts';
import type { Timer } from '../../../../lib/mx/deadline.ts';
import { NexusClient } from '../../../../lib/mx/nexus-client.ts';
import { RetryPolicy } from '../../../../lib/mx/retry-policy.ts';
import { SessionManager, type SessionStore } from '../../../../lib/mx/sessions.ts';
import { MdxRealtimeClient } from '../../../../lib/mx/mdx-realtime.ts';
import { SsoClient } from '../../../../lib/mx/sso.ts';
import { MxTransport, NEXUS_HEADERS } from '../../../../lib/mx/transport.ts';
import { API_KEY, CLIENT_ID, DATA_ORIGIN, REALTIME_ORIGIN, SSO_ORIGIN } from './fakes.ts';

export interface MxStackOptions {
  dispatcher: Dispatcher;
  store: SessionStore;
  clock?: Clock;
  log?: Log;
  /** The real monotonic timer by default. */
  timer?: Timer;
  budgetMs?: number;
  aggregateMethod?: 'GET' | 'POST';
}

/** What createNexusClient wires, over fakes: one container's MX client. Several stacks on one store are several containers. */
export function mxStack(options: MxStackOptions) {
  const { dispatcher, store, clock = systemClock, log = silentLog, timer, budgetMs = 5_000 } = options;
  const retry = new RetryPolicy({ budgetMs, timer, random: () => 0.5 });
  const data = new MxTransport({
    metrics: noMetrics,
    baseUrl: DATA_ORIGIN,
    timeoutMs: 1_000,
    retry,
    defaultHeaders: NEXUS_HEADERS,
    dispatcher,
    log,
    clock,
  });
  const sso = new SsoClient({
    metrics: noMetrics,
    transport: new MxTransport({ metrics: noMetrics, baseUrl: SSO_ORIGIN, timeoutMs: 1_000, retry, dispatcher, log, clock }),
    credentials: async () => ({ clientId: CLIENT_ID, apiKey: API_KEY }),
  });
  const realtime = new MdxRealtimeClient({
    metrics: noMetrics,
    transport: new MxTransport({ metrics: noMetrics, baseUrl: REALTIME_ORIGIN, timeoutMs: 1_000, retry, dispatcher, log, clock }),
    credentials: async () => ({ clientId: CLIENT_ID, apiKey: API_KEY }),
  });
  const sessions = new SessionManager({ metrics: noMetrics, store, sso, data, retry, clock, log });
  const nexus = new NexusClient({ data, sessions, retry, aggregateMethod: options.aggregateMethod ?? 'GET' });
  return { retry, data, sso, realtime, sessions, nexus };
}
