import type { LocalEngines } from '../../infra/local/engines.ts';
import { type Config, parseConfig } from '../../lib/config.ts';

/** Where the local engines listen (what `startEngines` returns, without `stop`). */
export type LocalEnginesAddress = Pick<LocalEngines, 'tableName' | 'dynamoDbEndpoint' | 'sqsEndpoint' | 'queueUrls'>;

/**
 * The config of services over the local engines (dynalite + fauxqs) and the MX simulator (its client id and API
 * key), logging errors only. `env` adds or overrides variables (e.g. `AGGREGATION_DEADLINE_SECONDS`).
 */
export function localServicesConfig(
  engines: LocalEnginesAddress,
  simulatorUrl: string,
  env: Record<string, string | undefined> = {},
): Config {
  return parseConfig({
    TABLE_NAME: engines.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: engines.dynamoDbEndpoint,
    AWS_ENDPOINT_URL_SQS: engines.sqsEndpoint,
    POLL_QUEUE_URL: engines.queueUrls.poll,
    DELIVERY_QUEUE_URL: engines.queueUrls.delivery,
    MX_BASE_URL: simulatorUrl,
    MX_CLIENT_ID: 'sim-client',
    MX_API_KEY: 'sim-api-key',
    LOG_LEVEL: 'ERROR',
    ...env,
  });
}
