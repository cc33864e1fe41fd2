import { createHmac } from 'node:crypto';
import { ConfigError } from './errors.ts';
import type { QueueName } from './queue/queue-names.ts';

/**
 * Every environment variable nexus-relay reads, in one place. lib/ never touches process.env: functions call
 * `getConfig()` once per container (for the sections their composition reads, or all) and pass the parts they need
 * down. Each variable is a plain description — its kind,
 * whether it must be set, its default, what it is for — read by a few lines below rather than a schema library:
 * every function parses it at start-up, and this keeps zod out of that path (BENCHMARKS.md → Cold start). The table
 * of docs/configuration.md is generated from it.
 */

/** What reading one set variable gives: its value, or why it is refused (never the value: it may be a secret). */
type Reading<T> = { value: T } | { invalid: string };

type Presence = 'required' | 'optional' | 'defaulted';

/** One environment variable: how it is read, whether it must be set, and what the docs say about it. */
export interface Variable<T = unknown, P extends Presence = Presence> {
  readonly presence: P;
  readonly default?: T;
  readonly description: string;
  /** The accepted values, for people, when the kind restricts them: options, a range, a URL. */
  readonly values?: string;
  read(raw: string): Reading<T>;
}

/** A kind of value (an option, an integer, a URL…), made into a variable by saying whether it must be set. */
class Kind<T> {
  constructor(
    readonly read: (raw: string) => Reading<T>,
    readonly values?: string,
  ) {}

  required(description: string): Variable<T, 'required'> {
    return this.#variable('required', description);
  }

  optional(description: string): Variable<T, 'optional'> {
    return this.#variable('optional', description);
  }

  withDefault(value: T, description: string): Variable<T, 'defaulted'> {
    return { ...this.#variable('defaulted', description), default: value };
  }

  #variable<P extends Presence>(presence: P, description: string): Variable<T, P> {
    return { presence, description, read: this.read, ...(this.values === undefined ? {} : { values: this.values }) };
  }
}

const oneOf = <const V extends string>(options: readonly V[]) =>
  new Kind<V>(
    (raw) =>
      (options as readonly string[]).includes(raw) ? { value: raw as V } : { invalid: `must be one of ${options.join(', ')}` },
    options.map((option) => `\`${option}\``).join(', '),
  );

/** As a number is written (`Number`: surrounding spaces allowed), a whole one within [min, max]. */
const integer = (min: number, max: number) =>
  new Kind<number>((raw) => {
    const value = Number(raw);
    return Number.isSafeInteger(value) && value >= min && value <= max
      ? { value }
      : { invalid: `must be an integer from ${min} to ${max}` };
  }, `integer ${min}–${max}`);

const text = (rule: { minLength?: number; pattern?: RegExp; message?: string }) =>
  new Kind<string>((raw) => {
    if (rule.minLength !== undefined && raw.length < rule.minLength) {
      return { invalid: `must be at least ${rule.minLength} characters` };
    }
    if (rule.pattern && !rule.pattern.test(raw)) return { invalid: rule.message ?? `must match ${rule.pattern}` };
    return { value: raw };
  });

/** An absolute http(s) URL, trimmed (and without the tabs and line breaks the URL parser would drop anyway). */
const httpUrl = new Kind<string>((raw) => {
  const value = raw.trim().replace(/[\t\n\r]/g, '');
  const url = /^https?:\/\//i.test(value) && URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return { invalid: 'must be an http(s) URL' };
  // A user or password in it would be printed wherever the URL is (start-up banner, mx check, logs).
  return url.username || url.password ? { invalid: 'must not carry a user name or password' } : { value };
}, 'http(s) URL');

const flag = new Kind<boolean>(
  (raw) => (raw === 'true' ? { value: true } : raw === 'false' ? { value: false } : { invalid: 'must be `true` or `false`' }),
  '`true`, `false`',
);

/** Set, and not empty. */
const nonEmpty = text({ minLength: 1 });
/** A Secrets Manager secret's ARN, whole or partial (without the random suffix: the service accepts both). */
const secretsManagerArn = text({
  pattern: /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
  message: 'must be a Secrets Manager secret ARN',
});
/** A KMS key's ARN, or an alias's. */
const kmsKeyArn = text({
  pattern: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/,
  message: 'must be a KMS key ARN',
});

export const CONFIG_VARIABLES = {
  NEXUS_RELAY_ENV: oneOf(['local', 'dev', 'staging', 'prod']).withDefault(
    'local',
    'Deployment environment. `local` allows the dev API key and the settings marked local only.',
  ),
  AWS_REGION: nonEmpty.withDefault('us-east-1', 'AWS region of the table and queues.'),
  AWS_ENDPOINT_URL_DYNAMODB: httpUrl.optional('DynamoDB endpoint override (dynalite locally).'),
  AWS_ENDPOINT_URL_SQS: httpUrl.optional('SQS endpoint override (fauxqs locally).'),
  TABLE_NAME: text({ minLength: 3 }).required('The single DynamoDB table.'),
  POLL_QUEUE_URL: httpUrl.required('SQS queue of aggregation poll steps.'),
  DELIVERY_QUEUE_URL: httpUrl.required('SQS queue of webhook delivery attempts.'),
  POLL_DLQ_URL: httpUrl.optional(
    'Dead-letter queue of `poll`; `worker-poll` (which refuses to start without it) puts messages it cannot parse there at once, with a `reason` attribute; `api-jobs` counts what waits there.',
  ),
  DELIVERY_DLQ_URL: httpUrl.optional(
    'Dead-letter queue of `delivery`; `worker-deliver` (which refuses to start without it) puts messages it cannot parse there at once, with a `reason` attribute; `api-jobs` counts what waits there.',
  ),
  REFRESH_REQUESTS_QUEUE_URL: httpUrl.optional(
    'SQS queue of refresh requests from upstream systems; `events-refresh` re-schedules over-cap requests on it.',
  ),
  REFRESH_REQUESTS_DLQ_URL: httpUrl.optional(
    'Dead-letter queue of `refresh-requests`; `events-refresh` puts invalid requests there with a `reason` attribute; `api-jobs` counts what waits there.',
  ),
  REFRESH_EVENTS_PER_SECOND: integer(1, 1000).withDefault(
    20,
    'Most aggregate calls `events-refresh` sends MX in any one-second span, across all containers.',
  ),
  MX_BASE_URL: httpUrl.required('Nexus data host, e.g. https://int-data.moneydesktop.com.'),
  MX_SSO_BASE_URL: httpUrl.optional(
    'MX SSO host (API tokens, widget URLs), e.g. https://int-sso.moneydesktop.com. Required outside local mode; locally it defaults to MX_BASE_URL (the simulator answers both).',
  ),
  MX_REALTIME_BASE_URL: httpUrl.optional(
    'MX MDX Real Time base, where users are made and deleted, without the client id: https://int-live.moneydesktop.com (integration), https://live.moneydesktop.com (production). Required outside local mode.',
  ),
  MX_CLIENT_ID: nonEmpty.optional(
    'MX client id (path segment of the SSO api_token call). Set it with MX_API_KEY, or use MX_CREDENTIALS_SECRET_ARN.',
  ),
  MX_API_KEY: nonEmpty.optional('MX API key (MD-API-KEY on SSO and MDX Real Time calls). Secret: prefer the secret ARN.'),
  MX_CREDENTIALS_SECRET_ARN: secretsManagerArn.optional(
    'Secrets Manager secret holding `{"client_id","api_key"}`; read on first use and kept for at most 15 minutes per container (deployed stacks use it).',
  ),
  MX_WEBHOOK_USERNAME: nonEmpty.optional(
    'HTTP Basic user name MX sends with its webhooks (set it with MX_WEBHOOK_PASSWORD, or use the secret ARN).',
  ),
  MX_WEBHOOK_PASSWORD: nonEmpty.optional('HTTP Basic password MX sends with its webhooks. Secret.'),
  MX_WEBHOOK_CREDENTIALS_SECRET_ARN: secretsManagerArn.optional(
    'Secrets Manager secret holding `{"username","password"}` for MX webhooks; read on first use and kept for at most 15 minutes per container. Without any, `/mx/webhooks` answers 401.',
  ),
  MX_AGGREGATE_METHOD: oneOf(['GET', 'POST']).withDefault(
    'GET',
    "HTTP method of MX's aggregate/refresh call (MX's reference pages show GET).",
  ),
  MX_USE_CASES_ENABLED: flag.withDefault(
    true,
    'Whether this deployment has opted in to use cases with MX: then Connect widget URLs (and members) carry `use_cases`, as MX requires; without it MX takes none, and the relay refuses them before calling MX.',
  ),
  MX_REQUEST_TIMEOUT_MS: integer(100, 60_000).withDefault(5000, 'Timeout of one attempt of an MX call.'),
  MX_RETRY_BUDGET_MS: integer(0, 600_000).withDefault(
    12_000,
    'Total time one MX call may take across its retries; keep it under the Lambda timeout.',
  ),
  AGGREGATION_DEADLINE_SECONDS: integer(5, 86_400).withDefault(
    1200,
    'A job still aggregating this long after it started ends `timed_out`.',
  ),
  POLL_MAX_DELAY_SECONDS: integer(3, 900).withDefault(30, 'Longest wait between two polls of one aggregation.'),
  RECONCILE_INTERVAL_MINUTES: integer(0, 10_080).withDefault(
    360,
    "How often the reconcile reads each user's members from MX, for aggregations and status changes MX's webhooks did not bring (0: never). 360 catches MX's daily background aggregation within 6 h for about 4 list calls per user per day (up to 8 more when a session must be made).",
  ),
  RECONCILE_USERS_PER_SWEEP: integer(1, 10_000).withDefault(
    500,
    'Users the sweeper sends to the reconcile per sweep at most, at a steady pace (this many over a minute): MX never sees a burst.',
  ),
  WEBHOOK_TIMEOUT_MS: integer(100, 30_000).withDefault(10_000, 'Timeout of one webhook attempt.'),
  WEBHOOK_SECRETS_KEY_ARN: kmsKeyArn.optional(
    'KMS key that envelope-encrypts webhook signing secrets at rest (deployed stacks set it for the functions that sign or rotate).',
  ),
  SESSION_TOKENS_KEY_ARN: kmsKeyArn.optional(
    'KMS key that envelope-encrypts MX session tokens at rest (deployed stacks set it for the functions that call MX, and only for them).',
  ),
  WEBHOOK_ALLOW_LOOPBACK: flag.withDefault(
    false,
    'Local mode only: accept webhook URLs on http://127.0.0.1 and http://localhost, and deliver to loopback addresses (the local stack turns it on and says so at start-up). Deployed stacks never set it: https to public addresses only.',
  ),
  LOCAL_SECRETS_KEY: text({ pattern: /^[A-Za-z0-9+/]{43}=$/, message: 'must be 32 bytes, base64' }).optional(
    'Local mode only, where whatever seals webhook signing secrets or MX session tokens, or signs sync cursors, needs it: the key they derive theirs from (`npm start` keeps one in its data directory, or makes one per run, and gives it to every function).',
  ),
  SYNC_CURSOR_KEY_SECRET_ARN: secretsManagerArn.optional(
    'Secret `{"key":"<base64, at least 32 bytes>"}` whose key signs transactions-sync cursors (deployed stacks create it; locally a key derived from the stack\'s own).',
  ),
  POLL_STALLED_AFTER_SECONDS: integer(10, 3600).withDefault(
    120,
    'An aggregation whose poll (or terminal event) is this late has lost its queue message; the sweeper sends it again (a needless re-poll is harmless).',
  ),
  DELIVERY_STALLED_AFTER_SECONDS: integer(10, 3600).withDefault(
    300,
    "A webhook delivery whose attempt is this late has lost its queue message; the sweeper sends it again. Keep it above the delivery queue's visibility timeout (180 s deployed).",
  ),
  API_KEY_REQUESTS_PER_MINUTE: integer(0, 1_000_000).withDefault(
    0,
    "Requests one API key may make per minute across every function (429 with Retry-After past it); 0: no per-key limit. Deployed stacks set half the stage's throttle rate, so no one key can spend it for everyone.",
  ),
  LOCAL_API_KEY: text({ minLength: 16 }).optional('Local mode only: the dev server API key (generated and printed if unset).'),
  LOG_LEVEL: oneOf(['DEBUG', 'INFO', 'WARN', 'ERROR']).withDefault('INFO', 'Log level of every function.'),
  POWERTOOLS_DEV: flag.optional('Pretty-print logs (Powertools).'),
} satisfies Record<string, Variable>;

type ValueOf<V> = V extends Variable<infer T, infer P> ? (P extends 'optional' ? T | undefined : T) : never;

/** The environment as read: each variable's value, its default, or undefined when optional and unset. */
export type ConfigValues = { [Name in keyof typeof CONFIG_VARIABLES]: ValueOf<(typeof CONFIG_VARIABLES)[Name]> };

/** One environment variable, described for people (the table of docs/configuration.md). */
export interface ConfigVariable {
  name: string;
  /** True when parsing fails without it. */
  required: boolean;
  /** The default, as the variable would be written; absent when there is none. */
  default?: string;
  /** The accepted values when the kind restricts them: options, a number's range, a URL. */
  values?: string;
  description: string;
}

/** Every variable, in declaration order, with what its description says. */
export function configVariables(): ConfigVariable[] {
  return Object.entries(CONFIG_VARIABLES).map(([name, variable]: [string, Variable]) => ({
    name,
    required: variable.presence === 'required',
    ...(variable.default === undefined ? {} : { default: String(variable.default) }),
    ...(variable.values === undefined ? {} : { values: variable.values }),
    description: variable.description,
  }));
}

/** Where the MX client id and API key come from: the environment (local, tests) or a Secrets Manager secret. */
export type MxCredentialsSource = { clientId: string; apiKey: string } | { secretArn: string };

/** Where the HTTP Basic credentials MX sends with its webhooks come from; like the MX credentials. */
export type MxWebhookCredentialsSource = { username: string; password: string } | { secretArn: string };

export interface Config {
  env: ConfigValues['NEXUS_RELAY_ENV'];
  aws: { region: string; dynamoDbEndpoint?: string; sqsEndpoint?: string };
  tableName: string;
  queues: { poll: string; delivery: string };
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
    /** What seals session tokens at rest: a KMS key, or locally a key derived from the stack's own. */
    sessionsKey?: { kmsKeyArn: string } | { localKey: Buffer };
  };
  aggregation: {
    deadlineSeconds: number;
    maxPollDelaySeconds: number;
    stalledAfterMs: number;
    /** RECONCILE_INTERVAL_MINUTES (0: off) and RECONCILE_USERS_PER_SWEEP (lib/aggregation/member-watch.ts). */
    reconcileIntervalMinutes: number;
    reconcileUsersPerSweep: number;
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
  /** The per-key request limit (0: none). */
  apiKeys: { requestsPerMinute: number };
  localApiKey?: string;
  logLevel: ConfigValues['LOG_LEVEL'];
}

/** A part of the configuration: what a composition reads, built from its own variables only (SECTIONS). */
export type ConfigSection = keyof Config;

type VariableName = keyof typeof CONFIG_VARIABLES;

/** A variable's value as declared: what was set, its default, or undefined (unset, or refused: then noted). */
type Read = <N extends VariableName>(name: N) => ConfigValues[N];

/** Notes a rule over several variables that the environment breaks. */
type Refuse = (variables: string[], text: string) => void;

/** The variables only the local stack may set. */
const LOCAL_ONLY: ReadonlySet<VariableName> = new Set(['LOCAL_API_KEY', 'LOCAL_SECRETS_KEY', 'WEBHOOK_ALLOW_LOOPBACK']);

/** Each section of Config, from the variables it reads. */
const SECTIONS: { readonly [S in ConfigSection]: (read: Read, refuse: Refuse) => Config[S] } = {
  env: (read) => read('NEXUS_RELAY_ENV'),
  aws: (read) => ({
    region: read('AWS_REGION'),
    dynamoDbEndpoint: read('AWS_ENDPOINT_URL_DYNAMODB'),
    sqsEndpoint: read('AWS_ENDPOINT_URL_SQS'),
  }),
  tableName: (read) => read('TABLE_NAME'),
  queues: (read) => ({ poll: read('POLL_QUEUE_URL'), delivery: read('DELIVERY_QUEUE_URL') }),
  deadLetterQueues: (read) => ({
    poll: read('POLL_DLQ_URL'),
    delivery: read('DELIVERY_DLQ_URL'),
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
    reconcileUsersPerSweep: read('RECONCILE_USERS_PER_SWEEP'),
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
  apiKeys: (read) => ({ requestsPerMinute: read('API_KEY_REQUESTS_PER_MINUTE') }),
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
