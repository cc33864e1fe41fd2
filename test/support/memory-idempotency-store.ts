import type { IdempotencyClaim, IdempotencyRecord, IdempotencyStore, StoredOutcome } from '../../lib/store/idempotency-repo.ts';

/** IdempotencyRepository's contract, in memory (the repository itself is tested against dynalite). */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly records = new Map<string, { hash: string; holder?: string; leaseUntil?: number; outcome?: StoredOutcome }>();
  /** Every claim asked for, granted or not: what callers derive from a request. */
  readonly claims: (IdempotencyClaim & { recordId: string })[] = [];

  async claim(recordId: string, claim: IdempotencyClaim): Promise<boolean> {
    this.claims.push({ recordId, ...claim });
    const record = this.records.get(recordId);
    if (record && (record.outcome || record.leaseUntil! >= claim.now)) return false;
    this.records.set(recordId, { hash: claim.requestHash, holder: claim.holder, leaseUntil: claim.now + claim.leaseMs });
    return true;
  }

  async find(recordId: string): Promise<IdempotencyRecord | undefined> {
    const record = this.records.get(recordId);
    if (!record) return undefined;
    return record.outcome
      ? { status: 'complete', requestHash: record.hash, outcome: record.outcome }
      : { status: 'in_progress', requestHash: record.hash, leaseUntil: record.leaseUntil! };
  }

  async complete(recordId: string, holder: string, outcome: StoredOutcome): Promise<boolean> {
    const record = this.records.get(recordId);
    if (record?.holder !== holder) return false;
    this.records.set(recordId, { hash: record.hash, outcome });
    return true;
  }

  async release(recordId: string, holder: string): Promise<void> {
    if (this.records.get(recordId)?.holder === holder) this.records.delete(recordId);
  }
}
