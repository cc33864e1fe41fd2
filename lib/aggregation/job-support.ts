import { type BoundedCache, boundedCache } from '../bounded-cache.ts';
import type { Clock } from '../clock.ts';
import { NexusRelayError } from '../errors.ts';
import type { Institution, NexusClient } from '../mx/nexus-client.ts';
import type { PremiumJob } from '../mx/premium-jobs.ts';
import type { JobKind } from './job.ts';

export type PremiumKind = Exclude<JobKind, 'aggregation'>;

/** MX's job that starts each premium kind, and the institution field that must be true for it (MX lists none for balances). */
export const PREMIUM_KINDS: Record<PremiumKind, { job: PremiumJob; supportField?: keyof Institution & `supports_${string}` }> = {
  verification: { job: 'verify', supportField: 'supports_account_verification' },
  identification: { job: 'identify', supportField: 'supports_account_identification' },
  history: { job: 'extend_history', supportField: 'supports_transaction_history' },
  balance: { job: 'check_balance' },
};

export const isPremium = (kind: JobKind): kind is PremiumKind => kind !== 'aggregation';

/** The institution does not offer the job: MX was not asked to start it. */
export class JobNotSupportedError extends NexusRelayError {
  readonly field: string;

  constructor(kind: PremiumKind, institution: string, field: string) {
    super(
      'JOB_NOT_SUPPORTED',
      `The member's institution (${institution}) does not support ${kind === 'history' ? 'extended history' : kind}: MX lists ${field} false.`,
    );
    this.name = 'JobNotSupportedError';
    this.field = field;
  }
}

/** MX asks that a cached institution be refreshed at least daily; an hour keeps a flag MX turns on from waiting long. */
const INSTITUTION_TTL_MS = 60 * 60_000;

/**
 * Refuses a premium job the member's institution is documented not to support. An unknown flag or institution: MX decides.
 *
 * @example
 * await support.check(userId, memberGuid, 'verification'); // throws JobNotSupportedError at the Iron Bank
 */
export class JobSupport {
  readonly #institutions: BoundedCache<string, Institution>;

  constructor(
    private readonly nexus: Pick<NexusClient, 'readMember' | 'readInstitution'>,
    clock: Clock,
  ) {
    this.#institutions = boundedCache({ max: 1_000, ttlMs: INSTITUTION_TTL_MS, clock });
  }

  async check(userId: string, memberGuid: string, kind: PremiumKind): Promise<void> {
    const field = PREMIUM_KINDS[kind].supportField;
    if (!field) return;
    const member = await this.nexus.readMember(userId, memberGuid);
    const guid = member.institution_guid;
    if (!guid) return;
    let institution = this.#institutions.get(guid);
    if (!institution) {
      institution = await this.nexus.readInstitution(userId, guid).catch((error: unknown) => {
        if (error instanceof NexusRelayError && error.code === 'MX_NOT_FOUND') return undefined;
        throw error;
      });
      if (!institution) return;
      this.#institutions.set(guid, institution);
    }
    if (institution[field] === false)
      throw new JobNotSupportedError(kind, institution.code ?? member.institution_code ?? guid, field);
  }
}
