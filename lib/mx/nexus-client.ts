import * as z from '../zod.ts';
import { type Challenge, challengesResponse } from './challenge.ts';
import type { Deadline } from './deadline.ts';
import { isSessionExpired, MxError } from './errors.ts';
import { type Member, memberResponse, membersPageResponse } from './member.ts';
import { PREMIUM_JOB_ROUTES, type PremiumJob } from './premium-jobs.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { SessionManager } from './sessions.ts';
import type { MxCall, MxResponse, MxTransport } from './transport.ts';

export interface NexusClientOptions {
  data: MxTransport;
  sessions: Pick<SessionManager, 'get' | 'invalidate'> & Partial<Pick<SessionManager, 'settle'>>;
  /** One time budget per request, shared by getting the session and every MX call it makes. */
  retry: RetryPolicy;
  /** MX's reference pages show GET for aggregate; configurable because that is unconfirmed. */
  aggregateMethod: 'GET' | 'POST';
}

/** Also checked by `nexus-relay mx check`. */
export const MEMBERS_ROUTE = '/members';
export const MEMBER_ROUTE = '/members/{member_guid}';
export const AGGREGATE_ROUTE = '/members/{member_guid}/aggregate';
export const RESUME_ROUTE = '/members/{member_guid}/resume';
export const CHALLENGES_ROUTE = '/members/{member_guid}/challenges';
export const INSTITUTION_ROUTE = '/institutions/{institution_guid}';
export const OAUTH_WINDOW_ROUTE = '/members/{member_guid}/oauth_window_uri';

/** MX's generate OAuth window URI parameters. */
export interface OAuthWindowOptions {
  client_redirect_url?: string;
  referral_source?: 'BROWSER' | 'APP';
  ui_message_webview_url_scheme?: string;
  skip_aggregation?: boolean;
}

const oauthWindowResponse = z.looseObject({
  member: z.looseObject({ guid: z.string(), oauth_window_uri: z.string().check(z.minLength(1)) }),
});

/** What an institution supports beyond aggregation; a field MX leaves out is unknown. */
export const institutionResponse = z.looseObject({
  institution: z.looseObject({
    code: z.nullish(z.string()),
    supports_account_verification: z.nullish(z.boolean()),
    supports_account_identification: z.nullish(z.boolean()),
    supports_transaction_history: z.nullish(z.boolean()),
    supports_oauth: z.nullish(z.boolean()),
  }),
});
export type Institution = z.output<typeof institutionResponse>['institution'];

/** None as GET, an empty object as POST. */
export const aggregateBody = (method: 'GET' | 'POST'): Record<string, never> | undefined => (method === 'POST' ? {} : undefined);

/** Both default to true on MX's side; false skips holdings or transactions. */
export interface AggregateOptions {
  includeHoldings?: boolean;
  includeTransactions?: boolean;
}

/** What create and update member send MX (under `member`). */
export interface MemberWrite {
  institution_guid?: string;
  credentials?: { guid: string; value: string }[];
  use_cases?: string[];
  skip_aggregation?: boolean;
  metadata?: string;
  external_guid?: string;
  /** An OAuth member: no credentials; MX answers it PENDING with a one-time `oauth_window_uri`. */
  is_oauth?: boolean;
}

/** One MFA answer. */
export interface ChallengeAnswer {
  guid: string;
  value: string;
}

export interface AggregateResult {
  member: Member;
  /** MX answered 202: a job of the same type was running or ran too recently; nothing new started. */
  alreadyRunning: boolean;
  /** Whether MX's answer held the member (else it was read after), for `mx check` and logs. */
  answeredWithMember?: boolean;
}

/** Aggregate and resume answers: MX documents a member for aggregate and only a status for resume, so both are taken. */
const optionalMemberResponse = z.union([
  z.undefined(),
  memberResponse,
  z.pipe(
    z.looseObject({}),
    z.transform(() => undefined),
  ),
]);

/** Nexus data calls made as a user: each carries the user's session token, renewed once if MX refuses it. */
export class NexusClient {
  readonly #data: MxTransport;
  readonly #sessions: Pick<SessionManager, 'get' | 'invalidate'> & Partial<Pick<SessionManager, 'settle'>>;
  readonly #retry: RetryPolicy;
  readonly #aggregateMethod: 'GET' | 'POST';

  constructor(options: NexusClientOptions) {
    this.#data = options.data;
    this.#sessions = options.sessions;
    this.#retry = options.retry;
    this.#aggregateMethod = options.aggregateMethod;
  }

  /** Starts an aggregation of the member (MX: 403 when the member's use cases lack PFM). */
  async aggregateMember(userId: string, memberGuid: string, options: AggregateOptions = {}): Promise<AggregateResult> {
    const { status, body } = await this.request(userId, {
      method: this.#aggregateMethod,
      route: AGGREGATE_ROUTE,
      kind: 'aggregate',
      params: { member_guid: memberGuid },
      query: { include_holdings: options.includeHoldings, include_transactions: options.includeTransactions },
      body: aggregateBody(this.#aggregateMethod),
      schema: optionalMemberResponse,
      // Starts a job, even when sent as GET: replayed only when MX certainly did not act on it.
      idempotent: false,
    });
    const member = body?.member ?? (await this.readMember(userId, memberGuid));
    return { member, alreadyRunning: status === 202, answeredWithMember: body?.member !== undefined };
  }

  /**
   * Starts one of MX's premium jobs (MX: 400 unsupported by the institution, 403 feature off, 409 another job runs).
   * `includeTransactions` is sent only when given: MX's default is false.
   */
  async startPremiumJob(
    userId: string,
    memberGuid: string,
    job: PremiumJob,
    options: { includeTransactions?: boolean } = {},
  ): Promise<Member> {
    const { body } = await this.request(userId, {
      method: 'POST',
      route: PREMIUM_JOB_ROUTES[job],
      kind: 'premium_job',
      params: { member_guid: memberGuid },
      body:
        job === 'extend_history' || job === 'check_balance' || options.includeTransactions === undefined
          ? undefined
          : { include_transactions: options.includeTransactions },
      schema: optionalMemberResponse,
      idempotent: false,
    });
    return body?.member ?? (await this.readMember(userId, memberGuid));
  }

  /** A new one-time URI where the user authorises an OAuth member at the bank: a credential, never logged or stored. */
  async oauthWindowUri(userId: string, memberGuid: string, options: OAuthWindowOptions = {}): Promise<string> {
    const { body } = await this.request(userId, {
      method: 'GET',
      route: OAUTH_WINDOW_ROUTE,
      kind: 'member',
      params: { member_guid: memberGuid },
      query: { ...options },
      schema: oauthWindowResponse,
      // Each call makes a new URI: replayed only when MX certainly made none.
      idempotent: false,
    });
    return body.member.oauth_window_uri;
  }

  /** An institution's details, for what it supports. */
  async readInstitution(userId: string, institutionGuid: string): Promise<Institution> {
    const { body } = await this.request(userId, {
      method: 'GET',
      route: INSTITUTION_ROUTE,
      kind: 'institution',
      params: { institution_guid: institutionGuid },
      schema: institutionResponse,
    });
    return body.institution;
  }

  /** Every member of the user, up to `maxPages` pages. */
  async listMembers(userId: string, maxPages = 10): Promise<Member[]> {
    const members: Member[] = [];
    for (let page = 1; page <= maxPages; page++) {
      const { body } = await this.request(userId, {
        method: 'GET',
        route: MEMBERS_ROUTE,
        kind: 'member',
        query: { page, records_per_page: 100 },
        schema: membersPageResponse,
      });
      members.push(...body.members);
      if (page >= (body.pagination?.total_pages ?? 1)) break;
    }
    return members;
  }

  async readMember(userId: string, memberGuid: string): Promise<Member> {
    const { body } = await this.request(userId, {
      method: 'GET',
      route: MEMBER_ROUTE,
      kind: 'member',
      params: { member_guid: memberGuid },
      schema: memberResponse,
    });
    return body.member;
  }

  /** MX aggregates it unless `skip_aggregation`. Credentials pass through, never logged or stored. */
  async createMember(userId: string, member: MemberWrite): Promise<Member> {
    const { body } = await this.request(userId, {
      method: 'POST',
      route: MEMBERS_ROUTE,
      kind: 'member',
      body: { member },
      schema: memberResponse,
      idempotent: false,
    });
    return body.member;
  }

  /** MX starts an aggregation on new credentials. */
  async updateMember(userId: string, memberGuid: string, member: MemberWrite): Promise<Member> {
    const { body } = await this.request(userId, {
      method: 'PUT',
      route: MEMBER_ROUTE,
      kind: 'member',
      params: { member_guid: memberGuid },
      body: { member },
      schema: memberResponse,
      idempotent: false,
    });
    return body.member;
  }

  /** Deletes the member at MX, with its accounts and transactions. */
  async deleteMember(userId: string, memberGuid: string): Promise<void> {
    await this.request(userId, {
      method: 'DELETE',
      route: MEMBER_ROUTE,
      kind: 'member',
      params: { member_guid: memberGuid },
      idempotent: false,
    });
  }

  /** Answers a CHALLENGED member's MFA questions, resuming the aggregation (MX: 405 when not CHALLENGED). */
  async resumeAggregation(userId: string, memberGuid: string, answers: ChallengeAnswer[]): Promise<Member> {
    const { body } = await this.request(userId, {
      method: 'PUT',
      route: RESUME_ROUTE,
      kind: 'resume',
      params: { member_guid: memberGuid },
      body: { challenges: answers },
      schema: optionalMemberResponse,
      idempotent: false,
    });
    return body?.member ?? (await this.readMember(userId, memberGuid));
  }

  /** The MFA questions of a CHALLENGED member; none on a 204, never on another empty answer. */
  async listMemberChallenges(userId: string, memberGuid: string): Promise<Challenge[]> {
    const { status, body } = await this.request(userId, {
      method: 'GET',
      route: CHALLENGES_ROUTE,
      kind: 'challenges',
      params: { member_guid: memberGuid },
      schema: challengesResponse,
    });
    if ('noContent' in body && status !== 204) {
      throw new MxError('MX_INVALID_RESPONSE', `MX answered GET ${CHALLENGES_ROUTE} ${status} with no body`, {
        method: 'GET',
        route: CHALLENGES_ROUTE,
        status,
      });
    }
    return body.challenges;
  }

  /**
   * Any Nexus data call as the user, within one time budget. A 401 means the session is gone whatever MX's code says: a new
   * session is made and the call sent once more; a second 401 is thrown.
   */
  async request<Route extends string, Schema extends z.ZodMiniType = z.ZodMiniUnknown>(
    userId: string,
    call: MxCall<Route, Schema>,
  ): Promise<MxResponse<z.output<Schema>>> {
    return this.#asUser(userId, (headers, deadline) =>
      this.#data.request<Route, Schema>({ ...call, headers: { ...call.headers, ...headers } } as MxCall<Route, Schema>, {
        deadline,
      }),
    );
  }

  /** `request`, with MX's 2xx body as unparsed JSON text, for a body relayed unchanged. */
  async requestText<Route extends string>(userId: string, call: Omit<MxCall<Route>, 'schema'>): Promise<MxResponse<string>> {
    return this.#asUser(userId, (headers, deadline) =>
      this.#data.requestText<Route>({ ...call, headers: call.headers ? { ...call.headers, ...headers } : headers }, { deadline }),
    );
  }

  async #asUser<T>(
    userId: string,
    send: (headers: { 'MD-SESSION-TOKEN': string }, deadline: Deadline) => Promise<T>,
  ): Promise<T> {
    const deadline = this.#retry.newDeadline();
    const token = await this.#sessions.get(userId, { deadline });
    try {
      return await send({ 'MD-SESSION-TOKEN': token }, deadline);
    } catch (error) {
      if (!isSessionExpired(error)) throw error;
      await this.#sessions.invalidate(userId, token);
      return await send({ 'MD-SESSION-TOKEN': await this.#sessions.get(userId, { deadline }) }, deadline);
    } finally {
      const touching = this.#sessions.settle?.();
      if (touching) await touching;
    }
  }
}
