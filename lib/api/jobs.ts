import * as z from '../zod.ts';
import { JOB_ID_PATTERN, jobView } from '../aggregation/job.ts';
import { decodeJobsCursor, encodeJobsCursor, jobsListQuery } from '../aggregation/job-list.ts';
import type { Operations } from '../http/http-handler.ts';
import type { OperationsDocs } from '../http/openapi/operation-docs.ts';
import { responseSchemas } from '../http/openapi/response-schemas.ts';
import { HttpProblem } from '../http/problem.ts';
import { parseInput } from '../http/validation.ts';
import { params } from '../identifiers.ts';
import type { Services } from '../services/container.ts';
import { jobsRepository } from '../services/store.ts';

const jobPath = z.object({ job_id: z.string().check(z.regex(JOB_ID_PATTERN, 'must be a job id (job_…)')) });
const memberPath = z.object({ user_id: params.userId, member_guid: params.memberGuid });
const userPath = z.object({ user_id: params.userId });

/** The api-jobs function: a job, a member's latest job, a user's jobs. */
export function operations(services: Services): Operations {
  const jobs = jobsRepository(services);
  return {
    'GET /jobs/{job_id}': {
      auth: 'api_key',
      access: 'by_resource',
      async handle(request) {
        const { job_id } = parseInput(jobPath, request.pathParams, 'path');
        const job = await jobs.get(job_id);
        // A user-bound key sees another user's job as absent: ids must not confirm what exists.
        if (!job || (request.principal.userId !== undefined && request.principal.userId !== job.userId)) {
          throw new HttpProblem('not_found', `No job ${job_id}.`);
        }
        return { status: 200, body: { job: jobView(job) } };
      },
    },
    'GET /users/{user_id}/members/{member_guid}/aggregation': {
      auth: 'api_key',
      access: 'path_user',
      async handle(request) {
        const path = parseInput(memberPath, request.pathParams, 'path');
        const job = await jobs.latestForMember(path.member_guid);
        if (!job || job.userId !== path.user_id) throw new HttpProblem('not_found', 'This member has no aggregation job yet.');
        return { status: 200, body: { job: jobView(job) } };
      },
    },
    'GET /users/{user_id}/jobs': {
      auth: 'api_key',
      access: 'path_user',
      query: 'parsed',
      async handle(request) {
        const { user_id } = parseInput(userPath, request.pathParams, 'path');
        const query = parseInput(jobsListQuery, request.query, 'query');
        const page = await jobs.pageForUser(user_id, {
          limit: query.limit,
          after: query.cursor === undefined ? undefined : decodeJobsCursor(query.cursor, user_id),
          now: services.clock.now(),
        });
        return {
          status: 200,
          body: { jobs: page.jobs.map(jobView), ...(page.next ? { next_cursor: encodeJobsCursor(page.next) } : {}) },
        };
      },
    },
  };
}

export function docs(): OperationsDocs {
  const { job, jobAnswer } = responseSchemas();
  return {
    'GET /jobs/{job_id}': {
      path: jobPath,
      responses: { 200: { description: 'The job', body: jobAnswer } },
      problems: ['not_found'],
    },
    'GET /users/{user_id}/members/{member_guid}/aggregation': {
      path: memberPath,
      responses: { 200: { description: "The member's latest job", body: jobAnswer } },
      problems: ['forbidden', 'not_found'],
    },
    'GET /users/{user_id}/jobs': {
      path: userPath,
      query: jobsListQuery,
      responses: {
        200: {
          description: "The user's jobs, newest first",
          body: z.strictObject({
            jobs: z.array(job),
            next_cursor: z.optional(z.string()).check(z.describe('Pass as `cursor` to continue; absent on the last page')),
          }),
        },
      },
      problems: ['forbidden', 'invalid_cursor'],
    },
  };
}
