import * as z from '../zod.ts';
import { jobAnswerSchema, jobViewSchema } from './job-view.ts';
import type { Clock } from '../clock.ts';
import { params } from '../identifiers.ts';
import { HttpProblem } from '../http/problem.ts';
import type { Route } from '../http/route.ts';
import { parseInput } from '../http/validation.ts';
import type { JobsRepository } from './jobs-repo.ts';
import type { JobsAcrossUsers } from './jobs-across-users.ts';
import { JOB_OUTCOMES, type JobOutcomesRepository } from './job-outcomes-repo.ts';
import { JOB_ID_PATTERN } from './job.ts';
import { jobView } from './job-view.ts';
import { decodeJobsCursor, encodeJobsCursor, jobsListQuery } from './job-list.ts';

/** What api-jobs gives these routes. */
export interface JobRouteDeps {
  jobs: Pick<JobsRepository, 'get' | 'latestForMember' | 'pageForUser'>;
  acrossUsers: Pick<JobsAcrossUsers, 'running' | 'needingAttention'>;
  clock: Clock;
  outcomes: Pick<JobOutcomesRepository, 'lastHours'>;
}

const jobPath = z.object({ job_id: z.string().check(z.regex(JOB_ID_PATTERN, 'must be a job id (job_…)')) });
const memberPath = z.object({ user_id: params.userId, member_guid: params.memberGuid });
const userPath = z.object({ user_id: params.userId });
const acrossUsersQuery = z.object({
  state: z
    .enum(['running', 'attention'])
    .check(
      z.describe(
        '`running`: jobs aggregating now; `attention`: jobs that ended failed, timed_out or action_required (and still are), over the last 30 days',
      ),
    ),
  limit: params.acrossUsersLimit,
});

const outcomesQuery = z.object({
  hours: z
    ._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(168)), 24)
    .check(z.describe('This many hours up to now (1–168, default 24)')),
});

const outcomesAnswer = z.strictObject({
  hours: z.array(
    z.strictObject({
      hour: z.string().check(z.describe('The hour’s start (ISO 8601, UTC)')),
      ...Object.fromEntries(JOB_OUTCOMES.map((outcome) => [outcome, z.number()])),
    }),
  ),
});

/** The api-jobs function: a job, a member's latest job, a user's jobs, the jobs across users that need watching. */
export const JOB_ROUTES: readonly Route<JobRouteDeps>[] = [
  {
    method: 'GET',
    path: '/jobs',
    fn: 'api-jobs',
    summary: 'Jobs across users: running now, or ended needing someone (server keys)',
    auth: 'api_key',
    access: 'server_key',
    query: 'parsed',
    async handle(request, { acrossUsers, clock }) {
      const { state, limit } = parseInput(acrossUsersQuery, request.query, 'query');
      const found =
        state === 'running' ? await acrossUsers.running(limit) : await acrossUsers.needingAttention({ limit, now: clock.now() });
      return { status: 200, body: { jobs: found.map(jobView) } };
    },
    docs: () => ({
      query: acrossUsersQuery,
      description:
        'What an operator watches across users: the jobs aggregating now (newest first), or those that ended `failed`, `timed_out` or ' +
        '`action_required` and have not moved on since (newest day first). One page; a user-bound key is refused.',
      responses: {
        200: {
          description: 'The jobs',
          body: z.strictObject({ jobs: z.array(jobViewSchema) }),
        },
      },
      problems: ['forbidden'],
    }),
  },
  {
    method: 'GET',
    path: '/job_outcomes',
    fn: 'api-jobs',
    summary: 'Jobs ended per hour across users, by outcome (server keys)',
    auth: 'api_key',
    access: 'server_key',
    query: 'parsed',
    async handle(request, { outcomes, clock }) {
      const { hours } = parseInput(outcomesQuery, request.query, 'query');
      const counted = await outcomes.lastHours(hours, clock.now());
      return {
        status: 200,
        body: { hours: counted.map(({ hour, counts }) => ({ hour: `${hour}:00:00Z`, ...counts })) },
      };
    },
    docs: () => ({
      query: outcomesQuery,
      description:
        'How many aggregation jobs ended `succeeded`, `action_required`, `failed` or `timed_out` in each of the last hours, oldest first ' +
        '(zeros where none ended). Counted as worker-poll ends jobs, a few seconds behind; kept 8 days. A user-bound key is refused.',
      responses: { 200: { description: 'The hours', body: outcomesAnswer } },
      problems: ['forbidden'],
    }),
  },
  {
    method: 'GET',
    path: '/jobs/{job_id}',
    fn: 'api-jobs',
    summary: 'Read a job (an aggregation, verification, identification, extended history or balance check)',
    auth: 'api_key',
    access: 'by_resource',
    async handle(request, { jobs }) {
      const { job_id } = parseInput(jobPath, request.pathParams, 'path');
      const job = await jobs.get(job_id);
      // A user-bound key sees another user's job as absent: ids must not confirm what exists.
      if (!job || (request.principal.userId !== undefined && request.principal.userId !== job.userId)) {
        throw new HttpProblem('not_found', `No job ${job_id}.`);
      }
      return { status: 200, body: { job: jobView(job) } };
    },
    docs: () => ({
      path: jobPath,
      responses: { 200: { description: 'The job', body: jobAnswerSchema } },
      problems: ['not_found'],
    }),
  },
  {
    method: 'GET',
    path: '/users/{user_id}/members/{member_guid}/aggregation',
    fn: 'api-jobs',
    summary: "The member's latest job of the last 30 days, of any kind",
    auth: 'api_key',
    access: 'path_user',
    async handle(request, { jobs, clock }) {
      const path = parseInput(memberPath, request.pathParams, 'path');
      const job = await jobs.latestForMember(path.member_guid, clock.now());
      if (!job || job.userId !== path.user_id) throw new HttpProblem('not_found', 'This member has no job of the last 30 days.');
      return { status: 200, body: { job: jobView(job) } };
    },
    docs: () => ({
      path: memberPath,
      responses: { 200: { description: "The member's latest job", body: jobAnswerSchema } },
      problems: ['forbidden', 'not_found'],
    }),
  },
  {
    method: 'GET',
    path: '/users/{user_id}/jobs',
    fn: 'api-jobs',
    summary: "The user's jobs, newest first (cursor, limit)",
    auth: 'api_key',
    access: 'path_user',
    query: 'parsed',
    async handle(request, { jobs, clock }) {
      const { user_id } = parseInput(userPath, request.pathParams, 'path');
      const query = parseInput(jobsListQuery, request.query, 'query');
      const page = await jobs.pageForUser(user_id, {
        limit: query.limit,
        after: query.cursor === undefined ? undefined : decodeJobsCursor(query.cursor, user_id),
        now: clock.now(),
      });
      return {
        status: 200,
        body: { jobs: page.jobs.map(jobView), ...(page.next ? { next_cursor: encodeJobsCursor(page.next) } : {}) },
      };
    },
    docs: () => ({
      path: userPath,
      query: jobsListQuery,
      responses: {
        200: {
          description: "The user's jobs, newest first",
          body: z.strictObject({
            jobs: z.array(jobViewSchema),
            next_cursor: z.optional(z.string()).check(z.describe('Pass as `cursor` to continue; absent on the last page')),
          }),
        },
      },
      problems: ['forbidden', 'invalid_cursor'],
    }),
  },
];
