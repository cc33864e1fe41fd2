import { dayOf, startOfDay } from './calendar.ts';
import { type ConnectionStatusName, connectionStatus } from './connection-statuses.ts';
import { type SimMember, runStateAt } from './members.ts';
import { transactionView } from './read-views.ts';
import type { TransactionChange } from './transaction-ledger.ts';

/** The statuses MX sends a CONNECTION_STATUS webhook for (MX's webhooks guide). */
export const END_USER_ACTIONABLE_STATUSES: readonly ConnectionStatusName[] = [
  'CHALLENGED',
  'DENIED',
  'EXPIRED',
  'IMPAIRED',
  'IMPEDED',
  'LOCKED',
  'PREVENTED',
  'REJECTED',
];

/** Reference §6, field for field. */
export interface ConnectionStatusWebhook {
  action: 'CHANGED';
  connection_status: ConnectionStatusName;
  connection_status_id: number;
  connection_status_message: string;
  member_guid: string;
  type: 'CONNECTION_STATUS';
  user_guid: string;
}

/** Reference §6, field for field; `completed_at` in Unix seconds. */
export interface AggregationWebhook {
  action: 'member_data_updated';
  completed_at: number;
  completed_on: string;
  is_background: boolean;
  job_guid: string;
  member_guid: string;
  transactions_created_count: number;
  transactions_updated_count: number;
  type: 'AGGREGATION';
  user_guid: string;
  user_id: string;
}

/** MX's HISTORY webhook: AGGREGATION's fields under its own type, after an extended history ends. */
export interface HistoryWebhook extends Omit<AggregationWebhook, 'type'> {
  type: 'HISTORY';
}

/** AGGREGATION's fields under type BALANCE, after a check balance ends (MX's aggregation webhook page names the type). */
export interface BalanceWebhook extends Omit<AggregationWebhook, 'type'> {
  type: 'BALANCE';
}

/** MX's VERIFICATION webhook (its webhooks guide), after a verification ends CONNECTED: the accounts verified. */
export interface VerificationWebhook {
  action: 'member_data_updated';
  accounts: string[];
  completed_at: number;
  completed_on: string;
  job_guid: string;
  member_guid: string;
  type: 'VERIFICATION';
  user_guid: string;
  user_id: string;
}

/**
 * MX's TRANSACTIONS webhook (its webhooks guide: a transaction created, updated or deleted), one transaction per
 * POST under `action`, as MX's users webhook is shaped — the guide's example did not survive in our copy, so the
 * envelope is inferred (no `type`). The transaction's fields as Nexus lists them, its times as Unix seconds (the
 * guide types `created_at` and `date` Integer); a deletion carries the transaction as it was.
 */
export interface TransactionWebhook {
  action: TransactionChange['action'];
  transaction: Record<string, unknown> & { guid: string; member_guid: string };
}

/** MX's MEMBER webhook for a deleted member (its webhooks guide; the envelope inferred, as TRANSACTIONS'). */
export interface MemberWebhook {
  action: 'deleted';
  member: Record<string, unknown> & { guid: string; user_guid: string };
}

export type SimWebhookPayload =
  | ConnectionStatusWebhook
  | AggregationWebhook
  | HistoryWebhook
  | BalanceWebhook
  | VerificationWebhook
  | TransactionWebhook
  | MemberWebhook;

/** What a push is about, as `GET /_sim/webhooks` lists it: MX's `type`, or the record an envelope without one carries. */
export const payloadType = (payload: SimWebhookPayload): string =>
  'type' in payload ? payload.type : 'member' in payload ? 'MEMBER' : 'TRANSACTIONS';

/** The MEMBER webhook MX sends once `member` is deleted. */
export function memberDeletedWebhook(member: SimMember, view: Record<string, unknown>): MemberWebhook {
  return { action: 'deleted', member: { ...view, guid: member.guid, user_guid: member.owner.guid, user_id: member.owner.id } };
}

const seconds = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / 1000));

/** The TRANSACTIONS webhook for one change a run made. */
export function transactionWebhook(change: TransactionChange, userId: string): TransactionWebhook {
  const { transaction } = change;
  return {
    action: change.action,
    transaction: {
      ...transactionView(transaction),
      user_id: userId,
      date: seconds(startOfDay(transaction.date)),
      transacted_at: seconds(transaction.transactedAt),
      posted_at: seconds(transaction.postedAt),
      created_at: seconds(transaction.createdAt),
      updated_at: seconds(transaction.updatedAt),
    },
  };
}

export const isEndUserActionable = (status: ConnectionStatusName): boolean => END_USER_ACTIONABLE_STATUSES.includes(status);

/**
 * MX's CONNECTION_STATUS webhook for the member entering `status` (end-user-actionable: the caller checks). It names
 * the user by `user_guid` only; unlike AGGREGATION it has no `user_id`.
 */
export function connectionStatusWebhook(member: SimMember, name: ConnectionStatusName): ConnectionStatusWebhook {
  const status = connectionStatus(name);
  return {
    action: 'CHANGED',
    connection_status: status.name,
    connection_status_id: status.id,
    connection_status_message: status.message,
    member_guid: member.guid,
    type: 'CONNECTION_STATUS',
    user_guid: member.owner.guid,
  };
}

/**
 * What MX pushes about the member's latest aggregation as it stands at `at`: CONNECTION_STATUS for an
 * end-user-actionable status, AGGREGATION `member_data_updated` for a run ended CONNECTED (`is_background` as the
 * run was started), nothing otherwise (still running, or ended in a status MX does not push). The run alone decides:
 * a status set outside it (`setConnectionStatus`) is pushed on its own, when it is set.
 */
export function webhookPayloadAt(member: SimMember, at: number): SimWebhookPayload | null {
  const { run } = member;
  const state = runStateAt(member, at);
  if (!run || state.isBeingAggregated) return null;
  if (isEndUserActionable(state.status)) return connectionStatusWebhook(member, state.status);
  if (state.status !== 'CONNECTED') return null;
  const ended = {
    action: 'member_data_updated' as const,
    completed_at: Math.floor(at / 1000),
    completed_on: dayOf(at),
    job_guid: run.jobGuid,
    member_guid: member.guid,
    user_guid: member.owner.guid,
    user_id: member.owner.id,
  };
  // MX documents no webhook for an identification: its end is found by reading the member.
  if (run.kind === 'IDENTIFICATION') return null;
  if (run.kind === 'VERIFICATION') return { ...ended, accounts: run.accounts ?? [], type: 'VERIFICATION' };
  return {
    action: 'member_data_updated',
    completed_at: Math.floor(at / 1000),
    completed_on: dayOf(at),
    is_background: run.background,
    job_guid: run.jobGuid,
    member_guid: member.guid,
    // What the run added and updated (TransactionLedger applies the same script).
    transactions_created_count: run.script.transactions.add + run.script.transactions.post,
    transactions_updated_count: run.script.transactions.update,
    type: run.kind === 'HISTORY' || run.kind === 'BALANCE' ? run.kind : 'AGGREGATION',
    user_guid: member.owner.guid,
    user_id: member.owner.id,
  };
}
