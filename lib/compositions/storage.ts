import { createDocumentClient } from '../aws/dynamodb-client.ts';
import type { Config } from '../config.ts';
import type { TableRef } from '../store/table.ts';

/** The table, through its own DynamoDB client. */
export function tableOf(config: Config): TableRef {
  return { client: createDocumentClient(config.aws), tableName: config.tableName };
}
