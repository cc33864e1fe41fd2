import * as z from '../zod.ts';
import { jobView } from '../aggregation/job.ts';
import type { Operation, Operations } from '../http/http-handler.ts';
import { idempotentWrites } from '../http/idempotency.ts';
import type { OperationDocs, OperationsDocs } from '../http/openapi/operation-docs.ts';
import { responseSchemas } from '../http/openapi/response-schemas.ts';
import { MX_CALL_PROBLEMS } from '../http/openapi/route-problems.ts';
import { booleanFlag, parseInput } from '../http/validation.ts';
import { params } from '../identifiers.ts';
import type { Services } from '../services/container.ts';
import { refreshService } from '../services/refresh.ts';
import { resumeService } from '../services/resume.ts';
import { idempotency } from '../services/store.ts';

const pathSchema = z.object({ user_id: params.userId, member_guid: params.memberGuid });
const querySchema = z.strictObject({ include_holdings: booleanFlag, include_transactions: booleanFlag });

const refresh = (services: Services): Operation => ({
  auth: 'api_key',
  access: 'path_user',
  query: 'parsed',
  async handle(request) {
    const path = parseInput(pathSchema, request.pathParams, 'path');
    const query = parseInput(querySchema, request.query, 'query');
    const { job } = await refreshService(services).refresh({
      userId: path.user_id,
      memberGuid: path.member_guid,
      includeHoldings: query.include_holdings,
      includeTransactions: query.include_transactions,
    });
    return { status: 202, body: { job: jobView(job) }, headers: { location: `/jobs/${job.id}` } };
  },
});

const resumeBody = z.strictObject({
  challenges: z
    .array(
      z.strictObject({
        guid: z.string().check(z.regex(/^[A-Za-z0-9-]{1,80}$/, 'must be a challenge guid')),
        value: z.string().check(z.minLength(1), z.maxLength(1000)),
      }),
    )
    .check(z.minLength(1), z.maxLength(20)),
});

/** MFA: the user's answers go to MX and the member's challenged job goes back into the poll loop. */
const resume = (services: Services): Operation => ({
  auth: 'api_key',
  access: 'path_user',
  async handle(request) {
    const path = parseInput(pathSchema, request.pathParams, 'path');
    const body = parseInput(resumeBody, request.body, 'body');
    const job = await resumeService(services).resume({
      userId: path.user_id,
      memberGuid: path.member_guid,
      answers: body.challenges,
    });
    return { status: 202, body: { job: jobView(job) }, headers: { location: `/jobs/${job.id}` } };
  },
});

/** The api-refresh function: start (or join) a member's aggregation, and answer its MFA challenges. */
export function operations(services: Services): Operations {
  return idempotentWrites(
    {
      'POST /users/{user_id}/members/{member_guid}/refresh': refresh(services),
      'POST /users/{user_id}/members/{member_guid}/aggregate': refresh(services),
      'PUT /users/{user_id}/members/{member_guid}/resume': resume(services),
    },
    idempotency(services),
  );
}

const tracking = { location: 'The job: `/jobs/{job_id}`' };

export function docs(): OperationsDocs {
  const { jobAnswer } = responseSchemas();
  const refresh: OperationDocs = {
    path: pathSchema,
    query: querySchema,
    description: 'While an aggregation of the member runs, answers that job without calling MX.',
    responses: { 202: { description: 'The job tracking the aggregation', body: jobAnswer, headers: tracking } },
    problems: ['forbidden', ...MX_CALL_PROBLEMS],
  };
  return {
    'POST /users/{user_id}/members/{member_guid}/refresh': refresh,
    'POST /users/{user_id}/members/{member_guid}/aggregate': refresh,
    'PUT /users/{user_id}/members/{member_guid}/resume': {
      path: pathSchema,
      body: resumeBody,
      description: "Answers the challenges of the member's latest job (action_required on CHALLENGED).",
      responses: { 202: { description: 'The same job, aggregating again', body: jobAnswer, headers: tracking } },
      problems: ['forbidden', ...MX_CALL_PROBLEMS],
    },
  };
}
