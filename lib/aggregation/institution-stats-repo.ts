import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalOutput, conditionalWrite, keys, type TableRef } from '../store/table.ts';

/** Durations kept per institution: enough for stable quantiles, recent enough to follow change. */
export const KEPT_DURATIONS = 50;
/** Bounds the per-container memory of institutions whose list is full. */
const MAX_FULL_NOTES = 5_000;
/** Once an institution's list is full, a container writes its samples there this many at a time… */
export const REPLACE_BATCH = 8;
/** …or when the oldest one it holds has waited this long (checked when the next sample comes). */
export const MAX_PENDING_MS = 5 * 60_000;

/**
 * Recent aggregation durations per institution, in one `INSTITUTION#…/STATS` item each (`durations_ms`).
 *
 * Recording is one UpdateItem and never reads: every finished job at an institution writes the same item, and a
 * read-modify-write there made concurrent workers lose to each other. While the list has room the sample is
 * appended (`list_append`, conditional on the room only, so no writer ever loses to another); once it holds
 * KEPT_DURATIONS samples the new one is written over a slot picked at random — a random-replacement reservoir:
 * every sample is written, and each later sample evicts a given one with probability 1/KEPT_DURATIONS, so the list
 * is a random sample weighted to the recent (a sample survives the next n with probability (1 − 1/50)^n; mean age
 * ~50 samples). `version` counts the samples written.
 *
 * Once a container has seen an institution's list full, it holds that institution's samples and writes them
 * REPLACE_BATCH at a time, each over its own random slot, in one UpdateItem (one write unit for eight samples, the
 * same reservoir). A sample held by a container that Lambda then retires is lost: the list was full, so the model
 * only misses one of many recent samples. While the list has room every sample is written at once.
 */
export class InstitutionStatsRepository {
  /** Institutions whose list was seen full here: their samples go to random slots, REPLACE_BATCH at a time. */
  readonly #full = new Set<string>();
  /** Samples held for a full list, by institution, with when the first of them came. */
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

  /** Writes every sample this container holds (tests; a process about to stop). */
  async flush(now: number): Promise<void> {
    const held = [...this.#pending];
    this.#pending.clear();
    for (const [institution, { samples }] of held) await this.#writeHeld(institution, samples, now);
  }

  /** Samples held for a full list, in one write; if it is no longer full (e.g. deleted by hand), appended afresh. */
  async #writeHeld(institution: string, samples: readonly number[], now: number): Promise<void> {
    if (await this.#replace(institution, samples, now)) return;
    this.#full.delete(institution);
    for (const sample of samples) await this.#appendOrReplace(institution, sample, now);
  }

  async #appendOrReplace(institution: string, sample: number, now: number): Promise<void> {
    if (await this.#append(institution, sample, now)) return;
    // Full (another writer filled it, or it was full before this container saw it).
    this.#noteFull(institution);
    if (await this.#replace(institution, [sample], now)) return;
    // Neither had room nor was full: the item changed under us twice (e.g. deleted by hand). Once more from the start.
    this.#full.delete(institution);
    await this.#append(institution, sample, now);
  }

  /** Appends while the list holds fewer than KEPT_DURATIONS samples; false when it is full. */
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
    // The write that fills the list tells this container so; the next samples go straight to a slot.
    const length = (appended.output.Attributes?.durations_ms as unknown[] | undefined)?.length ?? 0;
    if (length >= KEPT_DURATIONS) this.#noteFull(institution);
    return true;
  }

  /**
   * Writes each sample over a random one of the KEPT_DURATIONS slots, a different slot each (a drawn slot already
   * taken moves on to the next free one); false when the list is not full (then the caller appends instead).
   */
  #replace(institution: string, samples: readonly number[], now: number): Promise<boolean> {
    const slots = new Set<number>();
    const assignments: string[] = [];
    const values: Record<string, number> = { ':now': now, ':count': samples.length, ':kept': KEPT_DURATIONS };
    for (const [i, sample] of samples.entries()) {
      let slot = Math.min(KEPT_DURATIONS - 1, Math.floor(this.random() * KEPT_DURATIONS));
      while (slots.has(slot)) slot = (slot + 1) % KEPT_DURATIONS;
      slots.add(slot);
      // A list index cannot be a placeholder; `slot` is an integer in [0, KEPT_DURATIONS).
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
