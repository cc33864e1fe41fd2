import * as z from '../zod.ts';
import { jobViewSchema } from '../aggregation/job-view.ts';
import { jobView } from '../aggregation/job-view.ts';
import { MX_CALL_PROBLEMS } from '../http/openapi/route-problems.ts';
import type { Route } from '../http/route.ts';
import { assertServerKey } from '../http/auth.ts';
import { HttpProblem } from '../http/problem.ts';
import { parseInput } from '../http/validation.ts';
import { params } from '../identifiers.ts';
import type { Members, MemberWritten } from './members.ts';
import { USE_CASES } from './use-cases.ts';
import type { UserErasure } from './user-erasure.ts';

/** What api-refresh gives these routes. */
export interface MemberRouteDeps {
  members: Pick<Members, 'create' | 'update' | 'delete' | 'oauthWindow'>;
  erasure: Pick<UserErasure, 'begin'>;
  /** A key bound to the user may erase it too (off: server keys only). */
  userKeysMayErase: boolean;
}

const userPath = z.object({ user_id: params.userId });
const memberPath = z.object({ user_id: params.userId, member_guid: params.memberGuid });

const useCases = z.array(z.enum(USE_CASES)).check(
  z.refine((list: string[]) => new Set(list).size === list.length, 'must not name a use case twice'),
  z.describe(
    "PFM, MONEY_MOVEMENT or both; opted in (MX_USE_CASES_ENABLED), a create naming none gets PFM, an update the member's own",
  ),
);
const credentials = z
  .array(
    z.strictObject({
      guid: z
        .string()
        .check(z.regex(/^CRD-[A-Za-z0-9-]{1,80}$/, 'must be the CRD-… guid of one of the institution’s credentials')),
      value: z.string().check(z.minLength(1), z.maxLength(1000)),
    }),
  )
  .check(
    z.minLength(1),
    z.maxLength(20),
    z.describe(
      'The user’s values for the institution’s credentials (GET …/institutions/{institution_guid}/credentials): passed to MX, never logged, stored or answered',
    ),
  );
const metadata = z.string().check(z.maxLength(1000), z.describe('Your own data about the member, kept by MX'));

const newMemberBody = z.strictObject({
  institution_guid: z
    .string()
    .check(
      z.regex(/^INS-[A-Za-z0-9_-]{1,100}$/, 'must be MX’s INS-… guid of the institution'),
      z.describe('MX’s guid of the institution (`guid` in GET …/institutions)'),
    ),
  credentials: z.optional(credentials),
  is_oauth: z
    .optional(z.boolean())
    .check(
      z.describe(
        'An OAuth member: no credentials; the user authorises at the bank through the window POST …/members/{member_guid}/oauth_window hands out',
      ),
    ),
  use_cases: z.optional(useCases),
  skip_aggregation: z.optional(z.boolean()).check(z.describe('MX makes the member without aggregating it (no job)')),
  metadata: z.optional(metadata),
  external_guid: z.optional(
    z
      .string()
      .check(
        z.regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1–128 letters, digits and _ . : -'),
        z.describe('Your own id for the member, unique among all your members (MX answers 422 otherwise)'),
      ),
  ),
});

/** Credentials, or OAuth: one of the two. */
const newMemberOf = (body: z.output<typeof newMemberBody>) => {
  if (body.is_oauth === true && body.credentials !== undefined) {
    throw new HttpProblem('validation_failed', 'body.credentials: an OAuth member (is_oauth) takes none', {
      field: 'credentials',
    });
  }
  if (body.is_oauth !== true && body.credentials === undefined) {
    throw new HttpProblem('validation_failed', 'body.credentials: required unless is_oauth is true', { field: 'credentials' });
  }
  return body;
};

const oauthWindowBody = z.strictObject({
  client_redirect_url: z.optional(
    z
      .url({ protocol: /^https?$/ })
      .check(
        z.maxLength(2000),
        z.describe('Where MX sends the user after, with `status` and `member_guid` added (MX: with referral_source APP)'),
      ),
  ),
  referral_source: z.optional(z.enum(['BROWSER', 'APP']).check(z.describe('BROWSER (MX’s default) or APP (a mobile app)'))),
  ui_message_webview_url_scheme: z.optional(
    z
      .string()
      .check(
        z.regex(/^[A-Za-z][A-Za-z0-9+.-]{0,63}$/, 'must be a URL scheme'),
        z.describe('Your app’s scheme, for MX’s webview messages'),
      ),
  ),
  skip_aggregation: z.optional(z.boolean().check(z.describe('Authorised, the member does not aggregate at once'))),
});

const memberChangeBody = z.strictObject({
  credentials: z.optional(credentials),
  use_cases: z.optional(useCases),
  skip_aggregation: z.optional(z.boolean()),
  metadata: z.optional(metadata),
});

/** What the API document shows a member write answering. */
const memberAnswer = z.strictObject({
  member: z
    .looseObject({ guid: z.string(), connection_status: z.optional(z.nullable(z.string())) })
    .check(z.describe('The member as MX answered (MX’s fields, passed through)')),
  job: z.nullable(jobViewSchema).check(z.describe('The job following the aggregation MX started; null when none')),
});

const oauthWindowAnswer = z.strictObject({
  oauth_window: z.strictObject({
    member_guid: z.string(),
    url: z.string().check(z.describe("MX's one-time OAuth window URI: open it once, in the user's browser")),
  }),
});

const answerOf = (status: number, { member, job }: MemberWritten) => ({
  status,
  body: { member, job: job ? jobView(job) : null },
  ...(job ? { headers: { location: `/jobs/${job.id}` } } : {}),
});

const members = '/users/{user_id}/members';

/** Members and user erasure, served by api-refresh, which starts jobs and holds sessions: api-connect gets access to neither. */
export const MEMBER_ROUTES: readonly Route<MemberRouteDeps>[] = [
  {
    method: 'POST',
    path: members,
    fn: 'api-refresh',
    summary: 'Create a member at MX with the user’s credentials; the aggregation MX starts is tracked as a job',
    auth: 'api_key',
    access: 'path_user',
    async handle(request, deps) {
      const { user_id } = parseInput(userPath, request.pathParams, 'path');
      const body = newMemberOf(parseInput(newMemberBody, request.body, 'body'));
      return answerOf(201, await deps.members.create(user_id, body));
    },
    docs: () => ({
      path: userPath,
      body: newMemberBody,
      description:
        'MX makes the user first when it does not know it. The job (trigger `member_created`) ends as a refresh’s does, with the same events. ' +
        'An OAuth member (`is_oauth`, no credentials) starts PENDING: get its window from POST …/oauth_window; its job follows the aggregation MX starts once the user has authorised (or times out). ' +
        'Credential values are never logged or stored; an Idempotency-Key replay keeps a digest of the request, not its body.',
      responses: { 201: { description: 'The member, and the job tracking its first aggregation', body: memberAnswer } },
      problems: ['forbidden', 'use_cases_invalid', ...MX_CALL_PROBLEMS],
    }),
  },
  {
    method: 'POST',
    path: `${members}/{member_guid}/oauth_window`,
    fn: 'api-refresh',
    summary: 'A one-time URL where the user authorises an OAuth member at the bank (new, or to re-authorise)',
    auth: 'api_key',
    access: 'path_user',
    // The answer is a credential: never stored for a replay.
    idempotent: false,
    async handle(request, deps) {
      const path = parseInput(memberPath, request.pathParams, 'path');
      const body = parseInput(oauthWindowBody, request.body ?? {}, 'body');
      const uri = await deps.members.oauthWindow(path.user_id, path.member_guid, body);
      return { status: 201, body: { oauth_window: { member_guid: path.member_guid, url: uri } } };
    },
    docs: () => ({
      path: memberPath,
      body: oauthWindowBody,
      description:
        "MX's generate OAuth window URI. Open it in the user's browser (not a webview), once: MX's URIs are one-time. " +
        'Once the user authorises, MX aggregates the member (unless `skip_aggregation`); MX answers 400 for a member that cannot use OAuth. ' +
        'The URL is a credential: never logged or stored, and this route takes no Idempotency-Key.',
      responses: { 201: { description: 'The window', body: oauthWindowAnswer } },
      problems: ['forbidden', ...MX_CALL_PROBLEMS],
    }),
  },
  {
    method: 'PUT',
    path: `${members}/{member_guid}`,
    fn: 'api-refresh',
    summary: 'Update a member at MX (new credentials, use cases, metadata); new credentials start a tracked aggregation',
    auth: 'api_key',
    access: 'path_user',
    async handle(request, deps) {
      const path = parseInput(memberPath, request.pathParams, 'path');
      const body = parseInput(memberChangeBody, request.body, 'body');
      return answerOf(200, await deps.members.update(path.user_id, path.member_guid, body));
    },
    docs: () => ({
      path: memberPath,
      body: memberChangeBody,
      description:
        'With `credentials`, MX aggregates the member again: the answer carries its job (trigger `member_updated`), or the job already running. ' +
        "Opted in to use cases, every update carries `use_cases` (at least one): naming none keeps the member's.",
      responses: { 200: { description: 'The member, and the job when MX aggregates', body: memberAnswer } },
      problems: ['forbidden', 'use_cases_invalid', ...MX_CALL_PROBLEMS],
    }),
  },
  {
    method: 'DELETE',
    path: `${members}/{member_guid}`,
    fn: 'api-refresh',
    summary: 'Delete a member at MX; its running job ends `failed`, and `member.deleted` is sent',
    auth: 'api_key',
    access: 'path_user',
    async handle(request, deps) {
      const path = parseInput(memberPath, request.pathParams, 'path');
      await deps.members.delete(path.user_id, path.member_guid);
      return { status: 204 };
    },
    docs: () => ({
      path: memberPath,
      description:
        'MX deletes the member with its accounts and transactions. A job still aggregating is polled at once: it finds the member gone and ends `failed` with its terminal event.',
      responses: { 204: { description: 'Deleted' } },
      problems: ['forbidden', ...MX_CALL_PROBLEMS],
    }),
  },
  {
    method: 'DELETE',
    path: '/users/{user_id}',
    fn: 'api-refresh',
    summary: 'Erase a user: refused at once, then deleted at MX and here in the background; then user.deleted',
    auth: 'api_key',
    access: 'path_user',
    erasedUsers: 'admitted',
    async handle(request, { erasure, userKeysMayErase }) {
      const { user_id } = parseInput(userPath, request.pathParams, 'path');
      // Irreversible at MX: a user's own key (a device's) may not, unless the operator allows it.
      if (!userKeysMayErase) assertServerKey(request.principal);
      await erasure.begin(user_id);
      return { status: 202 };
    },
    docs: () => ({
      path: userPath,
      description:
        'Answers 202 once the erasure is recorded: from then on every other route naming the user answers 410 ' +
        '`user_erased` (within a minute in every container), and no later call makes the user at MX again, for a ' +
        'year (docs/security.md#retention). In the background, in bounded steps that survive a crash, MX deletes the ' +
        'user with its members and their data, and the relay its session, jobs, active-job pointers, transactions-sync ' +
        'state and change log, the Idempotency-Key records (and the answers they replay) of the user’s requests and ' +
        'refresh requests, the deliveries of the user’s events and the API keys bound to the user (a bound key ' +
        'erasing its user, where `USER_KEYS_MAY_ERASE` allows it, ends with it; by default only server keys may ' +
        'erase); then `user.deleted` is sent, whose own delivery names the user. A request for the user already under ' +
        'way may still write after it. Safe to repeat, and the one route an erased user is still served by: a ' +
        'repeat sends an erasure under way on, or runs a finished one again (a user MX no longer has is erased all ' +
        'the same).',
      responses: { 202: { description: 'Erasure recorded; `user.deleted` follows when it ends' } },
      problems: ['forbidden'],
    }),
  },
];
