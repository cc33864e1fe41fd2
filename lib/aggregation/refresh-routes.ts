import * as z from '../zod.ts';
import { jobAnswerSchema } from './job-view.ts';
import { params } from '../identifiers.ts';
import type { OperationDocs } from '../http/openapi/operation-docs.ts';
import { MX_CALL_PROBLEMS } from '../http/openapi/route-problems.ts';
import type { AuthenticatedRequest, HttpResponse } from '../http/route.ts';
import type { Route } from '../http/route.ts';
import { booleanFlag, parseInput } from '../http/validation.ts';
import { jobView } from './job-view.ts';
import { PREMIUM_KINDS, type PremiumKind } from './job-support.ts';
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
  responses: { 202: { description: 'The job tracking the aggregation', body: jobAnswerSchema, headers: tracking } },
  problems: ['forbidden', ...MX_CALL_PROBLEMS],
});

const premiumQuery = z.strictObject({ include_transactions: booleanFlag });
const noQuery = z.strictObject({});

const supported = (kind: PremiumKind): string => {
  const field = PREMIUM_KINDS[kind].supportField;
  return field
    ? ` Refused before MX is called when MX lists the member's institution as not supporting it (\`${field}\` false).`
    : '';
};

/** One of MX's premium jobs: the same job, tracking and events as an aggregation's. */
function premiumJobRoute(kind: PremiumKind, path: string, summary: string, description: string): Route<RefreshRouteDeps> {
  const query = kind === 'history' || kind === 'balance' ? noQuery : premiumQuery;
  return {
    method: 'POST',
    path: `${member}/${path}`,
    fn: 'api-refresh',
    summary,
    auth: 'api_key',
    access: 'path_user',
    query: 'parsed',
    async handle(request, deps) {
      const { user_id: userId, member_guid: memberGuid } = parseInput(pathSchema, request.pathParams, 'path');
      const { include_transactions: includeTransactions } = parseInput(query, request.query, 'query') as {
        include_transactions?: boolean;
      };
      const { job } = await deps.refresh.refresh({ userId, memberGuid, kind, includeTransactions });
      return { status: 202, body: { job: jobView(job) }, headers: { location: `/jobs/${job.id}` } };
    },
    docs: () => ({
      path: pathSchema,
      query,
      description: `${description} While a job of the same kind runs on the member, answers that job without calling MX; while another kind runs, 409.${supported(kind)}`,
      responses: { 202: { description: `The job tracking the ${kind}`, body: jobAnswerSchema, headers: tracking } },
      problems: ['forbidden', 'conflict', 'job_not_supported', ...MX_CALL_PROBLEMS],
    }),
  };
}

/** The api-refresh function: start (or join) a member's aggregation or premium job, and answer its MFA challenges. */
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
  premiumJobRoute(
    'verification',
    'verify',
    'Verify a member (MX: account and routing numbers); returns the tracking job',
    "Starts MX's verification. Once the job succeeds, read the numbers with GET …/account_numbers.",
  ),
  premiumJobRoute(
    'identification',
    'identify',
    "Identify a member (MX: the accounts' owners); returns the tracking job",
    "Starts MX's identification. Once the job succeeds, read the owners with GET …/account_owners.",
  ),
  premiumJobRoute(
    'history',
    'extend_history',
    'Extend the transaction history of a member (MX: up to 24 months); returns the tracking job',
    "Starts MX's extended history. Once the job succeeds, the older transactions are in the transaction reads.",
  ),
  premiumJobRoute(
    'balance',
    'check_balance',
    "Check a member's balances (MX: balances only, no transactions); returns the tracking job",
    "Starts MX's check balance. Once the job succeeds, read the balances with GET …/members/{member_guid}/accounts.",
  ),
  {
    method: 'PUT',
    path: `${member}/resume`,
    fn: 'api-refresh',
    summary: "Answer MX's MFA challenges; tracking resumes on the same job",
    auth: 'api_key',
    access: 'path_user',
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
        202: { description: 'The same job, aggregating again', body: jobAnswerSchema, headers: tracking },
      },
      problems: ['forbidden', ...MX_CALL_PROBLEMS],
    }),
  },
];
