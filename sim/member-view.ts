import { isoOrNull } from './calendar.ts';
import { connectionStatus } from './connection-statuses.ts';
import { INSTITUTION } from './institutions.ts';
import { type SimMember, memberStateAt, pendingChallenge } from './members.ts';

/** Members are at MX's test institution, MX Bank, unless the control API placed them elsewhere. */
export { INSTITUTION };

/** The member as Nexus returns it at `now`. */
export function memberView(member: SimMember, now: number) {
  const state = memberStateAt(member, now);
  const status = connectionStatus(state.status);
  return {
    guid: member.guid,
    user_guid: member.owner.guid,
    name: member.name,
    institution_code: member.institution.code,
    institution_guid: member.institution.guid,
    use_cases: member.useCases,
    connection_status: status.name,
    connection_status_id: status.id,
    connection_status_message: status.message,
    is_being_aggregated: state.isBeingAggregated,
    aggregated_at: isoOrNull(state.aggregatedAt),
    successfully_aggregated_at: isoOrNull(state.successfullyAggregatedAt),
    most_recent_job_guid: state.mostRecentJobGuid,
    is_oauth: member.isOauth === true,
    // In MX's create and update member examples, with their values there: no member of the simulator has background
    // aggregation turned off or is managed by its user.
    background_aggregation_is_disabled: false,
    is_managed_by_user: false,
    is_user_created: true,
    // What create or update member was given, as MX answers it.
    metadata: member.metadata ?? null,
    external_guid: member.externalGuid ?? null,
  };
}

export type MemberView = ReturnType<typeof memberView>;

/** `GET /members/{guid}/challenges`: the pending MFA questions, none unless the member is CHALLENGED. */
export function challengesView(member: SimMember, now: number) {
  const challenge = pendingChallenge(member, now);
  const challenges = challenge ? [{ guid: challenge.guid, type: 'TEXT', field_name: 'answer', label: challenge.label }] : [];
  return { challenges };
}
