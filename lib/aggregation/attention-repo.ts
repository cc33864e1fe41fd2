import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { isExpired, keys, queryAll, TABLE_KEYS, type TableRef } from '../store/table.ts';

/** How long a job that ended needing someone stays in the operator's overview. */
export const ATTENTION_DAYS = 30;

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * The attention index (`ATTENTION#{day}` / `{job_id}`): the jobs that ended needing someone, by the day they ended, so
 * the operator's overview finds them across users without a scan. It holds job ids only; whether a job still needs
 * someone is its own item's to say (jobs-across-users.ts).
 */
export class AttentionRepository {
  constructor(private readonly table: TableRef) {}

  /**
   * Notes a job that is ending needing someone, under the day it ends (written before the job's end, so a retried
   * step writes it again rather than never: the same key). Succeeded jobs write nothing here.
   */
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

  /**
   * The ids noted on each day from `now`'s back, newest day first (`days` of them, ATTENTION_DAYS by default), one
   * day's at a time, newest job first; an id noted on several days counts on the newest only. One query per day,
   * made when the reader asks for that day: a reader that has enough stops the queries.
   */
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
      // Job ids sort by creation: the newest first.
      ids.sort().reverse();
      yield ids;
    }
  }
}
