import * as z from '../zod.ts';
import type { Route } from '../http/route.ts';
import { parseInput } from '../http/validation.ts';
import { params } from '../identifiers.ts';
import type { MemberNeedingUser, MemberStatesRepository } from './member-states-repo.ts';
import { reconnectOf, reconnectSchema } from './aggregation-events.ts';

/** What api-refresh gives these routes. */
export interface MemberStateRouteDeps {
  memberStates: Pick<MemberStatesRepository, 'needingUser'>;
}

const acrossUsersQuery = z.object({
  state: z
    .enum(['needs_user'])
    .check(z.describe('`needs_user`: members whose last recorded connection status needs their user to act')),
  limit: params.acrossUsersLimit,
});

/** A member needing its user, as `GET /members` answers it. */
const memberNeedingUser = z.strictObject({
  user_id: z.string(),
  member_guid: z.string(),
  connection_status: z.string().check(z.describe('CHALLENGED, DENIED, EXPIRED, IMPAIRED, IMPEDED, LOCKED, PREVENTED, REJECTED…')),
  needs_user_since: z.string().check(z.describe('When the relay first recorded a status needing the user (ISO 8601, UTC)')),
  reconnect: reconnectSchema,
});

const needingUserView = (member: MemberNeedingUser): z.output<typeof memberNeedingUser> => ({
  user_id: member.userId,
  member_guid: member.memberGuid,
  connection_status: member.connectionStatus,
  needs_user_since: new Date(member.since).toISOString(),
  reconnect: reconnectOf(member.memberGuid),
});

/** The members' recorded connection states, across users (server keys): served by api-refresh. */
export const MEMBER_STATE_ROUTES: readonly Route<MemberStateRouteDeps>[] = [
  {
    method: 'GET',
    path: '/members',
    fn: 'api-refresh',
    summary: 'Members across users whose connection needs their user (server keys)',
    auth: 'api_key',
    access: 'server_key',
    query: 'parsed',
    async handle(request, { memberStates }) {
      const { limit } = parseInput(acrossUsersQuery, request.query, 'query');
      return { status: 200, body: { members: (await memberStates.needingUser(limit)).map(needingUserView) } };
    },
    docs: () => ({
      query: acrossUsersQuery,
      description:
        'What an operator watches across users: the members whose connection status, as the relay last recorded it (a job’s end, ' +
        'MX’s webhook, the reconcile), needs their user — newest first. Each says how to let the user act. One page; a user-bound key is refused.',
      responses: {
        200: { description: 'The members', body: z.strictObject({ members: z.array(memberNeedingUser) }) },
      },
      problems: ['forbidden'],
    }),
  },
];
