import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { declines, type IngestClaim, type SyncState, type SyncStateRepository } from './sync-state-repo.ts';

/** An ingest holds the user's lease this long at most (longer than any function's timeout). */
const INGEST_LEASE_MS = 60_000;
/** How long a patient claim waits for another holder before giving up. */
const MAX_WAIT_MS = 3_000;

/** The lease, held. */
export interface HeldLease {
  holder: string;
  state: SyncState;
  now: number;
}

/** `busy`: another call held the lease throughout. */
export interface LeaseClaim {
  held?: HeldLease;
  state: SyncState | undefined;
  busy: boolean;
}

export interface IngestLeaseDeps {
  states: Pick<SyncStateRepository, 'claimIngest' | 'state' | 'release'>;
  clock: Clock;
  sleep?: (ms: number) => Promise<void>;
}

/** One call at a time changes the user's log. A failed claim reads the state to learn why; the common case is one write. */
export class IngestLease {
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: IngestLeaseDeps) {
    this.#sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** `patient`: while another call holds it, tries again for MAX_WAIT_MS. */
  async claim(userId: string, claim: IngestClaim & { patient: boolean }): Promise<LeaseClaim> {
    const { states, clock } = this.deps;
    // The relay's own upkeep reads first: most users never sync, and a refused conditional write costs a write unit.
    if (!claim.bySync) {
      const known = await states.state(userId);
      if (declines(known, claim, clock.now())) return { state: known, busy: false };
    }
    for (let wait = 50, started = clock.now(); ; wait = Math.min(wait * 2, 500)) {
      const holder = randomUUID();
      const now = clock.now();
      const state = await states.claimIngest(userId, holder, now, INGEST_LEASE_MS, claim);
      if (state) return { held: { holder, state, now }, state, busy: false };
      const current = await states.state(userId);
      if (declines(current, claim, now)) return { state: current, busy: false };
      if (!claim.patient || clock.now() - started >= MAX_WAIT_MS) return { state: current, busy: true };
      await this.#sleep(wait);
    }
  }

  /** Frees the lease if `work` fails (a success commits, which frees it). */
  async hold<T>(userId: string, lease: HeldLease, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      await this.deps.states.release(userId, lease.holder).catch(() => undefined);
      throw error;
    }
  }
}
