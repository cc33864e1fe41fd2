import { ENVIRONMENTS } from '../../infra/environments.ts';
import { randomBytes } from 'node:crypto';
import { localServicesEnv } from '../../infra/local/local-services.ts';
import { createDocumentClient } from '../../lib/aws/dynamodb-client.ts';
import { hashApiKey } from '../../lib/http/auth.ts';
import { ApiKeysRepository } from '../../lib/store/api-keys-repo.ts';
import type { RemoteSide } from '../support/remote-side.ts';

/**
 * Sets the functions' environment for this process, as startLocalStack sets it (the deployed log level; their
 * output is counted, not printed), and stores a fresh API key for the client app. Runs before any function module
 * loads, since each reads its configuration once. Returns the key.
 */
export async function configureFunctions(
  remote: Pick<RemoteSide, 'engines' | 'simulatorUrl'>,
  deliveryStallS: number,
): Promise<string> {
  const { engines, simulatorUrl } = remote;
  const apiKey = `nxr_bench_${randomBytes(24).toString('base64url')}`;
  Object.assign(
    process.env,
    localServicesEnv(engines, simulatorUrl, {
      NEXUS_RELAY_ENV: 'local',
      AWS_REGION: engines.region,
      MX_SSO_BASE_URL: simulatorUrl,
      LOCAL_API_KEY: apiKey,
      LOG_LEVEL: 'INFO',
      // The MX call budget as deployed in prod: its lease writes are part of the cost.
      MX_CALLS_PER_SECOND: String(ENVIRONMENTS.prod.mx.callsPerSecond),
      // Short enough that the sweeps during the run, and one after it, read every delivery's log entry once, as the
      // deployed sweeper does (its reads are part of the cost); long enough that none is still pending by then.
      DELIVERY_STALLED_AFTER_SECONDS: String(deliveryStallS),
    }),
  );
  const table = {
    client: createDocumentClient({ region: engines.region, dynamoDbEndpoint: engines.dynamoDbEndpoint }),
    tableName: engines.tableName,
  };
  await new ApiKeysRepository(table).put({ hash: hashApiKey(apiKey), name: 'bench', createdAt: new Date().toISOString() });
  table.client.destroy();
  return apiKey;
}
