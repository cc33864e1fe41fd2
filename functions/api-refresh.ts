import * as z from 'zod';
import { jobView } from '../lib/aggregation/job.ts';
import { assertUserAccess } from '../lib/http/auth.ts';
import type { Operation, Operations } from '../lib/http/http-handler.ts';
import { idempotentWrites } from '../lib/http/idempotency.ts';
import type { OperationDocs, OperationsDocs } from '../lib/http/openapi/operation-docs.ts';
import { jobAnswer } from '../lib/http/openapi/response-schemas.ts';
import { MX_CALL_PROBLEMS } from '../lib/http/openapi/route-problems.ts';
import { booleanFlag, params, parseInput } from '../lib/http/validation.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';
import { refreshService } from '../lib/services/refresh.ts';
import { resumeService } from '../lib/services/resume.ts';
import { apiKeyAuthenticator, idempotency } from '../lib/services/store.ts';

const services = getServices();

const pathSchema = z.object({ user_id: params.userId, member_guid: params.memberGuid });
const querySchema = z.strictObject({ include_holdings: booleanFlag, include_transactions: booleanFlag });

const refresh: Operation = {
  auth: 'api_key',
  query: 'parsed',
  async handle(request) {
    const path = parseInput(pathSchema, request.pathParams, 'path');
    assertUserAccess(request.principal, path.user_id);
    const query = parseInput(querySchema, request.query, 'query');
    const { job } = await refreshService(services).refresh({
      userId: path.user_id,
      memberGuid: path.member_guid,
      includeHoldings: query.include_holdings,
      includeTransactions: query.include_transactions,
    });
    return { status: 202, body: { job: jobView(job) }, headers: { location: `/jobs/${job.id}` } };
  },
};

const resumeBody = z.strictObject({
  challenges: z
    .array(
      z.strictObject({
        guid: z.string().regex(/^[A-Za-z0-9-]{1,80}$/, 'must be a challenge guid'),
        value: z.string().min(1).max(1000),
      }),
    )
    .min(1)
    .max(20),
});

/** MFA: the user's answers go to MX and the member's challenged job goes back into the poll loop. */
const resume: Operation = {
  auth: 'api_key',
  async handle(request) {
    const path = parseInput(pathSchema, request.pathParams, 'path');
    assertUserAccess(request.principal, path.user_id);
    const body = parseInput(resumeBody, request.body, 'body');
    const job = await resumeService(services).resume({
      userId: path.user_id,
      memberGuid: path.member_guid,
      answers: body.challenges,
    });
    return { status: 202, body: { job: jobView(job) }, headers: { location: `/jobs/${job.id}` } };
  },
};

export const operations: Operations = idempotentWrites(
  {
    'POST /users/{user_id}/members/{member_guid}/refresh': refresh,
    'POST /users/{user_id}/members/{member_guid}/aggregate': refresh,
    'PUT /users/{user_id}/members/{member_guid}/resume': resume,
  },
  idempotency(services),
);

const tracking = { location: 'The job: `/jobs/{job_id}`' };

const refreshDocs: OperationDocs = {
  path: pathSchema,
  query: querySchema,
  description: 'While an aggregation of the member runs, answers that job without calling MX.',
  responses: { 202: { description: 'The job tracking the aggregation', body: jobAnswer, headers: tracking } },
  problems: ['forbidden', ...MX_CALL_PROBLEMS],
};

export const docs: OperationsDocs = {
  'POST /users/{user_id}/members/{member_guid}/refresh': refreshDocs,
  'POST /users/{user_id}/members/{member_guid}/aggregate': refreshDocs,
  'PUT /users/{user_id}/members/{member_guid}/resume': {
    path: pathSchema,
    body: resumeBody,
    description: "Answers the challenges of the member's latest job (action_required on CHALLENGED).",
    responses: { 202: { description: 'The same job, aggregating again', body: jobAnswer, headers: tracking } },
    problems: ['forbidden', ...MX_CALL_PROBLEMS],
  },
};

export const handler = httpHandler(services, operations, () => apiKeyAuthenticator(services));
