import { createHmac } from 'node:crypto';
import { ConfigError } from './errors.ts';
import type { QueueName } from './queue/queue-names.ts';
import type { Variable } from './config/variable-kinds.ts';
import { CONFIG_VARIABLES, type ConfigValues, LOCAL_ONLY, type VariableName } from './config/variables.ts';

/**
 * The configuration, assembled from the environment. lib/ never touches process.env: functions call `getConfig()`
 * once per container (for the sections their composition reads, or all) and pass the parts they need down. The
 * variables are declared in lib/config/variables.ts, read by the kinds of lib/config/variable-kinds.ts.
 */

/** Where the MX client id and API key come from: the environment (local, tests) or a Secrets Manager secret. */
export type MxCredentialsSource = { clientId: string; apiKey: string } | { secretArn: string };

/** Where the HTTP Basic credentials MX sends with its webhooks come from; like the MX credentials. */
export type MxWebhookCredentialsSource = { username: string; password: string } | { secretArn: string };

/** The configuration, by section (each built by SECTIONS from its own variables). */
export interface Config {
  env: ConfigValues['NEXUS_RELAY_ENV'];
  aws: { region: string; dynamoDbEndpoint?: string; sqsEndpoint?: string };
  tableName: string;
  queues: { poll: string; memberReports: string; reconcile: string; delivery: string; deliverySlow?: string; erasures?: string };
  /**
   * Each queue's dead-letter queue, where it is given: the workers put messages they cannot parse there (without one,
   * SQS's redrive takes them there later); api-jobs counts what waits in each.
   */
  deadLetterQueues: Partial<Record<QueueName, string>>;
  mx: {
    baseUrl: string;
    ssoBaseUrl: string;
    /** MDX Real Time's base (users); absent only locally, where a function that makes users refuses to start without it. */
    realtimeBaseUrl?: string;
    /** Absent in functions that never call MX; a function that makes an MX client refuses to start without it (createSsoClient). */
    credentials?: MxCredentialsSource;
    aggregateMethod: 'GET' | 'POST';
    /** MX_USE_CASES_ENABLED: the deployment has opted in to use cases with MX (lib/connect/use-cases.ts). */
    useCasesEnabled: boolean;
    requestTimeoutMs: number;
    retryBudgetMs: number;
    /** MX_CALLS_PER_SECOND: the call budget every function shares (lib/mx/call-budget.ts). */
    callsPerSecond: number;
    /** What seals session tokens at rest: a KMS key, or locally a key derived from the stack's own. */
    sessionsKey?: { kmsKeyArn: string } | { localKey: Buffer };
  };
  aggregation: {
    deadlineSeconds: number;
    maxPollDelaySeconds: number;
    stalledAfterMs: number;
    /** RECONCILE_INTERVAL_MINUTES (0: off) and RECONCILE_TURNS_PER_MINUTE (lib/aggregation/reconcile-dispatcher.ts). */
    reconcileIntervalMinutes: number;
    reconcileTurnsPerMinute: number;
    /** RECONCILE_INACTIVE_DAYS: a user no app asked about this long leaves the reconcile (0: never). */
    reconcileInactiveDays: number;
    /** MX_UNAVAILABLE_FIRST_WAIT_SECONDS (lib/aggregation/poll-queue-handler.ts). */
    mxUnavailableFirstWaitMs: number;
  };
  /** Refresh requests from upstream systems; the queue URLs are absent in functions that do not consume them. */
  refreshRequests: { perSecond: number; queueUrl?: string };
  webhooks: {
    timeoutMs: number;
    allowInsecureUrls: boolean;
    stalledAfterMs: number;
    /** What seals signing secrets at rest: a KMS key, or locally a key of the stack's own. */
    secretsKey?: { kmsKeyArn: string } | { localKey: Buffer };
  };
  /** MX's own webhooks (`POST /mx/webhooks`); without credentials every call is refused. */
  mxWebhooks: { credentials?: MxWebhookCredentialsSource };
  /** What signs transactions-sync cursors: a Secrets Manager secret, or locally a key derived from the stack's. */
  transactionsSync: { cursorKey?: { secretArn: string } | { localKey: Buffer } };
  /** What keys the digests of user input and user ids (lib/digest-keys.ts): a secret, or locally a derived key. */
  digests: { key?: { secretArn: string } | { localKey: Buffer } };
  /** The per-key request limit (0: none). */
  apiKeys: { requestsPerMinute: number; userRequestsPerMinute: number; userKeysMayErase: boolean };
  localApiKey?: string;
  logLevel: ConfigValues['LOG_LEVEL'];
}

/** A part of the configuration: what a composition reads, built from its own variables only (SECTIONS). */
export type ConfigSection = keyof Config;

/** A variable's value as declared: what was set, its default, or undefined (unset, or refused: then noted). */
type Read = <N extends VariableName>(name: N) => ConfigValues[N];

/** Notes a rule over several variables that the environment breaks. */
type Refuse = (variables: string[], text: string) => void;

/** Each section of Config, from the variables it reads. */
const SECTIONS: { readonly [S in ConfigSection]: (read: Read, refuse: Refuse) => Config[S] } = {
  env: (read) => read('NEXUS_RELAY_ENV'),
  aws: (read) => ({
    region: read('AWS_REGION'),
    dynamoDbEndpoint: read('AWS_ENDPOINT_URL_DYNAMODB'),
    sqsEndpoint: read('AWS_ENDPOINT_URL_SQS'),
  }),
  tableName: (read) => read('TABLE_NAME'),
  queues: (read) => ({
    poll: read('POLL_QUEUE_URL'),
    memberReports: read('MEMBER_REPORTS_QUEUE_URL'),
    reconcile: read('RECONCILE_QUEUE_URL'),
    delivery: read('DELIVERY_QUEUE_URL'),
    deliverySlow: read('DELIVERY_SLOW_QUEUE_URL'),
    erasures: read('ERASURES_QUEUE_URL'),
  }),
  deadLetterQueues: (read) => ({
    poll: read('POLL_DLQ_URL'),
    'member-reports': read('MEMBER_REPORTS_DLQ_URL'),
    reconcile: read('RECONCILE_DLQ_URL'),
    erasures: read('ERASURES_DLQ_URL'),
    delivery: read('DELIVERY_DLQ_URL'),
    'delivery-slow': read('DELIVERY_SLOW_DLQ_URL'),
    'refresh-requests': read('REFRESH_REQUESTS_DLQ_URL'),
  }),
  mx: (read, refuse) => {
    const credentials = mxCredentialsSource(read, refuse);
    const ssoBaseUrl = read('MX_SSO_BASE_URL');
    if (!ssoBaseUrl && read('NEXUS_RELAY_ENV') !== 'local') {
      refuse(
        ['MX_SSO_BASE_URL'],
        'MX_SSO_BASE_URL (the SSO host, e.g. https://sso.moneydesktop.com) is required outside local mode',
      );
    }
    const realtimeBaseUrl = read('MX_REALTIME_BASE_URL');
    if (!realtimeBaseUrl && read('NEXUS_RELAY_ENV') !== 'local') {
      refuse(
        ['MX_REALTIME_BASE_URL'],
        'MX_REALTIME_BASE_URL (MDX Real Time, e.g. https://live.moneydesktop.com) is required outside local mode',
      );
    }
    const baseUrl = read('MX_BASE_URL');
    const sessionsKeyArn = read('SESSION_TOKENS_KEY_ARN');
    const localKey = read('LOCAL_SECRETS_KEY');
    return {
      baseUrl,
      ssoBaseUrl: ssoBaseUrl ?? baseUrl,
      realtimeBaseUrl,
      credentials,
      aggregateMethod: read('MX_AGGREGATE_METHOD'),
      useCasesEnabled: read('MX_USE_CASES_ENABLED'),
      requestTimeoutMs: read('MX_REQUEST_TIMEOUT_MS'),
      retryBudgetMs: read('MX_RETRY_BUDGET_MS'),
      callsPerSecond: read('MX_CALLS_PER_SECOND'),
      ...(sessionsKeyArn
        ? { sessionsKey: { kmsKeyArn: sessionsKeyArn } }
        : localKey
          ? { sessionsKey: { localKey: deriveKey(Buffer.from(localKey, 'base64'), 'mx session tokens') } }
          : {}),
    };
  },
  aggregation: (read) => ({
    deadlineSeconds: read('AGGREGATION_DEADLINE_SECONDS'),
    maxPollDelaySeconds: read('POLL_MAX_DELAY_SECONDS'),
    stalledAfterMs: read('POLL_STALLED_AFTER_SECONDS') * 1000,
    reconcileIntervalMinutes: read('RECONCILE_INTERVAL_MINUTES'),
    reconcileTurnsPerMinute: read('RECONCILE_TURNS_PER_MINUTE'),
    reconcileInactiveDays: read('RECONCILE_INACTIVE_DAYS'),
    mxUnavailableFirstWaitMs: read('MX_UNAVAILABLE_FIRST_WAIT_SECONDS') * 1000,
  }),
  refreshRequests: (read) => ({ perSecond: read('REFRESH_EVENTS_PER_SECOND'), queueUrl: read('REFRESH_REQUESTS_QUEUE_URL') }),
  webhooks: (read) => {
    const keyArn = read('WEBHOOK_SECRETS_KEY_ARN');
    const localKey = read('LOCAL_SECRETS_KEY');
    return {
      timeoutMs: read('WEBHOOK_TIMEOUT_MS'),
      allowInsecureUrls: read('WEBHOOK_ALLOW_LOOPBACK'),
      stalledAfterMs: read('DELIVERY_STALLED_AFTER_SECONDS') * 1000,
      ...(keyArn
        ? { secretsKey: { kmsKeyArn: keyArn } }
        : localKey
          ? { secretsKey: { localKey: Buffer.from(localKey, 'base64') } }
          : {}),
    };
  },
  mxWebhooks: (read, refuse) => ({ credentials: mxWebhookCredentialsSource(read, refuse) }),
  transactionsSync: (read) => {
    const secretArn = read('SYNC_CURSOR_KEY_SECRET_ARN');
    const localKey = read('LOCAL_SECRETS_KEY');
    if (secretArn) return { cursorKey: { secretArn } };
    return localKey ? { cursorKey: { localKey: deriveKey(Buffer.from(localKey, 'base64'), 'transactions sync cursors') } } : {};
  },
  digests: (read) => {
    const secretArn = read('DIGEST_KEY_SECRET_ARN');
    const localKey = read('LOCAL_SECRETS_KEY');
    if (secretArn) return { key: { secretArn } };
    return localKey ? { key: { localKey: deriveKey(Buffer.from(localKey, 'base64'), 'digests') } } : {};
  },
  apiKeys: (read) => ({
    requestsPerMinute: read('API_KEY_REQUESTS_PER_MINUTE'),
    userRequestsPerMinute: read('USER_KEY_REQUESTS_PER_MINUTE'),
    userKeysMayErase: read('USER_KEYS_MAY_ERASE'),
  }),
  localApiKey: (read) => read('LOCAL_API_KEY'),
  logLevel: (read) => read('LOG_LEVEL'),
};

const ALL_SECTIONS = Object.keys(SECTIONS) as ConfigSection[];

/**
 * Parses an environment (process.env by default): every variable and every section, or, given `sections`, only those
 * and the variables they read. Throws ConfigError naming every variable that is missing or refused (or, when all are
 * well formed, the first rule over several that the environment breaks); never a refused value.
 */
export function parseConfig(env?: Record<string, string | undefined>): Config;
export function parseConfig<S extends ConfigSection>(
  env: Record<string, string | undefined>,
  sections: readonly S[],
): Pick<Config, S>;
export function parseConfig(
  env: Record<string, string | undefined> = process.env,
  sections?: readonly ConfigSection[],
): Partial<Config> {
  const problems: { variable: string; text: string }[] = [];
  const rules: { variables: string[]; text: string }[] = [];
  const values = new Map<VariableName, unknown>();
  const read = ((name: VariableName) => {
    if (values.has(name)) return values.get(name);
    const variable: Variable = CONFIG_VARIABLES[name];
    const raw = env[name] === '' ? undefined : env[name];
    let value: unknown;
    if (raw === undefined) {
      if (variable.presence === 'required') problems.push({ variable: name, text: `${name} is required` });
      else value = variable.default;
    } else {
      const reading = variable.read(raw);
      if ('invalid' in reading) problems.push({ variable: name, text: `${name} is invalid: ${reading.invalid}` });
      else value = reading.value;
    }
    values.set(name, value);
    if (value && LOCAL_ONLY.has(name) && read('NEXUS_RELAY_ENV') !== 'local') {
      rules.push({ variables: [name], text: `${name} is only allowed when NEXUS_RELAY_ENV=local` });
    }
    return value;
  }) as Read;
  const refuse: Refuse = (variables, text) => rules.push({ variables, text });

  // Parsed whole, every variable is checked, those no section reads (POWERTOOLS_DEV) too.
  if (sections === undefined) for (const name of Object.keys(CONFIG_VARIABLES) as VariableName[]) read(name);
  const config: Partial<Record<ConfigSection, unknown>> = {};
  for (const section of sections ?? ALL_SECTIONS) config[section] = SECTIONS[section](read, refuse);

  if (problems.length > 0) {
    throw new ConfigError(
      problems.map((problem) => problem.variable),
      `Invalid configuration: ${problems.map((problem) => problem.text).join('; ')}`,
    );
  }
  const [broken] = rules;
  if (broken) throw new ConfigError(broken.variables, `Invalid configuration: ${broken.text}`);
  return config as Partial<Config>;
}

/** A key of its own for one purpose, from the local stack's key (HMAC-SHA256 of the purpose). */
const deriveKey = (key: Buffer, purpose: string): Buffer => createHmac('sha256', key).update(`nexus-relay ${purpose}`).digest();

function mxCredentialsSource(read: Read, refuse: Refuse): MxCredentialsSource | undefined {
  const source = pairOrSecret(read, refuse, 'MX_CREDENTIALS_SECRET_ARN', ['MX_CLIENT_ID', 'MX_API_KEY']);
  return Array.isArray(source) ? { clientId: source[0], apiKey: source[1] } : source;
}

function mxWebhookCredentialsSource(read: Read, refuse: Refuse): MxWebhookCredentialsSource | undefined {
  const source = pairOrSecret(read, refuse, 'MX_WEBHOOK_CREDENTIALS_SECRET_ARN', ['MX_WEBHOOK_USERNAME', 'MX_WEBHOOK_PASSWORD']);
  return Array.isArray(source) ? { username: source[0], password: source[1] } : source;
}

/** Credentials given as a secret's ARN or as a pair of variables: never both, never half a pair. */
function pairOrSecret(
  read: Read,
  refuse: Refuse,
  secret: VariableName,
  pair: readonly [VariableName, VariableName],
): { secretArn: string } | [string, string] | undefined {
  const secretArn = read(secret) as string | undefined;
  const values = pair.map((name) => read(name) as string | undefined);
  const given = pair.filter((_, i) => values[i] !== undefined);
  if (secretArn) {
    if (given.length > 0) refuse(given, `set ${given.join(' and ')} or ${secret}, not both`);
    return { secretArn };
  }
  if (given.length === 0) return undefined;
  const missing = pair.filter((_, i) => values[i] === undefined);
  if (missing.length > 0) refuse(missing, missing.map((name) => `${name} is required`).join('; '));
  return [values[0]!, values[1]!];
}

let cached: Config | undefined;

/**
 * The process configuration, parsed once per container: whole, or only the sections a composition reads (then each
 * call parses them again: a function calls it once).
 */
export function getConfig(): Config;
export function getConfig<S extends ConfigSection>(sections: readonly S[]): Pick<Config, S>;
export function getConfig(sections?: readonly ConfigSection[]): Partial<Config> {
  if (sections) return parseConfig(process.env, sections);
  cached ??= parseConfig();
  return cached;
}
