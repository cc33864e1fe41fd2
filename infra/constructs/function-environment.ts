import type { ConfigValues } from '../../lib/config/variables.ts';
import { deadLetterUrlVariable, QUEUE_NAMES, type QueueName, queueUrlVariable } from '../../lib/queue/queue-names.ts';
import { ROUTES } from '../../lib/route-table.ts';
import type { EnvironmentSettings } from '../environments.ts';
import { FUNCTION_SPECS, type FunctionName, keysDigests } from './function-specs.ts';

/** Variables a function may be given: lib/config/variables.ts's. */
export type FunctionEnvironment = Partial<Record<keyof ConfigValues, string>>;

/**
 * The names of what a stack made that its functions are told: CloudFormation tokens in the stack, AWS-shaped
 * placeholders in the cold-start benchmark (which imports each function with the environment the stack gives it).
 */
export interface EnvironmentResources {
  tableName: string;
  queueUrls: Record<QueueName, string>;
  deadLetterQueueUrls: Record<QueueName, string>;
  secretArns: { mxCredentials: string; mxWebhookCredentials: string; syncCursorKey: string; digestKey: string };
  keyArns: { sessionTokens: string; webhookSecrets: string };
}

/** A value for each queue (its URL, its dead-letter queue's URL, the queue), as `EnvironmentResources` holds them. */
export const perQueue = <T = string>(value: (queue: QueueName) => T): Record<QueueName, T> =>
  Object.fromEntries(QUEUE_NAMES.map((queue) => [queue, value(queue)])) as Record<QueueName, T>;

/**
 * The environment the stack gives `fnName`. Every function but api-docs and api-fallback (which read only the
 * environment and the log level) parses the whole configuration at start, so each gets every required variable; what
 * a function can actually touch is decided by its grants (infra/constructs/access.ts), not by its variables.
 */
export function functionEnvironment(
  fnName: FunctionName,
  settings: EnvironmentSettings,
  resources: EnvironmentResources,
): FunctionEnvironment {
  const spec = FUNCTION_SPECS[fnName];
  return {
    NEXUS_RELAY_ENV: settings.name,
    LOG_LEVEL: settings.logLevel,
    TABLE_NAME: resources.tableName,
    POLL_QUEUE_URL: resources.queueUrls.poll,
    MEMBER_REPORTS_QUEUE_URL: resources.queueUrls['member-reports'],
    RECONCILE_QUEUE_URL: resources.queueUrls.reconcile,
    DELIVERY_QUEUE_URL: resources.queueUrls.delivery,
    MX_BASE_URL: settings.mx.baseUrl,
    MX_SSO_BASE_URL: settings.mx.ssoBaseUrl,
    MX_REALTIME_BASE_URL: settings.mx.realtimeBaseUrl,
    MX_USE_CASES_ENABLED: String(settings.mx.useCasesEnabled),
    ...(fnName === 'reconcile-dispatch' ? { RECONCILE_TURNS_PER_MINUTE: String(settings.reconcileTurnsPerMinute) } : {}),
    ...(fnName === 'worker-poll' && settings.mxBackgroundAtTurn ? { MX_BACKGROUND_AT_TURN: 'true' } : {}),
    ...(spec.callsMx
      ? { MX_CREDENTIALS_SECRET_ARN: resources.secretArns.mxCredentials, MX_CALLS_PER_SECOND: String(settings.mx.callsPerSecond) }
      : {}),
    ...(spec.callsMx === true ? { SESSION_TOKENS_KEY_ARN: resources.keyArns.sessionTokens } : {}),
    ...(spec.verifiesMxWebhooks ? { MX_WEBHOOK_CREDENTIALS_SECRET_ARN: resources.secretArns.mxWebhookCredentials } : {}),
    ...(spec.webhookSecrets ? { WEBHOOK_SECRETS_KEY_ARN: resources.keyArns.webhookSecrets } : {}),
    ...(spec.signsSyncCursors ? { SYNC_CURSOR_KEY_SECRET_ARN: resources.secretArns.syncCursorKey } : {}),
    ...(keysDigests(spec) ? { DIGEST_KEY_SECRET_ARN: resources.secretArns.digestKey } : {}),
    // Half the stage's throttle rate per API key: no one key (a client looping, a key that leaked) can spend it all;
    // 1 % of it (at least 60 a minute) per key bound to a user, a device's.
    ...(ROUTES.some((route) => route.fn === fnName && route.auth === 'api_key')
      ? {
          API_KEY_REQUESTS_PER_MINUTE: String(settings.apiThrottle.rateLimit * 30),
          USER_KEY_REQUESTS_PER_MINUTE: String(Math.max(60, Math.round(settings.apiThrottle.rateLimit * 0.6))),
        }
      : {}),
    // The queues only their users are told of (every function is told the required ones).
    ...Object.fromEntries(
      (['erasures', 'delivery-slow', 'refresh-requests'] as const)
        .filter((queue) => spec.sendsTo.includes(queue))
        .map((queue) => [queueUrlVariable(queue), resources.queueUrls[queue]]),
    ),
    ...Object.fromEntries(
      [...new Set([...(spec.deadLettersTo ?? []), ...(spec.countsDeadLetters ?? [])])].map((queue) => [
        deadLetterUrlVariable(queue),
        resources.deadLetterQueueUrls[queue],
      ]),
    ),
  };
}
