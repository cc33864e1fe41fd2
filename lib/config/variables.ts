import { flag, httpUrl, integer, kmsKeyArn, nonEmpty, oneOf, secretsManagerArn, text, type Variable } from './variable-kinds.ts';

/** Every environment variable nexus-relay reads; docs/configuration.md's table is generated from these (`npm run docs`). */
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
  MEMBER_REPORTS_QUEUE_URL: httpUrl.required("SQS queue of the members MX's webhooks reported on, for `worker-poll`."),
  RECONCILE_QUEUE_URL: httpUrl.required("SQS queue of users' reconcile turns, for `worker-poll`."),
  ERASURES_QUEUE_URL: httpUrl.optional(
    "SQS queue of users' erasure steps; `api-refresh` (which queues the first) and `worker-poll` refuse to start without it.",
  ),
  DELIVERY_QUEUE_URL: httpUrl.required('SQS queue of webhook delivery attempts.'),
  DELIVERY_SLOW_QUEUE_URL: httpUrl.optional(
    'SQS queue of the delivery attempts to endpoints that answer slowly or not at all (the slow lane); `worker-deliver` refuses to start without it.',
  ),
  POLL_DLQ_URL: httpUrl.optional(
    'Dead-letter queue of `poll`; `worker-poll` (which refuses to start without it) puts messages it cannot parse there at once, with a `reason` attribute; `api-jobs` counts what waits there.',
  ),
  MEMBER_REPORTS_DLQ_URL: httpUrl.optional(
    'Dead-letter queue of `member-reports`; `worker-poll` (which refuses to start without it) puts messages it cannot parse there at once, with a `reason` attribute; `api-jobs` counts what waits there.',
  ),
  RECONCILE_DLQ_URL: httpUrl.optional(
    'Dead-letter queue of `reconcile`; `worker-poll` (which refuses to start without it) puts messages it cannot parse there at once, with a `reason` attribute; `api-jobs` counts what waits there.',
  ),
  ERASURES_DLQ_URL: httpUrl.optional(
    'Dead-letter queue of `erasures`; `worker-poll` (which refuses to start without it) puts messages it cannot parse there at once, with a `reason` attribute; `api-jobs` counts what waits there.',
  ),
  DELIVERY_DLQ_URL: httpUrl.optional(
    'Dead-letter queue of `delivery`; `worker-deliver` (which refuses to start without it) puts messages it cannot parse there at once, with a `reason` attribute; `api-jobs` counts what waits there.',
  ),
  DELIVERY_SLOW_DLQ_URL: httpUrl.optional(
    'Dead-letter queue of `delivery-slow`; `worker-deliver` (which refuses to start without it) puts messages it cannot parse there at once, with a `reason` attribute; `api-jobs` counts what waits there.',
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
  MX_USE_CASES_ENABLED: flag.required(
    'Whether MX has opted this client in to use cases (MX switches them on per client and refuses `use_cases` otherwise): then Connect widget URLs and member writes carry `use_cases` (PFM, or a member’s own, unless the request names them); without it the relay refuses them before calling MX. No default: a deployed stack states it (`-c mxUseCasesEnabled`), the local stack takes its simulator’s (true unless set).',
  ),
  MX_REQUEST_TIMEOUT_MS: integer(100, 60_000).withDefault(5000, 'Timeout of one attempt of an MX call.'),
  MX_CALLS_PER_SECOND: integer(1, 100_000).withDefault(
    100,
    'Requests to each MX host (data, SSO, MDX Real Time: a budget each) all functions together make per second at most, on average over 5 s, every retry counted (lib/mx/call-budget.ts); over it, a call an app waits for waits up to 2 s, then the app gets 503 with Retry-After; queued work waits for the next 5 s period (on its queue if that one is spent too). Set it below what MX allows your client: MX publishes no Nexus figure.',
  ),
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
    "How often each user has a reconcile turn: its members are read from MX while MX's webhooks are off (no push within a day plus the interval), once a day while a member needs its user; with webhooks on, only once a member has gone unseen aggregated for 24 h plus this (0: no reconcile). Each read is one list call, and two more when the user's session must be made.",
  ),
  MX_BACKGROUND_AT_TURN: flag.withDefault(
    false,
    "An aggregation MX ran in the background (its webhook's `is_background`) for a user with no fresh MX session — nobody using an app — waits for the user's others of the night instead of being read at once: the one that brings in every member last seen connected is read with them, one session (two MX calls) and one member list for the night's aggregations; a member MX skips leaves them to the user's reconcile turn (up to 1.75 × RECONCILE_INTERVAL_MINUTES after the first). Needs the reconcile (RECONCILE_INTERVAL_MINUTES above 0).",
  ),
  RECONCILE_INACTIVE_DAYS: integer(0, 3650).withDefault(
    90,
    'A user no app has asked about for this many days (no call that reaches MX for it: read, refresh, sync, member write, widget URL) leaves the reconcile — its members are no longer read for it — and the relay forgets its copies of the user’s transactions (its next sync starts over); asked about again, it is back (0: never).',
  ),
  RECONCILE_TURNS_PER_MINUTE: integer(1, 100_000).withDefault(
    500,
    'Users whose reconcile turn is sent to worker-poll per minute at most, at a steady pace: MX never sees a burst. Users over it stay due for the next run (the `ReconcileOverdue` metric); size it at twice the users × (1440 / RECONCILE_INTERVAL_MINUTES) / 1440.',
  ),
  MX_UNAVAILABLE_FIRST_WAIT_SECONDS: integer(1, 900).withDefault(
    30,
    'How long a member report or reconcile read MX could not serve (5xx, 429, timeout) waits on its queue before it is tried again; each next wait doubles, up to 5 minutes (fewer receives while MX is down long; the breaker itself probes each minute). It never goes to the dead-letter queue for it.',
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
  DIGEST_KEY_SECRET_ARN: secretsManagerArn.optional(
    'Secret `{"key":"<base64, at least 32 bytes>","previous":["<base64>",…]}` whose keys digest what users send and user ids (idempotent requests, erased users\' tombstones): `key` digests, `previous` keys are still accepted (deployed stacks create it; locally a key derived from the stack\'s own).',
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
  USER_KEY_REQUESTS_PER_MINUTE: integer(0, 1_000_000).withDefault(
    0,
    "Requests a key bound to a user (a device's) may make per minute, a limit of its own (429 with Retry-After past it); 0: API_KEY_REQUESTS_PER_MINUTE's. Deployed stacks set 1 % of the stage's throttle rate (at least 60), so a device's key cannot take a server's share.",
  ),
  USER_KEYS_MAY_ERASE: flag.withDefault(
    false,
    'Whether a key bound to a user may erase that user (`DELETE /users/{user_id}`: irreversible at MX, and the id refused for a year). Off: server keys only.',
  ),
  LOCAL_API_KEY: text({ minLength: 16 }).optional('Local mode only: the dev server API key (generated and printed if unset).'),
  LOG_LEVEL: oneOf(['DEBUG', 'INFO', 'WARN', 'ERROR']).withDefault('INFO', 'Log level of every function.'),
  POWERTOOLS_DEV: flag.optional('Pretty-print logs (Powertools).'),
} satisfies Record<string, Variable>;

export type VariableName = keyof typeof CONFIG_VARIABLES;

type ValueOf<V> = V extends Variable<infer T, infer P> ? (P extends 'optional' ? T | undefined : T) : never;

/** Each variable's value, its default, or undefined when optional and unset. */
export type ConfigValues = { [Name in keyof typeof CONFIG_VARIABLES]: ValueOf<(typeof CONFIG_VARIABLES)[Name]> };

/** One environment variable, described for the docs. */
export interface ConfigVariable {
  name: string;
  required: boolean;
  /** As the variable would be written. */
  default?: string;
  values?: string;
  description: string;
}

/** Every variable, in declaration order. */
export function configVariables(): ConfigVariable[] {
  return Object.entries(CONFIG_VARIABLES).map(([name, variable]: [string, Variable]) => ({
    name,
    required: variable.presence === 'required',
    ...(variable.default === undefined ? {} : { default: String(variable.default) }),
    ...(variable.values === undefined ? {} : { values: variable.values }),
    description: variable.description,
  }));
}

/** The variables only the local stack may set. */
export const LOCAL_ONLY: ReadonlySet<VariableName> = new Set(['LOCAL_API_KEY', 'LOCAL_SECRETS_KEY', 'WEBHOOK_ALLOW_LOOPBACK']);
