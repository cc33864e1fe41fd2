import { type BoundedCache, boundedCache } from '../bounded-cache.ts';
import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { Member } from '../mx/member.ts';
import type { InstitutionStatsRepository } from './institution-stats-repo.ts';
import { type DurationModel, durationModel, institutionOf, mxAggregationMs } from './duration-model.ts';

/** Models are re-read at most this often per container: a poll should not cost a table read. */
const MODEL_CACHE_MS = 60_000;

/** Learns how long aggregations take per institution and answers with the current model (cached per container). */
export class InstitutionTiming {
  readonly #cache: BoundedCache<string, { model: DurationModel | undefined }>;

  constructor(
    private readonly stats: Pick<InstitutionStatsRepository, 'durations' | 'record'>,
    private readonly clock: Clock,
    private readonly log: Log,
  ) {
    this.#cache = boundedCache({ max: 5_000, ttlMs: MODEL_CACHE_MS, clock });
  }

  async model(member: Member): Promise<DurationModel | undefined> {
    const institution = institutionOf(member);
    if (!institution) return undefined;
    const cached = this.#cache.get(institution);
    if (cached) return cached.model;
    const model = durationModel(await this.stats.durations(institution));
    this.#cache.set(institution, { model });
    return model;
  }

  /** Records a successful aggregation: MX's own duration when it reports one, else how long the job took here. */
  async learn(member: Member, observedMs: number): Promise<void> {
    const institution = institutionOf(member);
    if (!institution) return;
    try {
      await this.stats.record(institution, mxAggregationMs(member) ?? observedMs, this.clock.now());
    } catch (error) {
      // A lost sample only makes the schedule slightly less sharp; the job itself is done.
      this.log.warn('could not record an aggregation duration', { institution, error: String(error) });
    }
  }
}
