import type { Member } from './member.ts';

/** MX's connection statuses; the index is `connection_status_id`. */
export const CONNECTION_STATUSES = [
  'CREATED',
  'PREVENTED',
  'DENIED',
  'CHALLENGED',
  'REJECTED',
  'LOCKED',
  'CONNECTED',
  'IMPEDED',
  'RECONNECTED',
  'DEGRADED',
  'DISCONNECTED',
  'DISCONTINUED',
  'CLOSED',
  'DELAYED',
  'FAILED',
  'UPDATED',
  'DISABLED',
  'IMPORTED',
  'RESUMED',
  'EXPIRED',
  'IMPAIRED',
  'PENDING',
] as const;

export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/** What a status says on its own, before `is_being_aggregated` is taken into account. */
export type StatusKind = 'processing' | 'connected' | 'needs_user' | 'error';

export const STATUS_KINDS: Readonly<Record<ConnectionStatus, StatusKind>> = {
  CREATED: 'processing',
  RECONNECTED: 'processing',
  UPDATED: 'processing',
  RESUMED: 'processing',
  PENDING: 'processing',
  CONNECTED: 'connected',
  CHALLENGED: 'needs_user',
  REJECTED: 'needs_user',
  DENIED: 'needs_user',
  PREVENTED: 'needs_user',
  LOCKED: 'needs_user',
  IMPEDED: 'needs_user',
  EXPIRED: 'needs_user',
  IMPAIRED: 'needs_user',
  IMPORTED: 'needs_user',
  DEGRADED: 'error',
  DISCONNECTED: 'error',
  DISCONTINUED: 'error',
  CLOSED: 'error',
  DELAYED: 'error',
  FAILED: 'error',
  DISABLED: 'error',
};

const kindsByName = new Map<string, StatusKind>(Object.entries(STATUS_KINDS));

/** Whether a settled status asks the user to act: reconnect, fix credentials, answer MFA. */
export const needsUser = (status: string | null | undefined): boolean =>
  typeof status === 'string' && kindsByName.get(status) === 'needs_user';

export type MemberOutcome = 'in_progress' | 'succeeded' | 'action_required' | 'failed';

/** Where an aggregation stands, from a read of its member (docs/ARCHITECTURE.md, the status table). */
export function classifyMember(member: Pick<Member, 'connection_status' | 'is_being_aggregated'>): MemberOutcome {
  const status = member.connection_status;
  const kind = typeof status === 'string' ? kindsByName.get(status) : undefined;
  // While MX aggregates, only CHALLENGED needs the user now: any other status may be the previous attempt's
  // (a user who just fixed their credentials would be told to act). Unknown statuses, null included, are failure.
  if (status === 'CHALLENGED') return 'action_required';
  if (member.is_being_aggregated === true || kind === 'processing') return 'in_progress';
  if (kind === 'needs_user') return 'action_required';
  return kind === 'connected' ? 'succeeded' : 'failed';
}
