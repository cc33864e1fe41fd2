import type { Log } from '../logger.ts';
import type { TransactionsMetrics } from './transactions-metrics.ts';
import { IngestLease, type IngestLeaseDeps } from './ingest-lease.ts';
import type { SyncStateRepository } from './sync-state-repo.ts';
import type { TransactionsRepository } from './transactions-repo.ts';

/** Per call of `forget` (one message). */
const FORGET_BATCH = 2_000;

export interface ForgettingDeps extends IngestLeaseDeps {
  repository: Pick<TransactionsRepository, 'collect'>;
  states: IngestLeaseDeps['states'] & Pick<SyncStateRepository, 'forget' | 'dropForgotten'>;
  log: Log;
  metrics: TransactionsMetrics;
}

/**
 * Forgets an inactive user's transactions: under the ingest lease the sequence moves past all of them, so every read
 * ignores them and older cursors expire; then they are deleted in batches.
 */
export class TransactionForgetting {
  readonly #lease: IngestLease;

  constructor(private readonly deps: ForgettingDeps) {
    this.#lease = new IngestLease(deps);
  }

  /** Given `resetSeq` (a later batch), only deletes what that forgetting left, whether or not the user is back. */
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

  /** Undefined while another call holds the lease. */
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
