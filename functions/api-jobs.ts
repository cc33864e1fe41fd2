import * as z from 'zod';
import { JOB_ID_PATTERN, jobView } from '../lib/aggregation/job.ts';
import { assertUserAccess } from '../lib/http/auth.ts';
import type { Operations } from '../lib/http/http-handler.ts';
import type { OperationsDocs } from '../lib/http/openapi/operation-docs.ts';
import { jobAnswer } from '../lib/http/openapi/response-schemas.ts';
import { HttpProblem } from '../lib/http/problem.ts';
import { params, parseInput } from '../lib/http/validation.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';
import { apiKeyAuthenticator, jobsRepository } from '../lib/services/store.ts';

const services = getServices();
const jobs = jobsRepository(services);

const jobPath = z.object({ job_id: z.string().regex(JOB_ID_PATTERN, 'must be a job id (job_…)') });
const memberPath = z.object({ user_id: params.userId, member_guid: params.memberGuid });

export const operations: Operations = {
  'GET /jobs/{job_id}': {
    auth: 'api_key',
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
    async handle(request) {
      const path = parseInput(memberPath, request.pathParams, 'path');
      assertUserAccess(request.principal, path.user_id);
      const job = await jobs.latestForMember(path.member_guid);
      if (!job || job.userId !== path.user_id) throw new HttpProblem('not_found', 'This member has no aggregation job yet.');
      return { status: 200, body: { job: jobView(job) } };
    },
  },
};

export const docs: OperationsDocs = {
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
};

export const handler = httpHandler(services, operations, () => apiKeyAuthenticator(services));
