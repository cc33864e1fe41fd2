import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite, keys, type TableRef } from './table.ts';

/** The most recent durations kept per institution: enough for stable quantiles, recent enough to follow change. */
const KEPT_DURATIONS = 50;

/**
 * Recent aggregation durations per institution, one item each. Updates are optimistic (conditional on the version
 * read), so concurrent workers never lose each other's samples; a sample that keeps losing is dropped (the model is
 * a statistic, not a ledger).
 */
export class InstitutionStatsRepository {
  constructor(private readonly table: TableRef) {}

  async durations(institution: string): Promise<number[]> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.institutionStats(institution) }),
    );
    return (Item?.durations_ms as number[] | undefined) ?? [];
  }

  async record(institution: string, durationMs: number, now: number): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const { Item } = await this.table.client.send(
        new GetCommand({ TableName: this.table.tableName, Key: keys.institutionStats(institution), ConsistentRead: true }),
      );
      const version = (Item?.version as number | undefined) ?? 0;
      const durations = [...((Item?.durations_ms as number[] | undefined) ?? []), Math.round(durationMs)].slice(-KEPT_DURATIONS);
      const written = await conditionalWrite(
        this.table.client.send(
          new PutCommand({
            TableName: this.table.tableName,
            Item: { ...keys.institutionStats(institution), durations_ms: durations, version: version + 1, updated_at: now },
            ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'version = :version',
            ExpressionAttributeValues: version === 0 ? undefined : { ':version': version },
          }),
        ),
      );
      if (written) return;
    }
  }
}
