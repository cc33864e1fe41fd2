import * as z from '../zod.ts';
import { params } from '../identifiers.ts';
import type { OperationDocs } from '../http/openapi/operation-docs.ts';
import { responseSchemas } from '../http/openapi/response-schemas.ts';
import { MX_CALL_PROBLEMS } from '../http/openapi/route-problems.ts';
import type { AuthenticatedRequest, HttpResponse } from '../http/http-handler.ts';
import type { Route } from '../http/route.ts';
import { booleanFlag, parseInput } from '../http/validation.ts';
import { jobView } from './job-view.ts';
import type { RefreshService } from './refresh-service.ts';
import type { ResumeService } from './resume-service.ts';

/** What api-refresh gives these routes. */
export interface RefreshRouteDeps {
  refresh: Pick<RefreshService, 'refresh'>;
  resume: Pick<ResumeService, 'resume'>;
}

const member = '/users/{user_id}/members/{member_guid}';
const pathSchema = z.object({ user_id: params.userId, member_guid: params.memberGuid });
const querySchema = z.strictObject({ include_holdings: booleanFlag, include_transactions: booleanFlag });

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

const tracking = { location: 'The job: `/jobs/{job_id}`' };

/** Starts (or joins) the member's aggregation: RefreshService calls MX's aggregate. */
async function refresh(request: AuthenticatedRequest, deps: RefreshRouteDeps): Promise<HttpResponse> {
  const path = parseInput(pathSchema, request.pathParams, 'path');
  const query = parseInput(querySchema, request.query, 'query');
  const { job } = await deps.refresh.refresh({
    userId: path.user_id,
    memberGuid: path.member_guid,
    includeHoldings: query.include_holdings,
    includeTransactions: query.include_transactions,
  });
  return { status: 202, body: { job: jobView(job) }, headers: { location: `/jobs/${job.id}` } };
}

const refreshDocs = (): OperationDocs => ({
  path: pathSchema,
  query: querySchema,
  description: 'While an aggregation of the member runs, answers that job without calling MX.',
  responses: { 202: { description: 'The job tracking the aggregation', body: responseSchemas.jobAnswer, headers: tracking } },
  problems: ['forbidden', ...MX_CALL_PROBLEMS],
});

/** The api-refresh function: start (or join) a member's aggregation, and answer its MFA challenges. */
export const REFRESH_ROUTES: readonly Route<RefreshRouteDeps>[] = [
  {
    method: 'POST',
    path: `${member}/refresh`,
    fn: 'api-refresh',
    summary: 'Refresh (aggregate) a member; returns the tracking job',
    auth: 'api_key',
    access: 'path_user',
    query: 'parsed',
    handle: refresh,
    docs: refreshDocs,
  },
  {
    method: 'POST',
    path: `${member}/aggregate`,
    fn: 'api-refresh',
    summary: 'Alias of refresh',
    auth: 'api_key',
    access: 'path_user',
    query: 'parsed',
    handle: refresh,
    docs: refreshDocs,
  },
  {
    method: 'PUT',
    path: `${member}/resume`,
    fn: 'api-refresh',
    summary: "Answer MX's MFA challenges; tracking resumes on the same job",
    auth: 'api_key',
    access: 'path_user',
    // The user's answers go to MX and the member's challenged job goes back into the poll loop.
    async handle(request, deps) {
      const path = parseInput(pathSchema, request.pathParams, 'path');
      const body = parseInput(resumeBody, request.body, 'body');
      const job = await deps.resume.resume({ userId: path.user_id, memberGuid: path.member_guid, answers: body.challenges });
      return { status: 202, body: { job: jobView(job) }, headers: { location: `/jobs/${job.id}` } };
    },
    docs: () => ({
      path: pathSchema,
      body: resumeBody,
      description: "Answers the challenges of the member's latest job (action_required on CHALLENGED).",
      responses: {
        202: { description: 'The same job, aggregating again', body: responseSchemas.jobAnswer, headers: tracking },
      },
      problems: ['forbidden', ...MX_CALL_PROBLEMS],
    }),
  },
];
