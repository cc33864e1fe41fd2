import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { toEpochSeconds } from '../clock.ts';
import { keys, queryAll, type TableRef } from '../store/table.ts';
import type { TerminalStatus } from './job.ts';

/** The outcomes a job ends in, in the order they are shown. */
export const JOB_OUTCOMES = ['succeeded', 'action_required', 'failed', 'timed_out'] as const satisfies readonly TerminalStatus[];

/** How many jobs ended in each outcome. */
export type OutcomeCounts = Record<TerminalStatus, number>;

export const noOutcomes = (): OutcomeCounts => ({ succeeded: 0, action_required: 0, failed: 0, timed_out: 0 });

/** The overview charts the last day; a week is there to look back on. */
const RETENTION_SECONDS = 8 * 24 * 3600;

/** `2026-11-24T19`: the counters' sort key (sortable as text). */
export const outcomeHourOf = (ms: number): string => new Date(ms).toISOString().slice(0, 13);

/** Jobs ended per hour, across users: one item per hour, added to once per invocation that ended jobs. */
export class JobOutcomesRepository {
  constructor(private readonly table: TableRef) {}

  async add(hour: string, counts: Partial<OutcomeCounts>, now: number): Promise<void> {
    const added = JOB_OUTCOMES.filter((outcome) => (counts[outcome] ?? 0) > 0);
    if (added.length === 0) return;
    await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: keys.jobOutcomes(hour),
        UpdateExpression: `ADD ${added.map((outcome) => `${outcome} :${outcome}`).join(', ')} SET #ttl = :ttl`,
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ...Object.fromEntries(added.map((outcome) => [`:${outcome}`, counts[outcome]])),
          ':ttl': toEpochSeconds(now) + RETENTION_SECONDS,
        },
      }),
    );
  }

  /** Oldest first, zeros where none ended. */
  async lastHours(hours: number, now: number): Promise<{ hour: string; counts: OutcomeCounts }[]> {
    const wanted = Array.from({ length: hours }, (_, i) => outcomeHourOf(now - (hours - 1 - i) * 3600_000));
    const byHour = new Map<string, Record<string, unknown>>();
    for await (const item of queryAll(this.table, {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': keys.jobOutcomes('').pk, ':from': wanted[0], ':to': wanted.at(-1) },
    })) {
      byHour.set(String(item.sk), item);
    }
    return wanted.map((hour) => {
      const item = byHour.get(hour);
      const counts = noOutcomes();
      for (const outcome of JOB_OUTCOMES) counts[outcome] = Number(item?.[outcome] ?? 0) || 0;
      return { hour, counts };
    });
  }
}
