import * as z from '../zod.ts';
import { jobView } from '../aggregation/job-view.ts';
import { responseSchemas } from '../http/openapi/response-schemas.ts';
import { MX_CALL_PROBLEMS } from '../http/openapi/route-problems.ts';
import type { Route } from '../http/route.ts';
import { parseInput } from '../http/validation.ts';
import { params } from '../identifiers.ts';
import type { Members, MemberWritten } from './members.ts';
import { USE_CASES } from './use-cases.ts';
import type { UserErasure } from './user-erasure.ts';

/** What api-refresh gives these routes: members are written where aggregations start, users erased where sessions live. */
export interface MemberRouteDeps {
  members: Pick<Members, 'create' | 'update' | 'delete'>;
  erasure: Pick<UserErasure, 'erase'>;
}

const userPath = z.object({ user_id: params.userId });
const memberPath = z.object({ user_id: params.userId, member_guid: params.memberGuid });

const useCases = z.array(z.enum(USE_CASES)).check(
  z.refine((list: string[]) => new Set(list).size === list.length, 'must not name a use case twice'),
  z.describe('PFM, MONEY_MOVEMENT or both (required once the deployment has opted in: MX_USE_CASES_ENABLED)'),
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
      'The user’s values for the institution’s credentials (GET …/institutions/{institution_code}/credentials): passed to MX, never logged, stored or answered',
    ),
  );
const metadata = z.string().check(z.maxLength(1000), z.describe('Your own data about the member, kept by MX'));

const newMemberBody = z.strictObject({
  institution_code: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be an institution code')),
  credentials: credentials,
  use_cases: z.optional(useCases),
  skip_aggregation: z.optional(z.boolean()).check(z.describe('MX makes the member without aggregating it (no job)')),
  metadata: z.optional(metadata),
  id: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1–128 letters, digits and _ . : -'))),
});

const memberChangeBody = z.strictObject({
  credentials: z.optional(credentials),
  use_cases: z.optional(useCases),
  skip_aggregation: z.optional(z.boolean()),
  metadata: z.optional(metadata),
});

/** What the API document shows a member write answering: built with the document, as the response schemas are. */
const memberAnswer = z.strictObject({
  member: z
    .looseObject({ guid: z.string(), connection_status: z.optional(z.nullable(z.string())) })
    .check(z.describe('The member as MX answered (MX’s fields, passed through)')),
  job: z.nullable(responseSchemas.job).check(z.describe('The job following the aggregation MX started; null when none')),
});

const answerOf = (status: number, { member, job }: MemberWritten) => ({
  status,
  body: { member, job: job ? jobView(job) : null },
  ...(job ? { headers: { location: `/jobs/${job.id}` } } : {}),
});

const members = '/users/{user_id}/members';

/**
 * Members made, changed and removed at MX (lib/connect/members.ts), and users erased (user-erasure.ts): served by
 * api-refresh, which starts jobs and holds sessions — api-connect stays without access to either.
 */
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
      const body = parseInput(newMemberBody, request.body, 'body');
      return answerOf(201, await deps.members.create(user_id, body));
    },
    docs: () => ({
      path: userPath,
      body: newMemberBody,
      description:
        'MX makes the user first when it does not know it. The job (trigger `member_created`) ends as a refresh’s does, with the same events. ' +
        'Credential values are never logged or stored; an Idempotency-Key replay keeps a digest of the request, not its body.',
      responses: { 201: { description: 'The member, and the job tracking its first aggregation', body: memberAnswer } },
      problems: ['forbidden', 'use_cases_invalid', ...MX_CALL_PROBLEMS],
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
        'Opted in to use cases, every update carries `use_cases` (at least one).',
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
    summary: 'Erase a user: deleted at MX, and everything the relay holds of the user; then user.deleted',
    auth: 'api_key',
    access: 'path_user',
    erasedUsers: 'admitted',
    async handle(request, { erasure }) {
      const { user_id } = parseInput(userPath, request.pathParams, 'path');
      await erasure.erase(user_id);
      return { status: 204 };
    },
    docs: () => ({
      path: userPath,
      description:
        'MX deletes the user with its members and their data. The relay deletes its session, jobs, active-job pointers, ' +
        'transactions-sync state and change log, the Idempotency-Key records (and the answers they replay) of the ' +
        'user’s requests and refresh requests, the deliveries of the user’s events and the API keys bound to the user ' +
        '(a bound key erasing its user ends with it), then sends `user.deleted`, whose own delivery names the user. ' +
        'From its start every other route naming the user answers 410 `user_erased` (within a minute in every ' +
        'container), and no later call makes the user at MX again, for a year (docs/security.md#retention). A ' +
        'request for the user already under way may still write after it. Safe to repeat, and the one route an ' +
        'erased user is still served by: a user MX no longer has is erased all the same.',
      responses: { 204: { description: 'Erased' } },
      problems: ['forbidden', ...MX_CALL_PROBLEMS],
    }),
  },
];
