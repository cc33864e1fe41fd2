import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toEpochSeconds } from '../clock.ts';
import { keys, queryAll, type TableRef } from '../store/table.ts';

/** In one hour: foreground pushes, job ends MX documents a push for, and background aggregations' pushes. */
export interface PushCounts {
  pushes: number;
  ends: number;
  background: number;
}

/** The reconcile reads whether MX pushed within a day plus its interval (at most 7 days). */
const COUNTS_RETENTION_SECONDS = 8 * 24 * 3600 + 3600;

/** `2026-11-23T04`: the counters' sort key (sortable as text). */
export const hourOf = (ms: number): string => new Date(ms).toISOString().slice(0, 13);

/** Per-hour counters of MX pushes and the job ends they would announce, added to by every container. */
export class MxPushRepository {
  constructor(private readonly table: TableRef) {}

  async add(hour: string, counts: PushCounts, now: number): Promise<void> {
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.mxPushCounts(hour),
        UpdateExpression: 'ADD pushes :pushes, ends :ends, background :background SET #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':pushes': counts.pushes,
          ':ends': counts.ends,
          ':background': counts.background,
          ':ttl': toEpochSeconds(now) + COUNTS_RETENTION_SECONDS,
        },
      }),
    );
  }

  async countsSince(sinceHour: string): Promise<PushCounts> {
    const { pk, sk } = keys.mxPushCounts(sinceHour);
    const counts: PushCounts = { pushes: 0, ends: 0, background: 0 };
    for await (const item of queryAll(this.table, {
      KeyConditionExpression: 'pk = :pk AND sk >= :since',
      ExpressionAttributeValues: { ':pk': pk, ':since': sk },
    })) {
      counts.pushes += Number(item.pushes) || 0;
      counts.ends += Number(item.ends) || 0;
      counts.background += Number(item.background) || 0;
    }
    return counts;
  }
}
