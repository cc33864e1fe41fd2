import { createHmac } from 'node:crypto';
import { ConfigError } from './errors.ts';
import * as z from './zod.ts';

/**
 * Every environment variable nexus-relay reads, declared once, as a zod schema: its kind, whether it must be set, its
 * default and what it is for (the table of docs/configuration.md is generated from it). lib/ never touches
 * process.env: functions call `getConfig()` once per container and pass the parts they need down.
 */

// The kinds of value. A refusal says what is allowed, never the value: it may be a secret.
const oneOf = <const V extends string>(options: readonly [V, ...V[]]) =>
  z.enum(options, { error: `must be one of ${options.join(', ')}` });

/** As a number is written (`Number`: surrounding spaces allowed), a whole one within [min, max]. */
const integer = (min: number, max: number) => {
  const error = `must be an integer from ${min} to ${max}`;
  return z.coerce.number({ error }).check(z.int({ error }), z.minimum(min, { error }), z.maximum(max, { error }));
};

const text = (minLength: number) =>
  z.string().check(z.minLength(minLength, { error: `must be at least ${minLength} characters` }));
const matching = (pattern: RegExp, error: string) => z.string().check(z.regex(pattern, { error }));

/** An absolute http(s) URL, trimmed (and without the tabs and line breaks the URL parser would drop anyway). */
const httpUrl = z
  .pipe(
    z.string().check(
      z.overwrite((raw) => raw.trim().replace(/[\t\n\r]/g, '')),
      z.regex(/^https?:\/\//i, { error: 'must be an http(s) URL' }),
    ),
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  )
  .check(z.meta({ values: 'http(s) URL' }));

const flag = z.pipe(
  z.enum(['true', 'false'], { error: 'must be `true` or `false`' }),
  z.transform((raw) => raw === 'true'),
);

/** Set, and not empty (an empty variable counts as unset). */
const nonEmpty = text(1);
/** A Secrets Manager ARN (its start: the service accepts partial ARNs). */
const secretsManagerArn = matching(/^arn:aws[\w-]*:secretsmanager:/, 'must be a Secrets Manager secret ARN');
const kmsKeyArn = matching(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/, 'must be a KMS key ARN');

export const CONFIG_SCHEMA = z.object({
  NEXUS_RELAY_ENV: z
    ._default(oneOf(['local', 'dev', 'staging', 'prod']), 'local')
    .check(z.describe('Deployment environment. `local` allows the dev API key and the settings marked local only.')),
  AWS_REGION: z._default(nonEmpty, 'us-east-1').check(z.describe('AWS region of the table and queues.')),
  AWS_ENDPOINT_URL_DYNAMODB: z.optional(httpUrl.check(z.describe('DynamoDB endpoint override (dynalite locally).'))),
  AWS_ENDPOINT_URL_SQS: z.optional(httpUrl.check(z.describe('SQS endpoint override (fauxqs locally).'))),
  TABLE_NAME: text(3).check(z.describe('The single DynamoDB table.')),
  POLL_QUEUE_URL: httpUrl.check(z.describe('SQS queue of aggregation poll steps.')),
  DELIVERY_QUEUE_URL: httpUrl.check(z.describe('SQS queue of webhook delivery attempts.')),
  POLL_DLQ_URL: z.optional(
    httpUrl.check(
      z.describe(
        'Dead-letter queue of `poll`; `worker-poll` puts messages it cannot parse there at once, with a `reason` attribute.',
      ),
    ),
  ),
  DELIVERY_DLQ_URL: z.optional(
    httpUrl.check(
      z.describe(
        'Dead-letter queue of `delivery`; `worker-deliver` puts messages it cannot parse there at once, with a `reason` attribute.',
      ),
    ),
  ),
  REFRESH_REQUESTS_QUEUE_URL: z.optional(
    httpUrl.check(
      z.describe('SQS queue of refresh requests from upstream systems; `events-refresh` re-schedules over-cap requests on it.'),
    ),
  ),
  REFRESH_REQUESTS_DLQ_URL: z.optional(
    httpUrl.check(
      z.describe(
        'Dead-letter queue of `refresh-requests`; `events-refresh` puts invalid requests there with a `reason` attribute.',
      ),
    ),
  ),
  REFRESH_EVENTS_PER_SECOND: z
    ._default(integer(1, 1000), 20)
    .check(z.describe('Most aggregate calls `events-refresh` sends MX in any one-second span, across all containers.')),
  MX_BASE_URL: httpUrl.check(z.describe('Nexus data host, e.g. https://int-data.moneydesktop.com.')),
  MX_SSO_BASE_URL: z.optional(
    httpUrl.check(
      z.describe(
        'MX SSO host, e.g. https://int-sso.moneydesktop.com. Required outside local mode; locally it defaults to MX_BASE_URL.',
      ),
    ),
  ),
  MX_CLIENT_ID: z.optional(
    nonEmpty.check(
      z.describe(
        'MX client id (path segment of the SSO api_token call). Set it with MX_API_KEY, or use MX_CREDENTIALS_SECRET_ARN.',
      ),
    ),
  ),
  MX_API_KEY: z.optional(nonEmpty.check(z.describe('MX API key (MD-API-KEY on the SSO call). Secret: prefer the secret ARN.'))),
  MX_CREDENTIALS_SECRET_ARN: z.optional(
    secretsManagerArn.check(
      z.describe(
        'Secrets Manager secret holding `{"client_id","api_key"}`; read on first use and kept for at most 15 minutes per container (deployed stacks use it).',
      ),
    ),
  ),
  MX_WEBHOOK_USERNAME: z.optional(
    nonEmpty.check(
      z.describe('HTTP Basic user name MX sends with its webhooks (set it with MX_WEBHOOK_PASSWORD, or use the secret ARN).'),
    ),
  ),
  MX_WEBHOOK_PASSWORD: z.optional(nonEmpty.check(z.describe('HTTP Basic password MX sends with its webhooks. Secret.'))),
  MX_WEBHOOK_CREDENTIALS_SECRET_ARN: z.optional(
    secretsManagerArn.check(
      z.describe(
        'Secrets Manager secret holding `{"username","password"}` for MX webhooks; read on first use and kept for at most 15 minutes per container. Without any, `/mx/webhooks` answers 401.',
      ),
    ),
  ),
  MX_AGGREGATE_METHOD: z
    ._default(oneOf(['GET', 'POST']), 'GET')
    .check(z.describe("HTTP method of MX's aggregate/refresh call (MX's reference pages show GET).")),
  MX_USE_CASES_ENABLED: z
    ._default(flag, true)
    .check(
      z.describe(
        'Whether this deployment has opted in to use cases with MX: then Connect widget URLs (and members) carry `use_cases`, as MX requires; without it MX takes none, and the relay refuses them before calling MX.',
      ),
    ),
  MX_REQUEST_TIMEOUT_MS: z._default(integer(100, 60_000), 5000).check(z.describe('Timeout of one attempt of an MX call.')),
  MX_RETRY_BUDGET_MS: z
    ._default(integer(0, 600_000), 12_000)
    .check(z.describe('Total time one MX call may take across its retries; keep it under the Lambda timeout.')),
  AGGREGATION_DEADLINE_SECONDS: z
    ._default(integer(5, 86_400), 1200)
    .check(z.describe('A job still aggregating this long after it started ends `timed_out`.')),
  POLL_MAX_DELAY_SECONDS: z._default(integer(3, 900), 30).check(z.describe('Longest wait between two polls of one aggregation.')),
  WEBHOOK_TIMEOUT_MS: z._default(integer(100, 30_000), 10_000).check(z.describe('Timeout of one webhook attempt.')),
  WEBHOOK_SECRETS_KEY_ARN: z.optional(
    kmsKeyArn.check(
      z.describe(
        'KMS key that envelope-encrypts webhook signing secrets at rest (deployed stacks set it for the functions that sign or rotate).',
      ),
    ),
  ),
  SESSION_TOKENS_KEY_ARN: z.optional(
    kmsKeyArn.check(
      z.describe(
        'KMS key that envelope-encrypts MX session tokens at rest (deployed stacks set it for the functions that call MX, and only for them).',
      ),
    ),
  ),
  WEBHOOK_ALLOW_LOOPBACK: z
    ._default(flag, false)
    .check(
      z.describe(
        'Local mode only: accept webhook URLs on http://127.0.0.1 and http://localhost, and deliver to loopback addresses (the local stack turns it on and says so at start-up). Deployed stacks never set it: https to public addresses only.',
      ),
    ),
  LOCAL_SECRETS_KEY: z.optional(
    matching(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes, base64').check(
      z.describe(
        'Local mode only, where whatever seals webhook signing secrets or MX session tokens, or signs sync cursors, needs it: the key they derive theirs from (`npm start` keeps one in its data directory, or makes one per run, and gives it to every function).',
      ),
    ),
  ),
  SYNC_CURSOR_KEY_SECRET_ARN: z.optional(
    matching(
      /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
      'must be a Secrets Manager secret ARN',
    ).check(
      z.describe(
        'Secret `{"key":"<base64, at least 32 bytes>"}` whose key signs transactions-sync cursors (deployed stacks create it; locally a key derived from the stack\'s own).',
      ),
    ),
  ),
  POLL_STALLED_AFTER_SECONDS: z
    ._default(integer(10, 3600), 120)
    .check(
      z.describe(
        'An aggregation whose poll (or terminal event) is this late has lost its queue message; the sweeper sends it again (a needless re-poll is harmless).',
      ),
    ),
  DELIVERY_STALLED_AFTER_SECONDS: z
    ._default(integer(10, 3600), 300)
    .check(
      z.describe(
        "A webhook delivery whose attempt is this late has lost its queue message; the sweeper sends it again. Keep it above the delivery queue's visibility timeout (180 s deployed).",
      ),
    ),
  API_KEY_REQUESTS_PER_MINUTE: z
    ._default(integer(0, 1_000_000), 0)
    .check(
      z.describe(
        "Requests one API key may make per minute across every function (429 with Retry-After past it); 0: no per-key limit. Deployed stacks set half the stage's throttle rate, so no one key can spend it for everyone.",
      ),
    ),
  LOCAL_API_KEY: z.optional(
    text(16).check(z.describe('Local mode only: the dev server API key (generated and printed if unset).')),
  ),
  LOG_LEVEL: z._default(oneOf(['DEBUG', 'INFO', 'WARN', 'ERROR']), 'INFO').check(z.describe('Log level of every function.')),
  POWERTOOLS_DEV: z.optional(flag.check(z.describe('Pretty-print logs (Powertools).'))),
});

/** The environment as read: each variable's value, its default, or undefined when optional and unset. */
export type ConfigValues = z.output<typeof CONFIG_SCHEMA>;

/** Where the MX client id and API key come from: the environment (local, tests) or a Secrets Manager secret. */
export type MxCredentialsSource = { clientId: string; apiKey: string } | { secretArn: string };

/** Where the HTTP Basic credentials MX sends with its webhooks come from; like the MX credentials. */
export type MxWebhookCredentialsSource = { username: string; password: string } | { secretArn: string };

/** The configuration as the functions take it: the variables grouped by what uses them. */
export interface Config {
  env: ConfigValues['NEXUS_RELAY_ENV'];
  aws: { region: string; dynamoDbEndpoint?: string; sqsEndpoint?: string };
  tableName: string;
  queues: { poll: string; delivery: string };
  /** Where the workers put messages they cannot parse (without one, SQS's redrive takes them there later). */
  deadLetterQueues: { poll?: string; delivery?: string };
  mx: {
    baseUrl: string;
    ssoBaseUrl: string;
    /** Absent in functions that never call MX; `createNexusClient` refuses to start without it. */
    credentials?: MxCredentialsSource;
    aggregateMethod: 'GET' | 'POST';
    /** MX_USE_CASES_ENABLED: the deployment has opted in to use cases with MX (lib/connect/use-cases.ts). */
    useCasesEnabled: boolean;
    requestTimeoutMs: number;
    retryBudgetMs: number;
    /** What seals session tokens at rest: a KMS key, or locally a key derived from the stack's own. */
    sessionsKey?: { kmsKeyArn: string } | { localKey: Buffer };
  };
  aggregation: { deadlineSeconds: number; maxPollDelaySeconds: number; stalledAfterMs: number };
  /** Refresh requests from upstream systems; the queue URLs are absent in functions that do not consume them. */
  refreshRequests: { perSecond: number; queueUrl?: string; deadLetterQueueUrl?: string };
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

/** Parses an environment (process.env by default); throws ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = z.safeParse(CONFIG_SCHEMA, set);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0]);
      return {
        variable,
        text: set[variable] === undefined ? `${variable} is required` : `${variable} is invalid: ${issue.message}`,
      };
    });
    throw new ConfigError(
      problems.map((problem) => problem.variable),
      `Invalid configuration: ${problems.map((problem) => problem.text).join('; ')}`,
    );
  }
  return configOf(parsed.data);
}

function configOf(c: ConfigValues): Config {
  const credentials = mxCredentialsSource(c);
  const mxWebhookCredentials = mxWebhookCredentialsSource(c);
  if (!c.MX_SSO_BASE_URL && c.NEXUS_RELAY_ENV !== 'local') {
    throw new ConfigError(
      ['MX_SSO_BASE_URL'],
      'Invalid configuration: MX_SSO_BASE_URL (the SSO host, e.g. https://sso.moneydesktop.com) is required outside local mode',
    );
  }
  for (const name of ['LOCAL_API_KEY', 'LOCAL_SECRETS_KEY', 'WEBHOOK_ALLOW_LOOPBACK'] as const) {
    if (c[name] && c.NEXUS_RELAY_ENV !== 'local') {
      throw new ConfigError([name], `Invalid configuration: ${name} is only allowed when NEXUS_RELAY_ENV=local`);
    }
  }
  const localKey = c.LOCAL_SECRETS_KEY === undefined ? undefined : Buffer.from(c.LOCAL_SECRETS_KEY, 'base64');
  return {
    env: c.NEXUS_RELAY_ENV,
    aws: { region: c.AWS_REGION, dynamoDbEndpoint: c.AWS_ENDPOINT_URL_DYNAMODB, sqsEndpoint: c.AWS_ENDPOINT_URL_SQS },
    tableName: c.TABLE_NAME,
    queues: { poll: c.POLL_QUEUE_URL, delivery: c.DELIVERY_QUEUE_URL },
    deadLetterQueues: { poll: c.POLL_DLQ_URL, delivery: c.DELIVERY_DLQ_URL },
    mx: {
      baseUrl: c.MX_BASE_URL,
      ssoBaseUrl: c.MX_SSO_BASE_URL ?? c.MX_BASE_URL,
      credentials,
      aggregateMethod: c.MX_AGGREGATE_METHOD,
      useCasesEnabled: c.MX_USE_CASES_ENABLED,
      requestTimeoutMs: c.MX_REQUEST_TIMEOUT_MS,
      retryBudgetMs: c.MX_RETRY_BUDGET_MS,
      sessionsKey: c.SESSION_TOKENS_KEY_ARN
        ? { kmsKeyArn: c.SESSION_TOKENS_KEY_ARN }
        : localKey && { localKey: deriveKey(localKey, 'mx session tokens') },
    },
    aggregation: {
      deadlineSeconds: c.AGGREGATION_DEADLINE_SECONDS,
      maxPollDelaySeconds: c.POLL_MAX_DELAY_SECONDS,
      stalledAfterMs: c.POLL_STALLED_AFTER_SECONDS * 1000,
    },
    refreshRequests: {
      perSecond: c.REFRESH_EVENTS_PER_SECOND,
      queueUrl: c.REFRESH_REQUESTS_QUEUE_URL,
      deadLetterQueueUrl: c.REFRESH_REQUESTS_DLQ_URL,
    },
    webhooks: {
      timeoutMs: c.WEBHOOK_TIMEOUT_MS,
      allowInsecureUrls: c.WEBHOOK_ALLOW_LOOPBACK,
      stalledAfterMs: c.DELIVERY_STALLED_AFTER_SECONDS * 1000,
      secretsKey: c.WEBHOOK_SECRETS_KEY_ARN ? { kmsKeyArn: c.WEBHOOK_SECRETS_KEY_ARN } : localKey && { localKey },
    },
    mxWebhooks: { credentials: mxWebhookCredentials },
    transactionsSync: {
      cursorKey: c.SYNC_CURSOR_KEY_SECRET_ARN
        ? { secretArn: c.SYNC_CURSOR_KEY_SECRET_ARN }
        : localKey && { localKey: deriveKey(localKey, 'transactions sync cursors') },
    },
    apiKeys: { requestsPerMinute: c.API_KEY_REQUESTS_PER_MINUTE },
    localApiKey: c.LOCAL_API_KEY,
    logLevel: c.LOG_LEVEL,
  };
}

/** A key of its own for one purpose, from the local stack's key (HMAC-SHA256 of the purpose). */
const deriveKey = (key: Buffer, purpose: string): Buffer => createHmac('sha256', key).update(`nexus-relay ${purpose}`).digest();

function mxCredentialsSource(c: ConfigValues): MxCredentialsSource | undefined {
  if (c.MX_CREDENTIALS_SECRET_ARN) {
    const both = (['MX_CLIENT_ID', 'MX_API_KEY'] as const).filter((name) => c[name] !== undefined);
    if (both.length > 0) {
      throw new ConfigError(both, `Invalid configuration: set ${both.join(' and ')} or MX_CREDENTIALS_SECRET_ARN, not both`);
    }
    return { secretArn: c.MX_CREDENTIALS_SECRET_ARN };
  }
  if (c.MX_CLIENT_ID === undefined && c.MX_API_KEY === undefined) return undefined;
  const missing = (['MX_CLIENT_ID', 'MX_API_KEY'] as const).filter((name) => c[name] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(missing, `Invalid configuration: ${missing.map((name) => `${name} is required`).join('; ')}`);
  }
  return { clientId: c.MX_CLIENT_ID!, apiKey: c.MX_API_KEY! };
}

function mxWebhookCredentialsSource(c: ConfigValues): MxWebhookCredentialsSource | undefined {
  const pair = ['MX_WEBHOOK_USERNAME', 'MX_WEBHOOK_PASSWORD'] as const;
  const given = pair.filter((name) => c[name] !== undefined);
  if (c.MX_WEBHOOK_CREDENTIALS_SECRET_ARN) {
    if (given.length > 0) {
      throw new ConfigError(
        given,
        `Invalid configuration: set ${given.join(' and ')} or MX_WEBHOOK_CREDENTIALS_SECRET_ARN, not both`,
      );
    }
    return { secretArn: c.MX_WEBHOOK_CREDENTIALS_SECRET_ARN };
  }
  if (given.length === 0) return undefined;
  const missing = pair.filter((name) => c[name] === undefined);
  if (missing.length > 0) {
    throw new ConfigError(missing, `Invalid configuration: ${missing.map((name) => `${name} is required`).join('; ')}`);
  }
  return { username: c.MX_WEBHOOK_USERNAME!, password: c.MX_WEBHOOK_PASSWORD! };
}

let cached: Config | undefined;

/** The process configuration, parsed once per container. */
export function getConfig(): Config {
  cached ??= parseConfig();
  return cached;
}
