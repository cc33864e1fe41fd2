import { silentLog } from '../lib/logger.ts';
import type { Dispatcher } from 'undici';
import { challengesResponse } from '../lib/mx/challenge.ts';
import { classifyMember, STATUS_KINDS, type ConnectionStatus } from '../lib/mx/connection-status.ts';
import { isSessionExpired, mxErrorFromResponse } from '../lib/mx/errors.ts';
import { memberResponse } from '../lib/mx/member.ts';
import { AGGREGATE_ROUTE, aggregateBody, CHALLENGES_ROUTE, MEMBER_ROUTE, MEMBERS_ROUTE } from '../lib/mx/nexus-client.ts';
import { MDX_MEDIA_TYPE, MDX_USER_ROUTE, MDX_USERS_ROUTE } from '../lib/mx/mdx-realtime.ts';
import { SESSION_BODY, SESSIONS_ROUTE, sessionResponse } from '../lib/mx/sessions.ts';
import { API_TOKEN_ROUTE, apiTokenResponse, SSO_MEDIA_TYPE } from '../lib/mx/sso.ts';
import { noMetrics } from '../lib/metrics.ts';
import { RetryPolicy } from '../lib/mx/retry-policy.ts';
import { type MxMethod, MxTransport, NEXUS_HEADERS, NEXUS_MEDIA_TYPE, type QueryValue } from '../lib/mx/transport.ts';
import * as z from '../lib/zod.ts';

/**
 * `nexus-relay mx check`: which of the MX client's assumptions hold for the MX a configuration points at. Every
 * call is the client's (its routes from the client's modules, its aggregate body) sent through the client's transport
 * (MxTransport.exchange: its paths, headers and time limit, one attempt, the answer whatever its status), and every answer is read with the client's own schemas and error reader, so a
 * "holds" means the relay would understand that answer. Read-only unless `aggregateMember`, `createUser` or
 * `checkSessionBody` is given. No token,
 * key or answer body is ever put in a result: only statuses, media types, shapes and field names.
 */
export type FactSource = 'documented' | 'unconfirmed';

/**
 * A mistake in how the check was asked for — a user MX does not have, a member that is not the user's — which MX's
 * answers show but do not contradict: the command says what to change instead of blaming MX.
 */
export class MxCheckUsageError extends Error {
  override name = 'MxCheckUsageError';
  readonly code = 'mx_check_usage';
}

export type Verdict = 'holds' | 'differs' | 'not_checked';

export interface FactCheck {
  id: string;
  fact: string;
  source: FactSource;
  verdict: Verdict;
  /** What was seen: a status, a media type, a shape — never a secret or a body. */
  observed: string;
}

export interface ConformanceOptions {
  dataBaseUrl: string;
  ssoBaseUrl: string;
  /** MDX Real Time's base (users), without the client id. */
  realtimeBaseUrl: string;
  credentials: { clientId: string; apiKey: string };
  /** The MX user the checks act as (an existing one: SSO creates nothing). */
  userId: string;
  aggregateMethod: 'GET' | 'POST';
  /** Followed to its end with one aggregate call: a write, only when asked for. */
  aggregateMember?: string;
  /** A new user id to make at MDX Real Time and delete again: a write, only when asked for. */
  createUser?: string;
  /**
   * Opens a second session as the relay does and checks that no member of the user started aggregating: a write when
   * MX ignores `skip_aggregation` (it then aggregates every member), so only when asked for.
   */
  checkSessionBody?: boolean;
  /** What the calls go through: an undici dispatcher, as the relay's MX client sends (by default a pool per origin). */
  dispatcher?: Dispatcher;
  /** How long an asked-for aggregation is followed (default 3 minutes), and the pause between reads. */
  aggregateTimeoutMs?: number;
  pollIntervalMs?: number;
}

interface Answer {
  status: number;
  type: string;
  text: string;
  headers: Record<string, string>;
}

/** The list reads that take no path parameter but the user: each answered with its collection under its own name. */
const LIST_READS = ['/members', '/accounts', '/transactions', '/beats', '/spending_plans'] as const;

const listShape = (key: string) =>
  z.looseObject({ [key]: z.array(z.record(z.string(), z.unknown())) }) as z.ZodMiniType<Record<string, unknown[]>>;

export async function checkConformance(options: ConformanceOptions): Promise<FactCheck[]> {
  const transportOf = (baseUrl: string) =>
    new MxTransport({
      log: silentLog,
      baseUrl,
      timeoutMs: CALL_TIMEOUT_MS,
      retry: new RetryPolicy({ budgetMs: CALL_TIMEOUT_MS }),
      dispatcher: options.dispatcher,
      // A diagnostic run from a terminal: nothing counts its calls.
      metrics: noMetrics,
    });
  const mx = {
    data: transportOf(options.dataBaseUrl),
    sso: transportOf(options.ssoBaseUrl),
    realtime: transportOf(options.realtimeBaseUrl),
  };
  try {
    return await check(options, mx);
  } finally {
    if (!options.dispatcher) await Promise.all([mx.data.close(), mx.sso.close(), mx.realtime.close()]);
  }
}

/** Each call's limit, from connecting to the last byte. */
const CALL_TIMEOUT_MS = 30_000;

/** What a call sends besides its route: the route's parameters, query and body (sent as the client sends them). */
interface CallParts {
  params?: Record<string, string>;
  query?: Record<string, QueryValue>;
  body?: unknown;
}

/** One call of `route` through `transport`, as the client builds it (route, parameters, body), whatever its status. */
async function call(
  transport: MxTransport,
  method: MxMethod,
  route: string,
  headers: Record<string, string>,
  parts: CallParts = {},
): Promise<Answer> {
  const answer = await transport.exchange({ method, route, headers, ...parts });
  const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(', ') : value);
  return {
    status: answer.status,
    type: single(answer.headers['content-type']) ?? '(none)',
    text: answer.text,
    headers: Object.fromEntries(Object.entries(answer.headers).map(([name, value]) => [name, single(value) ?? ''])),
  };
}

type Transports = { data: MxTransport; sso: MxTransport; realtime: MxTransport };

async function check(options: ConformanceOptions, mx: Transports): Promise<FactCheck[]> {
  // Before the first session: an aggregation MX started after this was started by the check's sessions.
  const startedAt = Date.now();
  const checks: FactCheck[] = [];
  const add = (id: string, fact: string, source: FactSource, verdict: Verdict, observed: string) =>
    checks.push({ id, fact, source, verdict, observed });
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  // 1. SSO: a one-time API token, from GET /{client_id}/users/{user_id}/api_token.json (as MX's pages show).
  const sso = await apiTokenCall(options, mx);
  if (sso.status === 404) {
    throw new MxCheckUsageError(
      `MX has no user ${options.userId} (SSO answered 404 to its API token): pass an existing MX user with --user`,
    );
  }
  const apiToken = apiTokenResponse.safeParse(parse(sso.text));
  const refused = sso.status === 401 || sso.status === 403;
  add(
    'sso_api_token',
    'SSO answers GET /{client_id}/users/{user_id}/api_token.json with {"api_token":{"token"}} as JSON',
    'documented',
    sso.status === 200 && apiToken.success ? 'holds' : 'differs',
    `HTTP ${sso.status}, ${sso.type}` +
      (apiToken.success
        ? ', api_token.token present'
        : refused
          ? ": MX refused the partner credentials (check the API key, the client id and MX's IP allow-list)"
          : parse(sso.text) === undefined
            ? ': the body is not JSON (the relay answers mx_unexpected_response)'
            : ', no api_token.token in the JSON body'),
  );
  if (!apiToken.success) return withUnchecked(checks, options);

  // 2. Session: POST /sessions with MD-API-TOKEN.
  const session = await sessionCall(mx, apiToken.data.api_token.token);
  const sessionBody = sessionResponse.safeParse(parse(session.text));
  add(
    'session',
    'POST /sessions with MD-API-TOKEN answers {"session":{"token"}}',
    'documented',
    session.status >= 200 && session.status < 300 && sessionBody.success ? 'holds' : 'differs',
    `HTTP ${session.status}, ${session.type}${sessionBody.success ? ', session.token present' : ', no session.token'}`,
  );
  if (!sessionBody.success) return withUnchecked(checks, options);
  const asUser = { ...NEXUS_HEADERS, 'MD-SESSION-TOKEN': sessionBody.data.session.token };

  // 3. The first page of every list read, in Nexus's media type, each collection under its own name.
  let firstMember: string | undefined;
  for (const path of LIST_READS) {
    const answer = await call(mx.data, 'GET', path, asUser);
    const key = path.slice(1);
    const body = listShape(key).safeParse(parse(answer.text));
    const typed = answer.type.startsWith(NEXUS_MEDIA_TYPE) || /^application\/(?:[\w.+-]+\+)?json/.test(answer.type);
    // A 403 is MX's answer for a user without the PFM use case: the route exists; its shape is not checked then.
    const verdict = answer.status === 403 ? 'not_checked' : answer.status === 200 && body.success && typed ? 'holds' : 'differs';
    add(
      `read${path.replaceAll('/', '_')}`,
      `GET ${path} answers 200 JSON with a "${key}" array`,
      'documented',
      verdict,
      `HTTP ${answer.status}, ${answer.type}${body.success ? `, ${body.data[key]!.length} ${key} on the first page` : ''}`,
    );
    if (path === '/members' && body.success) firstMember = (body.data.members?.[0] as { guid?: string } | undefined)?.guid;
  }

  // 4. A member read parses with the client's member schema.
  if (firstMember) {
    const answer = await call(mx.data, 'GET', MEMBER_ROUTE, asUser, { params: { member_guid: firstMember } });
    const member = memberResponse.safeParse(parse(answer.text));
    add(
      'read_member',
      'GET /members/{member_guid} answers {"member":{…}} the poll loop can read',
      'documented',
      answer.status === 200 && member.success ? 'holds' : 'differs',
      `HTTP ${answer.status}${member.success ? '' : `, unreadable at ${fieldsOf(member.error)}`}`,
    );
    const stamps = timestampsOf((parse(answer.text) as { member?: Record<string, unknown> } | undefined)?.member);
    add(
      'timestamps',
      "The member's *_at fields are ISO 8601 instants the client reads (any precision, Z or an offset)",
      'documented',
      stamps.unreadable.length > 0 ? 'differs' : stamps.forms.length === 0 ? 'not_checked' : 'holds',
      stamps.unreadable.length > 0
        ? `unreadable: ${stamps.unreadable.join(', ')}`
        : stamps.forms.length === 0
          ? 'no timestamp set on this member'
          : `forms seen: ${stamps.forms.join('; ')}`,
    );
  } else {
    add(
      'read_member',
      'GET /members/{member_guid} answers {"member":{…}} the poll loop can read',
      'documented',
      'not_checked',
      'the user has no member',
    );
  }

  // 5. The error body (UNCONFIRMED: nested {"error":{"code","message"}} or flat {"code","message"}).
  const missing = await call(mx.data, 'GET', MEMBER_ROUTE, asUser, { params: { member_guid: 'MBR-nexus-relay-check-absent' } });
  const notFound = mxErrorOf(missing, MEMBER_ROUTE);
  add(
    'error_body',
    "An error answer carries MX's numeric code (4040 for an unknown member) in a body the client reads",
    'unconfirmed',
    missing.status === 404 && notFound.mxCode === 4040 ? 'holds' : 'differs',
    `HTTP ${missing.status}, ${missing.type}, ${errorShape(parse(missing.text))}, code ${notFound.mxCode ?? 'none read'}`,
  );

  // 6. Session expiry (UNCONFIRMED: 4011 under HTTP 401).
  const expired = await call(mx.data, 'GET', MEMBERS_ROUTE, {
    ...NEXUS_HEADERS,
    'MD-SESSION-TOKEN': 'nexus-relay-check-expired',
  });
  const unauthorized = mxErrorOf(expired, MEMBERS_ROUTE);
  add(
    'session_expired',
    'An unknown or expired session is answered HTTP 401 or with code 4011 under any status (either makes the client renew the session)',
    'unconfirmed',
    isSessionExpired(unauthorized) ? 'holds' : 'differs',
    `HTTP ${expired.status}, ${errorShape(parse(expired.text))}, code ${unauthorized.mxCode ?? 'none read'}` +
      (expired.status === 401
        ? ''
        : unauthorized.mxCode === 4011
          ? ` (4011 under HTTP ${expired.status}: read by its code)`
          : ''),
  );

  add(
    'push',
    'MX pushes AGGREGATION webhooks on every aggregation, only on change, or never',
    'unconfirmed',
    'not_checked',
    'not observable from here: the poll loop measures it (pushes against job ends) and keeps its dense schedule unless MX announces ≥ 90 % of ends',
  );

  add(
    'retry_after',
    'A 429 carries Retry-After (seconds or a date)',
    'unconfirmed',
    'not_checked',
    'needs MX to rate-limit: never provoked',
  );

  // 7. The session body, only when asked: a write if MX ignores skip_aggregation.
  if (options.checkSessionBody) {
    checks.push(await checkSessionBody(options, mx, asUser, parse, startedAt));
  } else {
    add('session_skip_aggregation', SKIP_FACT, 'documented', 'not_checked', 'read-only run (pass --check-session-body)');
  }

  // 8. Users at MDX Real Time, only when asked: makes a user, then deletes it.
  if (options.createUser) {
    checks.push(...(await checkUsers(options, mx.realtime, parse)));
  } else {
    add('mdx_create_user', CREATE_USER_FACT, 'documented', 'not_checked', 'read-only run (pass --create-user <a new user id>)');
  }

  // 9. Aggregate, only when asked.
  if (options.aggregateMember) {
    checks.push(await checkAggregate(options, mx.data, asUser, parse));
  } else {
    add(
      'aggregate',
      `Aggregate is ${options.aggregateMethod} /members/{member_guid}/aggregate and its end is seen by reading the member`,
      'unconfirmed',
      'not_checked',
      'read-only run (pass --aggregate <member_guid>)',
    );
  }
  return checks;
}

async function checkAggregate(
  options: ConformanceOptions,
  data: MxTransport,
  asUser: Record<string, string>,
  parse: (text: string) => unknown,
): Promise<FactCheck> {
  const fact = `Aggregate is ${options.aggregateMethod} /members/{member_guid}/aggregate and its end is seen by reading the member`;
  const ofMember = { params: { member_guid: options.aggregateMember! } };
  // Read first: a member that is not this user's is the command line's mistake, not MX contradicting the client.
  const before = await call(data, 'GET', MEMBER_ROUTE, asUser, ofMember);
  if (before.status === 404 || before.status === 403) {
    throw new MxCheckUsageError(
      `${options.aggregateMember} is not a member of user ${options.userId} at MX (HTTP ${before.status} to GET /members/{member_guid}): ` +
        'pass the member’s own user with --user, or one of this user’s members with --aggregate',
    );
  }
  // The include flags as query parameters, where the member-level pages list them (MX's defaults: both true).
  const started = await call(data, options.aggregateMethod, AGGREGATE_ROUTE, asUser, {
    ...ofMember,
    query: { include_holdings: true, include_transactions: true },
    body: aggregateBody(options.aggregateMethod),
  });
  if (started.status < 200 || started.status > 299) {
    return {
      id: 'aggregate',
      fact,
      source: 'unconfirmed',
      verdict: 'differs',
      observed: `HTTP ${started.status} to ${options.aggregateMethod}`,
    };
  }
  const startedMember = memberResponse.safeParse(parse(started.text));
  const deadline = Date.now() + (options.aggregateTimeoutMs ?? 180_000);
  /** Statuses other than the in-progress ones seen while MX still aggregated (a previous attempt's, e.g. REJECTED). */
  const seenWhileAggregating = new Set<string>();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? 3_000));
    const read = memberResponse.safeParse(parse((await call(data, 'GET', MEMBER_ROUTE, asUser, ofMember)).text));
    const member = read.success ? read.data.member : undefined;
    if (member?.is_being_aggregated && member.connection_status && !inProgressStatus(member.connection_status)) {
      seenWhileAggregating.add(member.connection_status);
    }
    if (member && classifyMember(member) !== 'in_progress') {
      const challenges =
        member.connection_status === 'CHALLENGED'
          ? challengesResponse.safeParse(parse((await call(data, 'GET', CHALLENGES_ROUTE, asUser, ofMember)).text))
          : undefined;
      return {
        id: 'aggregate',
        fact,
        source: 'unconfirmed',
        verdict: challenges && !challenges.success ? 'differs' : 'holds',
        observed:
          `HTTP ${started.status} to ${options.aggregateMethod} with the include flags as query parameters, ` +
          `${startedMember.success ? 'answered with the member' : 'answered without a member body (the client reads the member)'}; ` +
          (seenWhileAggregating.size > 0
            ? `while aggregating MX showed ${[...seenWhileAggregating].join(', ')} (counted only once aggregation stops); `
            : '') +
          `ended ${member.connection_status}` +
          (challenges
            ? challenges.success
              ? `, challenges listed ${'noContent' in challenges.data ? 'as no content' : 'under "challenges" or "member"'}`
              : ', a challenges answer without "challenges" or "member"'
            : ''),
      };
    }
    if (Date.now() > deadline) {
      return {
        id: 'aggregate',
        fact,
        source: 'unconfirmed',
        verdict: 'differs',
        observed: 'still aggregating (or unreadable) at the time limit',
      };
    }
  }
}

const SKIP_FACT = 'A session opened with {"session":{"skip_aggregation":true}} starts no aggregation of the user\'s members';
const CREATE_USER_FACT =
  'MDX Real Time makes a user: POST /{client_id}/users.json {"user":{"id"}} answers {"user":{"guid"}} (409 when taken)';

/** The user's one-time API token call, as the relay makes it. */
const apiTokenCall = (options: ConformanceOptions, mx: Transports) =>
  call(
    mx.sso,
    'GET',
    API_TOKEN_ROUTE,
    { Accept: SSO_MEDIA_TYPE, 'MD-API-KEY': options.credentials.apiKey },
    { params: { client_id: options.credentials.clientId, user_id: options.userId } },
  );

/** POST /sessions with an API token and the relay's body. */
const sessionCall = (mx: Transports, apiToken: string) =>
  call(mx.data, 'POST', SESSIONS_ROUTE, { ...NEXUS_HEADERS, 'MD-API-TOKEN': apiToken }, { body: SESSION_BODY });

/** A session for the user, made as the relay makes one (SSO API token, then POST /sessions with the relay's body). */
async function openSession(options: ConformanceOptions, mx: Transports, parse: (text: string) => unknown) {
  const apiToken = apiTokenResponse.safeParse(parse((await apiTokenCall(options, mx)).text));
  if (!apiToken.success) return undefined;
  const body = sessionResponse.safeParse(parse((await sessionCall(mx, apiToken.data.api_token.token)).text));
  return body.success ? { ...NEXUS_HEADERS, 'MD-SESSION-TOKEN': body.data.session.token } : undefined;
}

/** The members a session sees, by guid: whether each is aggregating, and since when (`aggregated_at`, epoch ms). */
async function aggregatingByMember(data: MxTransport, asUser: Record<string, string>, parse: (text: string) => unknown) {
  const listed = listShape('members').safeParse(parse((await call(data, 'GET', MEMBERS_ROUTE, asUser)).text));
  const members = (listed.success ? listed.data.members! : []) as Record<string, unknown>[];
  return new Map(
    members.map((member) => [
      String(member.guid),
      { aggregating: member.is_being_aggregated === true, since: Date.parse(String(member.aggregated_at)) },
    ]),
  );
}

/** How far MX's clock and ours may differ when an aggregation's start is compared with the check's. */
const CLOCK_SKEW_MS = 5_000;

async function checkSessionBody(
  options: ConformanceOptions,
  mx: Transports,
  asUser: Record<string, string>,
  parse: (text: string) => unknown,
  startedAt: number,
): Promise<FactCheck> {
  const result = (verdict: Verdict, observed: string): FactCheck => ({
    id: 'session_skip_aggregation',
    fact: SKIP_FACT,
    source: 'documented',
    verdict,
    observed,
  });
  const before = await aggregatingByMember(mx.data, asUser, parse);
  if (before.size === 0) return result('not_checked', 'the user has no member');
  const second = await openSession(options, mx, parse);
  if (!second) return result('not_checked', 'no second session');
  // MX starts what a session starts as it opens; a moment later the members show it.
  await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs ?? 3_000));
  const after = await aggregatingByMember(mx.data, second, parse);
  // Started by a session: aggregating now and not before the second one, or since the check's first (which opened
  // one the same way, so MX ignoring the flag shows in the first read already).
  const started = [...after].filter(
    ([guid, now]) => now.aggregating && (before.get(guid)?.aggregating === false || now.since >= startedAt - CLOCK_SKEW_MS),
  ).length;
  return result(
    started === 0 ? 'holds' : 'differs',
    `${before.size} member(s); ${started} started aggregating when a session opened with skip_aggregation`,
  );
}

async function checkUsers(
  options: ConformanceOptions,
  realtime: MxTransport,
  parse: (text: string) => unknown,
): Promise<FactCheck[]> {
  const partner = { Accept: MDX_MEDIA_TYPE, 'MD-API-KEY': options.credentials.apiKey };
  const created = await call(
    realtime,
    'POST',
    MDX_USERS_ROUTE,
    { ...partner, 'Content-Type': MDX_MEDIA_TYPE },
    { params: { client_id: options.credentials.clientId }, body: { user: { id: options.createUser } } },
  );
  const user = z.looseObject({ user: z.looseObject({ guid: z.string() }) }).safeParse(parse(created.text));
  const made = created.status === 200 && user.success;
  // Only a user this check made is deleted: a taken id (409) is someone's user, with its members and data.
  const removed = made
    ? await call(realtime, 'DELETE', MDX_USER_ROUTE, partner, {
        params: { client_id: options.credentials.clientId, user_id: options.createUser! },
      })
    : undefined;
  return [
    {
      id: 'mdx_create_user',
      fact: CREATE_USER_FACT,
      source: 'documented',
      verdict: made || created.status === 409 ? 'holds' : 'differs',
      observed: `HTTP ${created.status}, ${created.type}${user.success ? ', user.guid present' : ''}`,
    },
    {
      id: 'mdx_delete_user',
      fact: 'MDX Real Time deletes a user: DELETE /{client_id}/users/{user_id}.json answers 204 (or 200)',
      source: 'unconfirmed',
      verdict: !removed ? 'not_checked' : removed.status === 204 || removed.status === 200 ? 'holds' : 'differs',
      observed: removed ? `HTTP ${removed.status}` : 'no user made by this check to delete (pass a new user id)',
    },
  ];
}

/** A status that means the aggregation is still under way whatever `is_being_aggregated` says (the client's kinds). */
const inProgressStatus = (status: string): boolean => STATUS_KINDS[status as ConnectionStatus] === 'processing';

/** The forms of a member's `*_at` timestamps (never their values), and the fields the client could not read. */
function timestampsOf(member: Record<string, unknown> | undefined): { forms: string[]; unreadable: string[] } {
  const forms = new Set<string>();
  const unreadable: string[] = [];
  for (const [field, value] of Object.entries(member ?? {})) {
    if (!field.endsWith('_at') || value === null || value === undefined) continue;
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value)) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
      unreadable.push(field);
      continue;
    }
    const fraction = /\.(\d+)/.exec(value)?.[1]?.length;
    forms.add(`${fraction ? `${fraction}-digit fraction` : 'whole seconds'}, ${/Z$/.test(value) ? 'Z' : 'offset'}`);
  }
  return { forms: [...forms].sort(), unreadable };
}

function withUnchecked(checks: FactCheck[], options: ConformanceOptions): FactCheck[] {
  checks.push({
    id: 'rest',
    fact: 'The data-host checks',
    source: 'documented',
    verdict: 'not_checked',
    observed: `no session for ${options.userId}: stopped`,
  });
  return checks;
}

/** What the client's one error reader makes of an answer to GET `route`. */
const mxErrorOf = (answer: Answer, route: string) =>
  mxErrorFromResponse(
    { status: answer.status, headers: answer.headers, body: answer.text },
    { method: 'GET', route },
    Date.now(),
  );

function errorShape(body: unknown): string {
  if (body === undefined) return 'body not JSON';
  if (body && typeof body === 'object' && 'error' in body && typeof (body as { error: unknown }).error === 'object') {
    return 'nested {"error":{…}}';
  }
  if (body && typeof body === 'object' && 'code' in body) return 'flat {"code",…}';
  return 'JSON without a code';
}

const fieldsOf = (error: z.core.$ZodError): string =>
  [...new Set(error.issues.map((issue) => issue.path.join('.') || '(root)'))].slice(0, 3).join(', ');

/** A run contradicts the client when any fact it checked differs. */
export const contradicts = (checks: readonly FactCheck[]): boolean => checks.some((check) => check.verdict === 'differs');
