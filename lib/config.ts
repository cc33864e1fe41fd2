import { createHmac } from 'node:crypto';
import { ConfigError } from './errors.ts';
import type { QueueName } from './queue/queue-names.ts';
import type { Variable } from './config/variable-kinds.ts';
import { CONFIG_VARIABLES, type ConfigValues, LOCAL_ONLY, type VariableName } from './config/variables.ts';

/** The configuration, from the environment. Only this file reads process.env; functions pass the parts they need down. */

/** The environment (local, tests) or a Secrets Manager secret. */
export type MxCredentialsSource = { clientId: string; apiKey: string } | { secretArn: string };

/** The HTTP Basic credentials MX sends with its webhooks. */
export type MxWebhookCredentialsSource = { username: string; password: string } | { secretArn: string };

/** The configuration, by section. */
export interface Config {
  env: ConfigValues['NEXUS_RELAY_ENV'];
  aws: { region: string; dynamoDbEndpoint?: string; sqsEndpoint?: string };
  tableName: string;
  queues: { poll: string; memberReports: string; reconcile: string; delivery: string; deliverySlow?: string; erasures?: string };
  /** Where workers put messages they cannot parse (without one, SQS's redrive takes them there later). */
  deadLetterQueues: Partial<Record<QueueName, string>>;
  mx: {
    baseUrl: string;
    ssoBaseUrl: string;
    /** MDX Real Time's base (users); absent only locally. */
    realtimeBaseUrl?: string;
    /** Absent in functions that never call MX. */
    credentials?: MxCredentialsSource;
    aggregateMethod: 'GET' | 'POST';
    useCasesEnabled: boolean;
    requestTimeoutMs: number;
    retryBudgetMs: number;
    /** Shared by every function. */
    callsPerSecond: number;
    /** Seals session tokens at rest: a KMS key, or locally a key derived from the stack's. */
    sessionsKey?: { kmsKeyArn: string } | { localKey: Buffer };
  };
  aggregation: {
    deadlineSeconds: number;
    maxPollDelaySeconds: number;
    stalledAfterMs: number;
    /** 0: off. */
    reconcileIntervalMinutes: number;
    reconcileTurnsPerMinute: number;
    /** A user no app asked about this long leaves the reconcile (0: never). */
    reconcileInactiveDays: number;
    mxUnavailableFirstWaitMs: number;
    /** Background aggregations of users nobody is using wait for their reconcile turn. */
    backgroundAtTurn: boolean;
  };
  /** Refresh requests from upstream systems; the queue URL is absent in functions that do not consume them. */
  refreshRequests: { perSecond: number; queueUrl?: string };
  webhooks: {
    timeoutMs: number;
    allowInsecureUrls: boolean;
    stalledAfterMs: number;
    /** Seals signing secrets at rest: a KMS key, or locally the stack's key. */
    secretsKey?: { kmsKeyArn: string } | { localKey: Buffer };
  };
  /** MX's own webhooks (`POST /mx/webhooks`); without credentials every call is refused. */
  mxWebhooks: { credentials?: MxWebhookCredentialsSource };
  /** Signs transactions-sync cursors. */
  transactionsSync: { cursorKey?: { secretArn: string } | { localKey: Buffer } };
  /** Keys the digests of user input and user ids. */
  digests: { key?: { secretArn: string } | { localKey: Buffer } };
  /** The per-key request limit (0: none). */
  apiKeys: { requestsPerMinute: number; userRequestsPerMinute: number; userKeysMayErase: boolean };
  localApiKey?: string;
  logLevel: ConfigValues['LOG_LEVEL'];
}

/** A part of the configuration, built from its own variables only. */
export type ConfigSection = keyof Config;

/** A variable's value: what was set, its default, or undefined (unset, or refused: then noted). */
type Read = <N extends VariableName>(name: N) => ConfigValues[N];

/** Notes a rule over several variables that the environment breaks. */
type Refuse = (variables: string[], text: string) => void;

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
    backgroundAtTurn: read('MX_BACKGROUND_AT_TURN'),
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
 * Parses an environment: all of it, or only `sections` and the variables they read. Throws ConfigError naming every
 * missing or refused variable (else the first broken rule over several); never a refused value.
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

  // Parsed whole, even variables no section reads are checked.
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

/** A key for one purpose, from the local stack's key. */
const deriveKey = (key: Buffer, purpose: string): Buffer => createHmac('sha256', key).update(`nexus-relay ${purpose}`).digest();

function mxCredentialsSource(read: Read, refuse: Refuse): MxCredentialsSource | undefined {
  const source = pairOrSecret(read, refuse, 'MX_CREDENTIALS_SECRET_ARN', ['MX_CLIENT_ID', 'MX_API_KEY']);
  return Array.isArray(source) ? { clientId: source[0], apiKey: source[1] } : source;
}

function mxWebhookCredentialsSource(read: Read, refuse: Refuse): MxWebhookCredentialsSource | undefined {
  const source = pairOrSecret(read, refuse, 'MX_WEBHOOK_CREDENTIALS_SECRET_ARN', ['MX_WEBHOOK_USERNAME', 'MX_WEBHOOK_PASSWORD']);
  return Array.isArray(source) ? { username: source[0], password: source[1] } : source;
}

/** A secret's ARN or a pair of variables: never both, never half a pair. */
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

/** The process configuration: whole parsed once per container; by sections parsed each call (a function calls it once). */
export function getConfig(): Config;
export function getConfig<S extends ConfigSection>(sections: readonly S[]): Pick<Config, S>;
export function getConfig(sections?: readonly ConfigSection[]): Partial<Config> {
  if (sections) return parseConfig(process.env, sections);
  cached ??= parseConfig();
  return cached;
}
