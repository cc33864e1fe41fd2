import { createHmac } from 'node:crypto';
import * as z from './zod.ts';
import { ConfigError } from './errors.ts';

/**
 * Every environment variable nexus-relay reads, in one place. lib/ never touches process.env:
 * functions call `getConfig()` once per container and pass the parts they need down.
 * Each entry carries a description so the table of docs/configuration.md can be generated from this schema.
 */
const boolean = z.pipe(
  z.enum(['true', 'false']),
  z.transform((v: 'true' | 'false') => v === 'true'),
);
const integer = (min: number, max: number) => z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max));
const url = z.url({ protocol: /^https?$/ });

export const configSchema = z.object({
  NEXUS_RELAY_ENV: z
    ._default(z.enum(['local', 'dev', 'staging', 'prod']), 'local')
    .check(z.describe('Deployment environment. `local` allows the dev API key and the settings marked local only.')),
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'us-east-1').check(z.describe('AWS region of the table and queues.')),
  AWS_ENDPOINT_URL_DYNAMODB: z.optional(url).check(z.describe('DynamoDB endpoint override (dynalite locally).')),
  AWS_ENDPOINT_URL_SQS: z.optional(url).check(z.describe('SQS endpoint override (fauxqs locally).')),
  TABLE_NAME: z.string().check(z.minLength(3), z.describe('The single DynamoDB table.')),
  POLL_QUEUE_URL: url.check(z.describe('SQS queue of aggregation poll steps.')),
  DELIVERY_QUEUE_URL: url.check(z.describe('SQS queue of webhook delivery attempts.')),
  POLL_DLQ_URL: z
    .optional(url)
    .check(
      z.describe(
        'Dead-letter queue of `poll`; `worker-poll` puts messages it cannot parse there at once, with a `reason` attribute.',
      ),
    ),
  DELIVERY_DLQ_URL: z
    .optional(url)
    .check(
      z.describe(
        'Dead-letter queue of `delivery`; `worker-deliver` puts messages it cannot parse there at once, with a `reason` attribute.',
      ),
    ),
  REFRESH_REQUESTS_QUEUE_URL: z
    .optional(url)
    .check(
      z.describe('SQS queue of refresh requests from upstream systems; `events-refresh` re-schedules over-cap requests on it.'),
    ),
  REFRESH_REQUESTS_DLQ_URL: z
    .optional(url)
    .check(
      z.describe(
        'Dead-letter queue of `refresh-requests`; `events-refresh` puts invalid requests there with a `reason` attribute.',
      ),
    ),
  REFRESH_EVENTS_PER_SECOND: z
    ._default(integer(1, 1000), 20)
    .check(z.describe('Most aggregate calls `events-refresh` sends MX in any one-second span, across all containers.')),
  MX_BASE_URL: url.check(z.describe('Nexus data host, e.g. https://int-data.moneydesktop.com.')),
  MX_SSO_BASE_URL: z
    .optional(url)
    .check(
      z.describe(
        'MX SSO host, e.g. https://int-sso.moneydesktop.com. Required outside local mode; locally it defaults to MX_BASE_URL.',
      ),
    ),
  MX_CLIENT_ID: z
    .optional(z.string().check(z.minLength(1)))
    .check(
      z.describe(
        'MX client id (path segment of the SSO api_token call). Set it with MX_API_KEY, or use MX_CREDENTIALS_SECRET_ARN.',
      ),
    ),
  MX_API_KEY: z
    .optional(z.string().check(z.minLength(1)))
    .check(z.describe('MX API key (MD-API-KEY on the SSO call). Secret: prefer the secret ARN.')),
  MX_CREDENTIALS_SECRET_ARN: z
    .optional(z.string().check(z.regex(/^arn:aws[\w-]*:secretsmanager:/, 'must be a Secrets Manager secret ARN')))
    .check(
      z.describe(
        'Secrets Manager secret holding `{"client_id","api_key"}`; read on first use and kept for at most 15 minutes per container (deployed stacks use it).',
      ),
    ),
  MX_WEBHOOK_USERNAME: z
    .optional(z.string().check(z.minLength(1)))
    .check(
      z.describe('HTTP Basic user name MX sends with its webhooks (set it with MX_WEBHOOK_PASSWORD, or use the secret ARN).'),
    ),
  MX_WEBHOOK_PASSWORD: z
    .optional(z.string().check(z.minLength(1)))
    .check(z.describe('HTTP Basic password MX sends with its webhooks. Secret.')),
  MX_WEBHOOK_CREDENTIALS_SECRET_ARN: z
    .optional(z.string().check(z.regex(/^arn:aws[\w-]*:secretsmanager:/, 'must be a Secrets Manager secret ARN')))
    .check(
      z.describe(
        'Secrets Manager secret holding `{"username","password"}` for MX webhooks; read on first use and kept for at most 15 minutes per container. Without any, `/mx/webhooks` answers 401.',
      ),
    ),
  MX_AGGREGATE_METHOD: z
    ._default(z.enum(['GET', 'POST']), 'GET')
    .check(z.describe("HTTP method of MX's aggregate/refresh call (MX's reference pages show GET).")),
  MX_REQUEST_TIMEOUT_MS: z._default(integer(100, 60_000), 5_000).check(z.describe('Timeout of one attempt of an MX call.')),
  MX_RETRY_BUDGET_MS: z
    ._default(integer(0, 600_000), 12_000)
    .check(z.describe('Total time one MX call may take across its retries; keep it under the Lambda timeout.')),
  AGGREGATION_DEADLINE_SECONDS: z
    ._default(integer(5, 86_400), 1200)
    .check(z.describe('A job still aggregating this long after it started ends `timed_out`.')),
  POLL_MAX_DELAY_SECONDS: z._default(integer(3, 900), 30).check(z.describe('Longest wait between two polls of one aggregation.')),
  WEBHOOK_TIMEOUT_MS: z._default(integer(100, 30_000), 10_000).check(z.describe('Timeout of one webhook attempt.')),
  WEBHOOK_SECRETS_KEY_ARN: z
    .optional(
      z.string().check(z.regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/, 'must be a KMS key ARN')),
    )
    .check(
      z.describe(
        'KMS key that envelope-encrypts webhook signing secrets at rest (deployed stacks set it for the functions that sign or rotate).',
      ),
    ),
  WEBHOOK_ALLOW_LOOPBACK: z
    ._default(boolean, false)
    .check(
      z.describe(
        'Local mode only: accept webhook URLs on http://127.0.0.1 and http://localhost, and deliver to loopback addresses (the local stack turns it on and says so at start-up). Deployed stacks never set it: https to public addresses only.',
      ),
    ),
  LOCAL_SECRETS_KEY: z
    .optional(z.string().check(z.regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes, base64')))
    .check(
      z.describe(
        'Local mode only: the key that encrypts webhook signing secrets (the local stack keeps one in its data directory).',
      ),
    ),
  SYNC_CURSOR_KEY_SECRET_ARN: z
    .optional(
      z
        .string()
        .check(
          z.regex(
            /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
            'must be a Secrets Manager secret ARN',
          ),
        ),
    )
    .check(
      z.describe(
        'Secret `{"key":"<base64, at least 32 bytes>"}` whose key signs transactions-sync cursors (deployed stacks create it; locally a key derived from the stack\'s own).',
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
  LOCAL_API_KEY: z
    .optional(z.string().check(z.minLength(16)))
    .check(z.describe('Local mode only: the dev server API key (generated and printed if unset).')),
  LOG_LEVEL: z._default(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']), 'INFO').check(z.describe('Log level of every function.')),
  POWERTOOLS_DEV: z.optional(boolean).check(z.describe('Pretty-print logs (Powertools).')),
});

/** One environment variable of `configSchema`, described for people (the table of docs/configuration.md). */
export interface ConfigVariable {
  name: string;
  /** True when parsing fails without it. */
  required: boolean;
  /** The schema's default, as the variable would be written; absent when there is none. */
  default?: string;
  /** The accepted values when the schema restricts them: an enum's options, a number's range, a URL. */
  values?: string;
  /** The schema's `.describe()` text. */
  description: string;
}

/** Every variable the config schema reads, in schema order, with what the schema says about it. */
export function configVariables(): ConfigVariable[] {
  return Object.entries(configSchema.shape).map(([name, schema]) => {
    let inner: z.core.$ZodType = schema;
    let defaultValue: unknown;
    for (;;) {
      const def = inner._zod.def;
      if (def.type === 'default') {
        defaultValue = (def as z.core.$ZodDefaultDef).defaultValue;
        inner = (def as z.core.$ZodDefaultDef).innerType;
      } else if (def.type === 'optional') {
        inner = (def as z.core.$ZodOptionalDef).innerType;
      } else if (def.type === 'pipe') {
        inner = (def as z.core.$ZodPipeDef).in;
      } else break;
    }
    const description = z.globalRegistry.get(schema)?.description;
    if (!description) throw new Error(`configSchema.${name} has no description`);
    const values = acceptedValues(inner);
    return {
      name,
      required: !schema.safeParse(undefined).success,
      ...(defaultValue === undefined ? {} : { default: String(defaultValue) }),
      ...(values === undefined ? {} : { values }),
      description,
    };
  });
}

function acceptedValues(schema: z.core.$ZodType): string | undefined {
  const def = schema._zod.def;
  if (def.type === 'enum') {
    return Object.values((def as z.core.$ZodEnumDef).entries)
      .map((option) => `\`${String(option)}\``)
      .join(', ');
  }
  if (def.type === 'number') {
    const checks = (def.checks ?? []).map((check) => check._zod.def as { check: string; value?: number; format?: string });
    const minimum = checks.find((check) => check.check === 'greater_than')?.value;
    const maximum = checks.find((check) => check.check === 'less_than')?.value;
    const integer = checks.some((check) => check.check === 'number_format' && check.format?.includes('int'));
    if (minimum !== undefined && maximum !== undefined) return `${integer ? 'integer ' : ''}${minimum}–${maximum}`;
  }
  if ((def as { format?: string }).format === 'url') return 'http(s) URL';
  return undefined;
}

export type ConfigEnv = z.input<typeof configSchema>;
type Parsed = z.output<typeof configSchema>;

/** Where the MX client id and API key come from: the environment (local, tests) or a Secrets Manager secret. */
export type MxCredentialsSource = { clientId: string; apiKey: string } | { secretArn: string };

/** Where the HTTP Basic credentials MX sends with its webhooks come from; like the MX credentials. */
export type MxWebhookCredentialsSource = { username: string; password: string } | { secretArn: string };

export interface Config {
  env: Parsed['NEXUS_RELAY_ENV'];
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
    requestTimeoutMs: number;
    retryBudgetMs: number;
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
  localApiKey?: string;
  logLevel: Parsed['LOG_LEVEL'];
}

/** Parses an environment (process.env by default); throws ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.fromEntries(Object.keys(configSchema.shape).map((key) => [key, env[key] === '' ? undefined : env[key]]));
  const result = configSchema.safeParse(known);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '?');
      const reason = known[variable] === undefined ? 'is required' : `is invalid: ${issue.message}`;
      return { variable, text: `${variable} ${reason}` };
    });
    throw new ConfigError(
      [...new Set(problems.map((p) => p.variable))],
      `Invalid configuration: ${problems.map((p) => p.text).join('; ')}`,
    );
  }
  const c = result.data;
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
      requestTimeoutMs: c.MX_REQUEST_TIMEOUT_MS,
      retryBudgetMs: c.MX_RETRY_BUDGET_MS,
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
      ...(c.WEBHOOK_SECRETS_KEY_ARN
        ? { secretsKey: { kmsKeyArn: c.WEBHOOK_SECRETS_KEY_ARN } }
        : c.LOCAL_SECRETS_KEY
          ? { secretsKey: { localKey: Buffer.from(c.LOCAL_SECRETS_KEY, 'base64') } }
          : {}),
    },
    mxWebhooks: { credentials: mxWebhookCredentials },
    transactionsSync: c.SYNC_CURSOR_KEY_SECRET_ARN
      ? { cursorKey: { secretArn: c.SYNC_CURSOR_KEY_SECRET_ARN } }
      : c.LOCAL_SECRETS_KEY
        ? { cursorKey: { localKey: deriveKey(Buffer.from(c.LOCAL_SECRETS_KEY, 'base64'), 'transactions sync cursors') } }
        : {},
    localApiKey: c.LOCAL_API_KEY,
    logLevel: c.LOG_LEVEL,
  };
}

/** A key of its own for one purpose, from the local stack's key (HMAC-SHA256 of the purpose). */
const deriveKey = (key: Buffer, purpose: string): Buffer => createHmac('sha256', key).update(`nexus-relay ${purpose}`).digest();

function mxCredentialsSource(c: Parsed): MxCredentialsSource | undefined {
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

function mxWebhookCredentialsSource(c: Parsed): MxWebhookCredentialsSource | undefined {
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
