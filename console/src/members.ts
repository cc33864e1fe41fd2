import type { MxRecord } from '@nexus-relay/client';

/**
 * MX's connection statuses in which a member waits for its user: the console's one list of them. They are the
 * relay's `action_required` statuses (docs/api.md, Jobs and statuses), which the console cannot import (it is a client
 * of the public API only); test/unit/console/members.test.ts holds the two lists equal.
 */
export const NEEDS_USER_STATUSES: readonly string[] = [
  'CHALLENGED',
  'DENIED',
  'EXPIRED',
  'IMPAIRED',
  'IMPEDED',
  'IMPORTED',
  'LOCKED',
  'PREVENTED',
  'REJECTED',
];

/** The fields of an MX member the console shows, read from the record MX answered (MX's names). */
export interface Member {
  guid: string;
  name?: string | undefined;
  institution_code?: string | undefined;
  connection_status?: string | undefined;
  connection_status_message?: string | undefined;
  is_being_aggregated: boolean;
  aggregated_at?: string | undefined;
  successfully_aggregated_at?: string | undefined;
  /** null: MX's members from before use cases, which count for every use case. */
  use_cases?: string[] | null | undefined;
  /** The user signs in at the bank (OAuth): re-authorised through a one-time OAuth window, not a widget. */
  is_oauth: boolean;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export function memberOf(record: MxRecord): Member {
  const useCases = record.use_cases;
  return {
    guid: text(record.guid) ?? '',
    name: text(record.name),
    institution_code: text(record.institution_code),
    connection_status: text(record.connection_status),
    connection_status_message: text(record.connection_status_message),
    is_being_aggregated: record.is_being_aggregated === true,
    is_oauth: record.is_oauth === true,
    aggregated_at: text(record.aggregated_at),
    successfully_aggregated_at: text(record.successfully_aggregated_at),
    use_cases: Array.isArray(useCases)
      ? useCases.filter((useCase) => typeof useCase === 'string')
      : useCases === null
        ? null
        : undefined,
  };
}

/**
 * Whether the user must act on the member now, as the relay decides a job's `action_required`: CHALLENGED at once
 * (MX waits for the MFA answer, even while aggregating); the other statuses once MX stops aggregating (until then
 * the status may be the previous attempt's).
 */
export function needsUser(member: Pick<Member, 'connection_status' | 'is_being_aggregated'>): boolean {
  const status = member.connection_status;
  if (status === undefined || !NEEDS_USER_STATUSES.includes(status)) return false;
  return status === 'CHALLENGED' || !member.is_being_aggregated;
}

/** What the user does about a member that needs them (shown under "Needs the user"). */
export function userActionOf(member: Pick<Member, 'connection_status'> & { is_oauth?: boolean }): string {
  if (member.is_oauth && member.connection_status !== 'CHALLENGED') {
    return 'Re-authorise at the bank: a one-time OAuth window (Re-authorise) for the user to open.';
  }
  return member.connection_status === 'CHALLENGED'
    ? 'Answer MX’s question on its job (Answer MFA), or the user does in the Connect widget (Reconnect).'
    : 'The user reconnects in the Connect widget: a one-time URL for them (Reconnect).';
}
