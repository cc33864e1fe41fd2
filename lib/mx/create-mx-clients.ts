import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../clock.ts';
import type { Config, MxCredentialsSource } from '../config.ts';
import { ConfigError } from '../errors.ts';
import type { SecretsSource } from '../json-secret.ts';
import type { Log } from '../logger.ts';
import type { MxMetrics } from './mx-metrics.ts';
import { DynamoSessionStore } from './sessions-repo.ts';
import type { TableRef } from '../store/table.ts';
import type { SecretBox } from '../secret-box.ts';
import { mxCredentialsProvider } from './credentials.ts';
import { NexusClient } from './nexus-client.ts';
import { RetryPolicy } from './retry-policy.ts';
import { type ServedUsers, SessionManager, type UsersAtMx } from './sessions.ts';
import { MdxRealtimeClient } from './mdx-realtime.ts';
import { SsoClient } from './sso.ts';
import { MxTransport, type MxTransportOptions, NEXUS_HEADERS } from './transport.ts';

/** A dispatcher per MX origin. */
export interface MxDispatchers {
  data?: Dispatcher;
  sso?: Dispatcher;
  realtime?: Dispatcher;
}

export interface NexusClientDeps {
  table: TableRef;
  clock?: Clock;
  log: Log;
  /** The data host's; by default its own keep-alive Pool (tests pass a MockAgent). SSO's is its client's. */
  dispatchers?: Pick<MxDispatchers, 'data'>;
  beforeDataCall?: MxTransportOptions['beforeSend'];
  /** The container's share of the data host's budget: SSO's client spends its own host's (lib/compositions/sso.ts). */
  budget?: MxTransportOptions['budget'];
  metrics: MxMetrics;
  /** Seals session tokens at rest, under a KMS key only the functions calling MX may use. */
  sessionBox: Pick<SecretBox, 'seal' | 'open'>;
  /** The function's own SSO client, with the SSO host's budget. */
  sso: SsoClient;
  users?: UsersAtMx;
  served?: ServedUsers;
}

/** Fails a function's start that would call MX without the partner's credentials. */
function credentialsOf(mx: Config['mx']): MxCredentialsSource {
  if (!mx.credentials) {
    throw new ConfigError(
      ['MX_CREDENTIALS_SECRET_ARN', 'MX_CLIENT_ID', 'MX_API_KEY'],
      'MX credentials are not configured: set MX_CREDENTIALS_SECRET_ARN, or MX_CLIENT_ID and MX_API_KEY',
    );
  }
  return mx.credentials;
}

/** MX's SSO API for the partner's own calls (API tokens, widget URLs). */
export function createSsoClient(
  mx: Config['mx'],
  deps: Pick<NexusClientDeps, 'clock' | 'log' | 'metrics' | 'budget'> & { secrets: () => SecretsSource; dispatcher?: Dispatcher },
): SsoClient {
  const credentials = credentialsOf(mx);
  const { clock = systemClock, log } = deps;
  const retry = new RetryPolicy({ budgetMs: mx.retryBudgetMs });
  return new SsoClient({
    transport: new MxTransport({
      timeoutMs: mx.requestTimeoutMs,
      retry,
      clock,
      log,
      metrics: deps.metrics,
      baseUrl: mx.ssoBaseUrl,
      dispatcher: deps.dispatcher,
      budget: deps.budget,
      upstream: 'mx-sso',
    }),
    credentials: mxCredentialsProvider(credentials, deps.secrets),
    metrics: deps.metrics,
  });
}

/** MX's MDX Real Time API for the partner's users (create, delete). */
export function createMdxRealtimeClient(
  mx: Config['mx'],
  deps: Pick<NexusClientDeps, 'clock' | 'log' | 'metrics' | 'budget'> & { secrets: () => SecretsSource; dispatcher?: Dispatcher },
): MdxRealtimeClient {
  const credentials = credentialsOf(mx);
  if (!mx.realtimeBaseUrl) {
    throw new ConfigError(
      ['MX_REALTIME_BASE_URL'],
      'MX_REALTIME_BASE_URL (MDX Real Time, where MX makes users: e.g. https://int-live.moneydesktop.com) is not set',
    );
  }
  const { clock = systemClock, log } = deps;
  return new MdxRealtimeClient({
    transport: new MxTransport({
      timeoutMs: mx.requestTimeoutMs,
      retry: new RetryPolicy({ budgetMs: mx.retryBudgetMs }),
      clock,
      log,
      metrics: deps.metrics,
      baseUrl: mx.realtimeBaseUrl,
      dispatcher: deps.dispatcher,
      budget: deps.budget,
      upstream: 'mx-realtime',
    }),
    credentials: mxCredentialsProvider(credentials, deps.secrets),
    metrics: deps.metrics,
  });
}

/** Everything a Lambda needs to talk to Nexus; build it once per container. */
export function createNexusClient(mx: Config['mx'], deps: NexusClientDeps): NexusClient {
  const { table, clock = systemClock, log, dispatchers = {} } = deps;
  const retry = new RetryPolicy({ budgetMs: mx.retryBudgetMs });
  const data = new MxTransport({
    timeoutMs: mx.requestTimeoutMs,
    retry,
    clock,
    log,
    metrics: deps.metrics,
    baseUrl: mx.baseUrl,
    defaultHeaders: NEXUS_HEADERS,
    dispatcher: dispatchers.data,
    upstream: 'mx-data',
    beforeSend: deps.beforeDataCall,
    budget: deps.budget,
  });
  const sessions = new SessionManager({
    store: new DynamoSessionStore(table, deps.sessionBox, clock),
    sso: deps.sso,
    users: deps.users,
    served: deps.served,
    data,
    retry,
    clock,
    log,
    metrics: deps.metrics,
  });
  return new NexusClient({ data, sessions, retry, aggregateMethod: mx.aggregateMethod });
}
