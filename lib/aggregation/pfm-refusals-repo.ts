import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { NexusRelayError } from '../errors.ts';
import { getItems, isExpired, keys, type MemberRef, type TableRef } from '../store/table.ts';

/**
 * How long the relay answers for MX that a member without PFM cannot be aggregated. Use cases change rarely, and
 * through the relay's own update clears it at once; one changed elsewhere (MX's widget) is asked of MX again within
 * this long.
 */
export const PFM_REFUSAL_TTL_MS = 60 * 60_000;

/** The member's use cases leave out PFM, as MX said at `since`: the relay refused the aggregation without asking MX. */
export class UseCaseNotPermittedError extends NexusRelayError {
  constructor(since: number) {
    super(
      'USE_CASE_NOT_PERMITTED',
      `The member's use cases leave out PFM (MX said so at ${new Date(since).toISOString()}): MX does not aggregate it. ` +
        'Verify or identify it instead, or add PFM to its use_cases.',
    );
    this.name = 'UseCaseNotPermittedError';
  }
}

/**
 * Members MX will not aggregate because their use cases leave out PFM (MX's 403; MX's Member Use Cases guide), as
 * MX last said — refusing an aggregate, or showing the member's `use_cases` — kept an hour (`USER#{u}`/`NOPFM#{m}`,
 * in the user's partition: an erasure takes it). A refresh of such a member is refused before MX is called; so is
 * one of a member the relay has never seen whose use cases, read from MX, leave out PFM.
 */
export class PfmRefusalsRepository {
  constructor(private readonly table: TableRef) {}

  /**
   * When MX said the member has no PFM (if within the last hour), and whether the relay has seen the member at all
   * (its member state: a job of it has ended, or MX reported it). One read of both.
   */
  async lookup(member: MemberRef, nowMs: number): Promise<{ since?: number; seen: boolean }> {
    const refusalKey = keys.pfmRefusal(member.userId, member.memberGuid);
    const items = await getItems(this.table, [refusalKey, keys.memberState(member.userId, member.memberGuid)]);
    const refusal = items.find((item) => item.sk === refusalKey.sk);
    const seen = items.some((item) => item.sk !== refusalKey.sk);
    return refusal && !isExpired(refusal, nowMs) ? { since: refusal.since as number, seen } : { seen };
  }

  async record(member: MemberRef, nowMs: number): Promise<void> {
    await this.table.client.send(
      new PutCommand({
        TableName: this.table.tableName,
        Item: {
          ...keys.pfmRefusal(member.userId, member.memberGuid),
          since: nowMs,
          ttl: Math.ceil((nowMs + PFM_REFUSAL_TTL_MS) / 1000),
        },
      }),
    );
  }

  /** The member's use cases changed through the relay: MX is asked again. */
  async clear(member: MemberRef): Promise<void> {
    await this.table.client.send(
      new DeleteCommand({ TableName: this.table.tableName, Key: keys.pfmRefusal(member.userId, member.memberGuid) }),
    );
  }
}

/** Whether `useCases` (MX's member field) leaves out PFM; unknown (null, absent: a member before use cases) is not. */
export const lacksPfm = (useCases: readonly string[] | null | undefined): boolean =>
  Array.isArray(useCases) && !useCases.includes('PFM');
