import { createHash } from 'node:crypto';
import { DEFAULT_AGGREGATION_SCRIPT } from './aggregation-script.ts';
import { headerValue, parseJsonBody } from './http.ts';
import { CATALOGUE, type CatalogueInstitution } from './institutions.ts';
import { isJsonObject } from './input-validation.ts';
import { memberDeletedWebhook } from './webhook-payloads.ts';
import { challengesView, memberView } from './member-view.ts';
import {
  type ChallengeAnswer,
  type SimMember,
  type SimUser,
  type UseCase,
  hasUseCase,
  isUseCase,
  mayAggregate,
  resumeAggregation,
  startAggregation,
  throttledAt,
} from './members.ts';
import { MxError } from './mx-errors.ts';
import { openOAuthWindow } from './oauth-page.ts';
import type { MxReply, MxRequest, MxRoute } from './mx-endpoint.ts';
import { paginate, parsePageRequest } from './pagination.ts';
import { parseUseCaseFilter } from './read-filters.ts';
import { userEndpoint } from './session-routes.ts';
import { minutesToMs } from './sim-settings.ts';
import type { SimulatorState } from './state.ts';

/** The session user's member `guid`: another user's member is simply not found, as MX has it. */
export function memberOfUser(state: SimulatorState, user: SimUser, guid: string | undefined): SimMember {
  const member = guid === undefined ? undefined : state.members.member(guid);
  if (!member || member.owner !== user) throw new MxError(404, 'Member not found.');
  return member;
}

/** Nexus member endpoints. The session fixes the user: another user's member is simply not found. */
export function memberRoutes(state: SimulatorState): MxRoute[] {
  const now = () => state.clock.now();

  const endpoint = (handle: (request: MxRequest, user: SimUser) => MxReply) => userEndpoint(state, handle);

  const memberOf = (user: SimUser, guid: string | undefined): SimMember => memberOfUser(state, user, guid);

  const aggregate = endpoint(({ params }, user) => {
    const member = memberOf(user, params.member_guid);
    if (!mayAggregate(member)) throw new MxError(403, 'Member use_cases do not include PFM.');
    const at = now();
    // Inside MX's throttle window after a success, as while a run is on: 202, the member unchanged, no new job.
    const throttled = throttledAt(member, at, minutesToMs(state.settings.throttleWindowMinutes));
    const outcome = throttled ? 'throttled' : startAggregation(member, at, state.newGuid);
    if (outcome === 'busy') throw new MxError(409, 'Another aggregation-type process is already running for this member.');
    if (outcome === 'started') state.webhooks.runChanged(member);
    return { status: outcome === 'started' ? 200 : 202, body: memberAnswer(member, at) };
  });

  /** Aggregate's and resume's answer: the member, or (dialect `status_only`) a bare status. */
  const memberAnswer = (member: SimMember, at: number) =>
    state.dialect.aggregate_answer === 'member' ? { member: memberView(member, at) } : undefined;

  return [
    {
      methods: ['POST'],
      pattern: '/members',
      handler: endpoint(({ body, headers }, user) => {
        const input = memberBody(body);
        const member = createMember(state, user, input);
        const view = memberView(member, now());
        if (!member.isOauth) return { status: 202, body: { member: view } };
        // MX's answer for an OAuth member: PENDING, with a one-time window URI where the user authorises.
        const uri = openOAuthWindow(state, member, originOf(headers), { skipAggregation: input.skip_aggregation === true });
        return { status: 202, body: { member: { ...view, oauth_window_uri: uri } } };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/members/{member_guid}/oauth_window_uri',
      handler: endpoint(({ params, query, headers }, user) => {
        const member = memberOf(user, params.member_guid);
        if (!member.isOauth) throw new MxError(400, 'Member cannot use OAuth');
        const referral = query.get('referral_source') ?? 'BROWSER';
        if (referral !== 'BROWSER' && referral !== 'APP') throw new MxError(400, 'referral_source must be BROWSER or APP.');
        const redirect = query.get('client_redirect_url') ?? undefined;
        if (redirect !== undefined && !URL.canParse(redirect)) throw new MxError(400, 'client_redirect_url must be a URL.');
        const uri = openOAuthWindow(state, member, originOf(headers), {
          skipAggregation: query.get('skip_aggregation') === 'true',
          ...(redirect === undefined ? {} : { clientRedirectUrl: redirect }),
        });
        return { status: 200, body: { member: { guid: member.guid, oauth_window_uri: uri } } };
      }),
    },
    {
      methods: ['PUT'],
      pattern: '/members/{member_guid}',
      handler: endpoint(({ params, body }, user) => {
        const member = memberOf(user, params.member_guid);
        const input = memberBody(body);
        const useCases = useCasesOf(state, input);
        if (useCases) member.useCases = useCases;
        if (typeof input.metadata === 'string') member.metadata = input.metadata;
        if (input.credentials !== undefined) {
          const institution = CATALOGUE.find((entry) => entry.code === member.institution.code);
          const credentials = institution && credentialsOf(input, institution.credentials);
          if (institution && !credentials) {
            throw new MxError(400, 'credentials must hold a value for each of the institution’s credentials.');
          }
          if (credentials) member.script = scriptFor(credentials);
          aggregateOnWrite(state, member, input.skip_aggregation === true);
        }
        return { status: 200, body: { member: memberView(member, now()) } };
      }),
    },
    {
      methods: ['DELETE'],
      pattern: '/members/{member_guid}',
      handler: endpoint(({ params }, user) => {
        const member = memberOf(user, params.member_guid);
        const view = memberView(member, now());
        state.members.delete(member.guid);
        state.webhooks.pushNow(member.guid, memberDeletedWebhook(member, view));
        return { status: 204, body: undefined };
      }),
    },
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

/** Create and update member bodies are rooted in `member` (MX's documents); anything else is a 400. */
function memberBody(body: Buffer): Record<string, unknown> {
  let input: unknown;
  try {
    input = parseJsonBody(body);
  } catch {
    throw new MxError(400, 'The body must be JSON.');
  }
  if (!isJsonObject(input) || !isJsonObject(input.member)) throw new MxError(400, 'The body must be {"member": {…}}.');
  return input.member;
}

/** The values for each of the institution's credentials, in its order; undefined when one is missing or unknown. */
function credentialsOf(input: Record<string, unknown>, expected: readonly { guid: string }[]): string[] | undefined {
  const given = input.credentials;
  if (!Array.isArray(given)) return undefined;
  const byGuid = new Map<string, string>();
  for (const item of given) {
    if (!isJsonObject(item) || typeof item.guid !== 'string' || typeof item.value !== 'string') return undefined;
    byGuid.set(item.guid, item.value);
  }
  if (byGuid.size !== expected.length) return undefined;
  const values = expected.map((credential) => byGuid.get(credential.guid));
  return values.every((value) => value !== undefined && value !== '') ? (values as string[]) : undefined;
}

/** MX's use_cases rules on create and update member: required once opted in (at least one), refused before. */
function useCasesOf(state: SimulatorState, input: Record<string, unknown>): UseCase[] | undefined {
  const value = input.use_cases;
  if (state.dialect.use_cases === 'not_opted_in') {
    if (value !== undefined) throw new MxError(400, 'use_cases is not enabled for this client.');
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every(isUseCase)) {
    throw new MxError(400, 'use_cases must list at least one of PFM, MONEY_MOVEMENT.');
  }
  return [...new Set(value)];
}

/** A password of `wrong` is refused at the bank, as MX's test institution does: the aggregation ends DENIED. */
const scriptFor = (credentials: string[]) =>
  credentials.some((value) => value === 'wrong')
    ? { ...DEFAULT_AGGREGATION_SCRIPT, finalStatus: 'DENIED' as const }
    : DEFAULT_AGGREGATION_SCRIPT;

/** Starts the aggregation MX starts on a create or a credentials update, unless skipped or not PFM. */
function aggregateOnWrite(state: SimulatorState, member: SimMember, skip: boolean): void {
  if (skip || !mayAggregate(member)) return;
  if (startAggregation(member, state.clock.now(), state.newGuid) === 'started') state.webhooks.runChanged(member);
}

/**
 * Create member, as MX does it (the Nexus route and the Connect page alike): the institution from the catalogue, a
 * value for each of its credentials, MX's use_cases rules, no duplicate (same user, institution and credentials),
 * then the aggregation MX starts unless `skip_aggregation`.
 */
export function createMember(state: SimulatorState, user: SimUser, input: Record<string, unknown>): SimMember {
  if (typeof input.institution_guid !== 'string' || input.institution_guid === '') {
    throw new MxError(400, 'institution_guid is required.');
  }
  const institution = CATALOGUE.find((entry) => entry.guid === input.institution_guid);
  if (!institution) throw new MxError(422, 'The provided institution_guid does not exist.', 4220);
  const externalGuid = externalGuidOf(state, input);
  if (input.is_oauth === true) return withExternalGuid(createOAuthMember(state, user, institution, input), externalGuid);
  const credentials = credentialsOf(input, institution.credentials);
  if (!credentials) throw new MxError(400, 'credentials must hold a value for each of the institution’s credentials.');
  const useCases = useCasesOf(state, input);
  const digest = createHash('sha256')
    .update(`${institution.code}\u0000${JSON.stringify(credentials)}`)
    .digest('hex');
  if (state.members.membersOf(user).some((member) => member.credentialsDigest === digest)) {
    throw new MxError(422, 'A member with these credentials already exists for this user.', 4220);
  }
  const member = state.members.put({
    userId: user.id,
    memberGuid: undefined,
    name: institution.name,
    useCases: useCases ?? null,
    script: scriptFor(credentials),
    institutionCode: institution.code,
    institutionGuid: institution.guid,
    // A connected member holds a small data set of its own, as MX's test banks give (DEFAULT_MEMBER_DATA).
    data: {},
  });
  member.credentialsDigest = digest;
  if (typeof input.metadata === 'string') member.metadata = input.metadata;
  withExternalGuid(member, externalGuid);
  aggregateOnWrite(state, member, input.skip_aggregation === true);
  return member;
}

/** The partner's own id for the member (`external_guid`): unique among all members of the client, else MX's 4220. */
function externalGuidOf(state: SimulatorState, input: Record<string, unknown>): string | undefined {
  const given = input.external_guid;
  if (given === undefined || given === null) return undefined;
  if (typeof given !== 'string' || given === '') throw new MxError(400, 'external_guid must be a non-empty string.');
  if (state.members.all().some((member) => member.externalGuid === given)) {
    throw new MxError(422, 'The provided external_guid is already used within the client.', 4220);
  }
  return given;
}

const withExternalGuid = (member: SimMember, externalGuid: string | undefined): SimMember => {
  if (externalGuid !== undefined) member.externalGuid = externalGuid;
  return member;
};

/** Create member with `is_oauth`: no credentials; PENDING until the user authorises in the OAuth window. */
function createOAuthMember(
  state: SimulatorState,
  user: SimUser,
  institution: CatalogueInstitution,
  input: Record<string, unknown>,
): SimMember {
  if (!institution.supports.supports_oauth) throw new MxError(400, 'Member cannot use OAuth');
  if (input.credentials !== undefined) throw new MxError(400, 'An OAuth member takes no credentials.');
  const useCases = useCasesOf(state, input);
  const member = state.members.put({
    userId: user.id,
    memberGuid: undefined,
    name: institution.name,
    useCases: useCases ?? null,
    script: DEFAULT_AGGREGATION_SCRIPT,
    institutionCode: institution.code,
    institutionGuid: institution.guid,
    data: {},
  });
  member.isOauth = true;
  member.statusOverride = { status: 'PENDING', since: state.clock.now() };
  if (typeof input.metadata === 'string') member.metadata = input.metadata;
  return member;
}

/** Where the caller reached the simulator: the origin of the window URIs it hands out. */
const originOf = (headers: MxRequest['headers']): string => `http://${headerValue(headers, 'host') ?? '127.0.0.1'}`;
