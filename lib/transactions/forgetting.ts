import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import { IngestLease, type IngestLeaseDeps } from './ingest-lease.ts';
import type { SyncStateRepository } from './sync-state-repo.ts';
import type { TransactionsRepository } from './transactions-repo.ts';

/** Copies of a user's transactions deleted per call of `forget` (one message of worker-poll's). */
const FORGET_BATCH = 2_000;

export interface ForgettingDeps extends IngestLeaseDeps {
  repository: Pick<TransactionsRepository, 'collect'>;
  states: IngestLeaseDeps['states'] & Pick<SyncStateRepository, 'forget' | 'dropForgotten'>;
  log: Log;
  metrics: MetricsSink;
}

/**
 * Forgets the relay's copies of a user's transactions (no app asked about the user for RECONCILE_INACTIVE_DAYS):
 * under the ingest lease the log's sequence numbers move past all of them (`reset_seq`), which every read then ignores
 * and a cursor from before is expired by; then they are deleted, FORGET_BATCH a call.
 */
export class TransactionForgetting {
  readonly #lease: IngestLease;

  constructor(private readonly deps: ForgettingDeps) {
    this.#lease = new IngestLease(deps);
  }

  /**
   * Given `resetSeq` (a later batch), only deletes what that forgetting left, whether or not the user is back. `done`
   * once none is left; otherwise asked again later, with the `resetSeq` answered (absent: another call held the lease).
   */
  async forget(userId: string, resetSeq?: number): Promise<{ done: boolean; resetSeq?: number }> {
    const { repository, states, metrics } = this.deps;
    if (resetSeq === undefined) {
      const state = await states.state(userId);
      if (!state) return { done: true };
      // Forgotten already: this message is SQS's retry of one that forgot.
      resetSeq = state.forgotten ? state.resetSeq : await this.#reset(userId);
      if (resetSeq === undefined) return { done: false };
    }
    const done = await repository.collect(userId, resetSeq, FORGET_BATCH);
    // Then the state itself, unless the user's app synced meanwhile: its next sync starts afresh.
    if (done) await states.dropForgotten(userId);
    metrics.add('TransactionsForgotten', 1, { outcome: done ? 'done' : 'more' });
    return { done, resetSeq };
  }

  /** The forgetting itself, under the ingest lease: answers `reset_seq`, or undefined while another call holds it. */
  async #reset(userId: string): Promise<number | undefined> {
    const { states, clock, log } = this.deps;
    const { held } = await this.#lease.claim(userId, { patient: false });
    if (!held) return undefined;
    let resetSeq: number | undefined;
    try {
      resetSeq = await states.forget(userId, held.holder, clock.now());
    } finally {
      await states.release(userId, held.holder);
    }
    if (resetSeq !== undefined) log.info("user's transactions forgotten", { user_id: userId, reset_seq: resetSeq });
    return resetSeq;
  }
}
