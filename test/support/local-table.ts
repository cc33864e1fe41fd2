import { afterAll, beforeAll } from 'vitest';
import { type LocalEngines, startEngines } from '../../infra/local/engines.ts';
import { createDocumentClient } from '../../lib/aws/dynamodb-client.ts';
import type { TableRef } from '../../lib/store/table.ts';

/**
 * Real local engines (dynalite + fauxqs, with the stack's table and queues) for one test file: started before its
 * tests, stopped after them. Read `engines` and `table` inside hooks and tests, once they exist.
 */
export function useLocalEngines(): { readonly engines: LocalEngines; readonly table: TableRef } {
  const local = {} as { engines: LocalEngines; table: TableRef };
  beforeAll(async () => {
    local.engines = await startEngines();
    local.table = {
      client: createDocumentClient({ region: local.engines.region, dynamoDbEndpoint: local.engines.dynamoDbEndpoint }),
      tableName: local.engines.tableName,
    };
  });
  afterAll(async () => {
    local.table.client.destroy();
    await local.engines.stop();
  });
  return local;
}
