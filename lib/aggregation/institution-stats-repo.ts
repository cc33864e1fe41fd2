import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalOutput, conditionalWrite, keys, type TableRef } from '../store/table.ts';

/** Durations kept per institution: enough for stable quantiles, recent enough to follow change. */
export const KEPT_DURATIONS = 50;
/** Bounds the per-container memory of institutions whose list is full. */
const MAX_FULL_NOTES = 5_000;
/** Once an institution's list is full, a container writes its samples there this many at a time… */
export const REPLACE_BATCH = 8;
/** …or when the oldest one it holds has waited this long. */
export const MAX_PENDING_MS = 5 * 60_000;

/**
 * Recent aggregation durations per institution. Recording never reads: a read-modify-write on this hot item made
 * concurrent workers lose to each other. The sample is appended while there is room (conditional on the room only), then
 * written over a random slot: a random-replacement reservoir, weighted to the recent.
 *
 * A container that has seen the list full batches its samples (REPLACE_BATCH per write); one retired by Lambda loses
 * its held samples, which a full list can spare.
 */
export class InstitutionStatsRepository {
  readonly #full = new Set<string>();
  readonly #pending = new Map<string, { since: number; samples: number[] }>();

  constructor(
    private readonly table: TableRef,
    private readonly random: () => number = Math.random,
  ) {}

  async durations(institution: string): Promise<number[]> {
    const { Item } = await this.table.client.send(
      new GetCommand({ TableName: this.table.tableName, Key: keys.institutionStats(institution) }),
    );
    const durations = (Item?.durations_ms as number[] | undefined) ?? [];
    if (durations.length >= KEPT_DURATIONS) this.#noteFull(institution);
    return durations;
  }

  async record(institution: string, durationMs: number, now: number): Promise<void> {
    const sample = Math.round(durationMs);
    if (this.#full.has(institution)) {
      const held = this.#pending.get(institution) ?? { since: now, samples: [] };
      held.samples.push(sample);
      this.#pending.set(institution, held);
      if (held.samples.length < REPLACE_BATCH && now - held.since < MAX_PENDING_MS) return;
      this.#pending.delete(institution);
      await this.#writeHeld(institution, held.samples, now);
      return;
    }
    await this.#appendOrReplace(institution, sample, now);
  }

  /** Writes every sample this container holds. */
  async flush(now: number): Promise<void> {
    const held = [...this.#pending];
    this.#pending.clear();
    for (const [institution, { samples }] of held) await this.#writeHeld(institution, samples, now);
  }

  /** If the list is no longer full (e.g. deleted by hand), appended afresh. */
  async #writeHeld(institution: string, samples: readonly number[], now: number): Promise<void> {
    if (await this.#replace(institution, samples, now)) return;
    this.#full.delete(institution);
    for (const sample of samples) await this.#appendOrReplace(institution, sample, now);
  }

  async #appendOrReplace(institution: string, sample: number, now: number): Promise<void> {
    if (await this.#append(institution, sample, now)) return;
    this.#noteFull(institution);
    if (await this.#replace(institution, [sample], now)) return;
    // Neither had room nor was full: the item changed under us twice. Once more from the start.
    this.#full.delete(institution);
    await this.#append(institution, sample, now);
  }

  /** False when the list is full. */
  async #append(institution: string, sample: number, now: number): Promise<boolean> {
    const appended = await conditionalOutput(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.institutionStats(institution),
          UpdateExpression:
            'SET durations_ms = list_append(if_not_exists(durations_ms, :empty), :sample), updated_at = :now ADD version :one',
          ConditionExpression: 'attribute_not_exists(durations_ms) OR size(durations_ms) < :kept',
          ExpressionAttributeValues: { ':empty': [], ':sample': [sample], ':now': now, ':one': 1, ':kept': KEPT_DURATIONS },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    if (!appended) return false;
    const length = (appended.output.Attributes?.durations_ms as unknown[] | undefined)?.length ?? 0;
    if (length >= KEPT_DURATIONS) this.#noteFull(institution);
    return true;
  }

  /** Each sample over a different random slot; false when the list is not full. */
  #replace(institution: string, samples: readonly number[], now: number): Promise<boolean> {
    const slots = new Set<number>();
    const assignments: string[] = [];
    const values: Record<string, number> = { ':now': now, ':count': samples.length, ':kept': KEPT_DURATIONS };
    for (const [i, sample] of samples.entries()) {
      let slot = Math.min(KEPT_DURATIONS - 1, Math.floor(this.random() * KEPT_DURATIONS));
      while (slots.has(slot)) slot = (slot + 1) % KEPT_DURATIONS;
      slots.add(slot);
      // A list index cannot be a placeholder; `slot` is a bounded integer.
      assignments.push(`durations_ms[${slot}] = :s${i}`);
      values[`:s${i}`] = sample;
    }
    return conditionalWrite(
      this.table.client.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: keys.institutionStats(institution),
          UpdateExpression: `SET ${assignments.join(', ')}, updated_at = :now ADD version :count`,
          ConditionExpression: 'size(durations_ms) >= :kept',
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  #noteFull(institution: string): void {
    if (this.#full.size >= MAX_FULL_NOTES) {
      this.#full.clear();
      this.#pending.clear();
    }
    this.#full.add(institution);
  }
}
