import { MDX_REALTIME_PATH } from '../../sim/mdx-realtime-routes.ts';
import { deadLetterUrlVariable, QUEUE_NAMES, queueUrlVariable } from '../../lib/queue/queue-names.ts';
import { randomBytes } from 'node:crypto';
import type { LocalEngines } from './engines.ts';
import { type Config, parseConfig } from '../../lib/config.ts';

const PROCESS_SECRETS_KEY = randomBytes(32).toString('base64');

/** Where the local engines listen (what `startEngines` returns, without `stop`). */
export type LocalEnginesAddress = Pick<
  LocalEngines,
  'tableName' | 'dynamoDbEndpoint' | 'sqsEndpoint' | 'queueUrls' | 'deadLetterQueueUrls'
>;

/**
 * The environment of services over the local engines (dynalite + fauxqs) and the MX simulator (its client id and
 * API key), logging errors only. `env` adds or overrides variables (e.g. `AGGREGATION_DEADLINE_SECONDS`, `LOG_LEVEL`).
 */
export function localServicesEnv(
  engines: LocalEnginesAddress,
  simulatorUrl: string,
  env: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    TABLE_NAME: engines.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: engines.dynamoDbEndpoint,
    AWS_ENDPOINT_URL_SQS: engines.sqsEndpoint,
    // Each queue and its DLQ: the workers dead-letter there (and refuse to start without it), api-jobs counts them.
    ...Object.fromEntries(
      QUEUE_NAMES.flatMap((queue) => [
        [queueUrlVariable(queue), engines.queueUrls[queue]],
        [deadLetterUrlVariable(queue), engines.deadLetterQueueUrls[queue]],
      ]),
    ),
    MX_BASE_URL: simulatorUrl,
    MX_REALTIME_BASE_URL: `${simulatorUrl}${MDX_REALTIME_PATH}`,
    MX_CLIENT_ID: 'sim-client',
    MX_API_KEY: 'sim-api-key',
    // The simulator's default: opted in.
    MX_USE_CASES_ENABLED: 'true',
    LOG_LEVEL: 'ERROR',
    // Receivers of tests and benchmarks listen on 127.0.0.1, as the local stack allows.
    WEBHOOK_ALLOW_LOOPBACK: 'true',
    // One key for every service of the process, as `npm start` gives one to every function of the stack.
    LOCAL_SECRETS_KEY: PROCESS_SECRETS_KEY,
    ...env,
  };
}

/** The config of services over the local engines and the MX simulator (see localServicesEnv). */
export function localServicesConfig(
  engines: LocalEnginesAddress,
  simulatorUrl: string,
  env: Record<string, string | undefined> = {},
): Config {
  return parseConfig(localServicesEnv(engines, simulatorUrl, env));
}
