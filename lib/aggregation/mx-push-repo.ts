import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toEpochSeconds } from '../clock.ts';
import { keys, queryAll, type TableRef } from '../store/table.ts';

/**
 * What MX pushed and what ended in one hour: foreground pushes received, job ends MX documents a push for, and
 * pushes of MX's background aggregations.
 */
export interface PushCounts {
  pushes: number;
  ends: number;
  background: number;
}

/**
 * Counters are kept this long: push coverage reads the last two hours, the reconcile whether MX pushed at all within
 * a day plus its interval (RECONCILE_INTERVAL_MINUTES, at most 7 days).
 */
const COUNTS_RETENTION_SECONDS = 8 * 24 * 3600 + 3600;

/** `2026-11-23T04`: the hour `ms` falls in, as the counters' sort key names it (sortable as text). */
export const hourOf = (ms: number): string => new Date(ms).toISOString().slice(0, 13);

/**
 * Per-hour counters of MX pushes and of the job ends they would announce, one item per hour (`MXPUSH` /
 * `COUNTS#{hour}`), added to by every container (at most once a minute each) and read by the poll loop and the
 * reconcile's dispatcher.
 */
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

  /** The counters of every hour from `sinceHour` on, summed. */
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
