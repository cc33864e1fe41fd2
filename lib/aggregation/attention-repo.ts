import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { isExpired, keys, queryAll, TABLE_KEYS, type TableRef } from '../store/table.ts';

/** How long a job that ended needing someone stays in the operator's overview. */
export const ATTENTION_DAYS = 30;

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Jobs that ended needing someone, by day, found without a scan. Ids only: the job says whether it still needs someone. */
export class AttentionRepository {
  constructor(private readonly table: TableRef) {}

  /** Written before the job's end, so a retried step writes it again rather than never. */
  async markForAttention(jobId: string, now: number): Promise<void> {
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: {
          ...keys.attention(dayOf(now), jobId),
          [TABLE_KEYS.ttl]: Math.floor(now / 1000) + ATTENTION_DAYS * 24 * 3600,
        },
      }),
    );
  }

  /** Newest day first, a day per query as the reader asks, so a reader that has enough stops the queries. */
  async *markedByDay(request: { now: number; days?: number }): AsyncGenerator<string[]> {
    const seen = new Set<string>();
    for (let back = 0; back < (request.days ?? ATTENTION_DAYS); back++) {
      const day = dayOf(request.now - back * 24 * 3600_000);
      const ids: string[] = [];
      for await (const item of queryAll(this.table, {
        KeyConditionExpression: 'pk = :day',
        ExpressionAttributeValues: { ':day': keys.attention(day, '').pk },
        ScanIndexForward: false,
      })) {
        const id = item.sk as string;
        if (!isExpired(item, request.now) && !seen.has(id)) ids.push(id);
        seen.add(id);
      }
      ids.sort().reverse();
      yield ids;
    }
  }
}
