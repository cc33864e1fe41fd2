import { parseJsonBody } from './http.ts';
import { isJsonObject } from './input-validation.ts';
import { challengesView, memberView } from './member-view.ts';
import {
  type ChallengeAnswer,
  type SimMember,
  type SimUser,
  hasUseCase,
  mayAggregate,
  resumeAggregation,
  startAggregation,
} from './members.ts';
import { MxError } from './mx-errors.ts';
import type { MxReply, MxRequest, MxRoute } from './mx-endpoint.ts';
import { paginate, parsePageRequest } from './pagination.ts';
import { parseUseCaseFilter } from './read-filters.ts';
import { userEndpoint } from './session-routes.ts';
import type { SimulatorState } from './state.ts';

/** Nexus member endpoints. The session fixes the user: another user's member is simply not found. */
export function memberRoutes(state: SimulatorState): MxRoute[] {
  const now = () => state.clock.now();

  const endpoint = (handle: (request: MxRequest, user: SimUser) => MxReply) => userEndpoint(state, handle);

  const memberOf = (user: SimUser, guid: string | undefined): SimMember => {
    const member = guid === undefined ? undefined : state.members.member(guid);
    if (!member || member.owner !== user) throw new MxError(404, 'Member not found.');
    return member;
  };

  const aggregate = endpoint(({ params }, user) => {
    const member = memberOf(user, params.member_guid);
    if (!mayAggregate(member)) throw new MxError(403, 'Member use_cases do not include PFM.');
    const at = now();
    const outcome = startAggregation(member, at, state.newGuid);
    if (outcome === 'started') state.webhooks.runChanged(member);
    return { status: outcome === 'started' ? 200 : 202, body: memberAnswer(member, at) };
  });

  /** Aggregate's and resume's answer: the member, or (dialect `status_only`) a bare status. */
  const memberAnswer = (member: SimMember, at: number) =>
    state.dialect.aggregate_answer === 'member' ? { member: memberView(member, at) } : undefined;

  return [
    {
      methods: ['GET'],
      pattern: '/members',
      handler: endpoint(({ query }, user) => {
        const useCase = parseUseCaseFilter(query);
        const members = state.members.membersOf(user).filter((member) => useCase === null || hasUseCase(member, useCase));
        const page = paginate(members, parsePageRequest(query));
        const at = now();
        return {
          status: 200,
          body: { members: page.items.map((member) => memberView(member, at)), pagination: page.pagination },
        };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/members/{member_guid}',
      handler: endpoint(({ params }, user) => ({
        status: 200,
        body: { member: memberView(memberOf(user, params.member_guid), now()) },
      })),
    },
    // MX documents GET for both; community clients POST. Both start the aggregation.
    { methods: ['GET', 'POST'], pattern: '/members/{member_guid}/aggregate', handler: aggregate },
    { methods: ['GET', 'POST'], pattern: '/members/{member_guid}/refresh', handler: aggregate },
    {
      methods: ['GET'],
      pattern: '/members/{member_guid}/challenges',
      handler: endpoint(({ params }, user) => ({
        status: 200,
        body: state.dialect.challenges_key === 'present' ? challengesView(memberOf(user, params.member_guid), now()) : {},
      })),
    },
    {
      methods: ['PUT'],
      pattern: '/members/{member_guid}/resume',
      handler: endpoint(({ params, body }, user) => {
        const member = memberOf(user, params.member_guid);
        const at = now();
        switch (resumeAggregation(member, at, parseAnswers(body))) {
          case 'not-challenged':
            throw new MxError(405, 'Member is not CHALLENGED.');
          case 'invalid-answers':
            throw new MxError(400, 'challenges must hold one {guid, value} answer to the pending challenge.');
          case 'accepted':
          case 'rejected':
            state.webhooks.runChanged(member);
            return { status: 200, body: memberAnswer(member, at) };
        }
      }),
    },
  ];
}

/**
 * `{"challenges":[{guid, value}]}` as Nexus documents it, or Platform's rooted `{"member":{"challenges":[…]}}`.
 * Anything else yields no answers, which the resume rules turn into a 400.
 */
function parseAnswers(body: Buffer): ChallengeAnswer[] {
  let input: unknown;
  try {
    input = parseJsonBody(body);
  } catch {
    return [];
  }
  const root = isJsonObject(input) && isJsonObject(input.member) ? input.member : input;
  const challenges = isJsonObject(root) ? root.challenges : undefined;
  if (!Array.isArray(challenges)) return [];
  const isAnswer = (item: unknown): item is ChallengeAnswer =>
    isJsonObject(item) && typeof item.guid === 'string' && typeof item.value === 'string';
  return challenges.every(isAnswer) ? challenges : [];
}
