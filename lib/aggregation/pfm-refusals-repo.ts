import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { NexusRelayError } from '../errors.ts';
import { getItems, isExpired, keys, type MemberRef, type TableRef } from '../store/table.ts';

/** How long the relay answers for MX; use cases changed outside the relay (MX's widget) are seen again within this. */
export const PFM_REFUSAL_TTL_MS = 60 * 60_000;

/** The relay refused the aggregation without asking MX. */
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

/** Members MX will not aggregate (their use cases leave out PFM), as MX last said; in the user's partition for erasure. */
export class PfmRefusalsRepository {
  constructor(private readonly table: TableRef) {}

  /** When MX said the member has no PFM, and whether the relay has seen the member at all. */
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

  async clear(member: MemberRef): Promise<void> {
    await this.table.client.send(
      new DeleteCommand({ TableName: this.table.tableName, Key: keys.pfmRefusal(member.userId, member.memberGuid) }),
    );
  }
}

/** Unknown use cases (a member from before them) do not leave out PFM. */
export const lacksPfm = (useCases: readonly string[] | null | undefined): boolean =>
  Array.isArray(useCases) && !useCases.includes('PFM');
