import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.ts';
import type { DigestKeys } from './digest-keys.ts';
import { canonicalJson } from './hash.ts';
import type { IdempotencyRecord, IdempotencyStore, StoredOutcome } from './store/idempotency-repo.ts';

/** What claiming a key found. */
export type KeyClaim<T extends StoredOutcome> =
  /** Run, then `complete` with the outcome or `release` for a retry. */
  | { state: 'claimed'; key: HeldKey<T> }
  /** The same request's outcome, to answer with again. */
  | { state: 'completed'; outcome: T }
  | { state: 'in_progress' }
  /** The key was used for a different request. */
  | { state: 'reused' }
  /** Released or expired between the claim and the look that followed: claiming again may win. */
  | { state: 'vanished' };

/**
 * The one idempotency primitive, for HTTP requests and queue messages alike: a record with the request's fingerprint, a
 * lease (a dead execution's key frees itself) and the stored outcome. `scope` and `fingerprint` are stored only as keyed
 * digests of canonical JSON: a body may hold credentials or MFA answers that must not be guessed back from the table.
 */
export class IdempotencyKeys {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly clock: Clock,
    /** Longer than the execution can run. */
    private readonly leaseMs: number,
    private readonly digests: () => Promise<DigestKeys>,
  ) {}

  /** `userId`: the user the request is about, so the user's erasure deletes the record. */
  async claim<T extends StoredOutcome>(scope: readonly unknown[], fingerprint: unknown, userId?: string): Promise<KeyClaim<T>> {
    const keys = await this.digests();
    const [recordId, ...earlierIds] = keys.all('idempotency scope', canonicalJson(scope));
    const requestHashes = keys.all('idempotency request', canonicalJson(fingerprint));
    const holder = randomUUID();
    const now = this.clock.now();
    // A record written before a digest key rotation answers as it did (while earlier keys are held).
    for (const earlierId of earlierIds) {
      const earlier = await this.store.find(earlierId, now);
      if (earlier) return this.#answer(earlier, requestHashes);
    }
    const claim = {
      requestHash: requestHashes[0]!,
      holder,
      now,
      leaseMs: this.leaseMs,
      ...(userId === undefined ? {} : { userId }),
    };
    if (await this.store.claim(recordId!, claim)) {
      return { state: 'claimed', key: new HeldKey<T>(this.store, recordId!, holder) };
    }
    const record = await this.store.find(recordId!, this.clock.now());
    if (!record) return { state: 'vanished' };
    return this.#answer(record, requestHashes);
  }

  #answer<T extends StoredOutcome>(record: IdempotencyRecord, requestHashes: readonly string[]): KeyClaim<T> {
    if (!requestHashes.includes(record.requestHash)) return { state: 'reused' };
    return record.status === 'complete' ? { state: 'completed', outcome: record.outcome as T } : { state: 'in_progress' };
  }
}

/** A key this execution holds: completing or releasing it is conditional on still holding it. */
export class HeldKey<T extends StoredOutcome> {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly recordId: string,
    private readonly holder: string,
  ) {}

  /** Stores `outcome` for repeats; false when the lease ran out and another execution took the key. */
  complete(outcome: T): Promise<boolean> {
    return this.store.complete(this.recordId, this.holder, outcome);
  }

  /** So that a retry executes again. */
  release(): Promise<void> {
    return this.store.release(this.recordId, this.holder);
  }
}
