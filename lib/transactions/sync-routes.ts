import * as z from '../zod.ts';
import type { OperationDocs } from '../http/openapi/operation-docs.ts';
import { MX_CALL_PROBLEMS } from '../http/openapi/route-problems.ts';
import { HttpProblem } from '../http/problem.ts';
import type { Route } from '../http/route.ts';
import { parseInput } from '../http/validation.ts';
import { params } from '../identifiers.ts';
import { MxError } from '../mx/errors.ts';
import { API_TOKEN_ROUTE } from '../mx/sso.ts';
import type { TransactionSync } from './transaction-sync.ts';

/** What api-read gives this route. */
export interface SyncRouteDeps {
  transactions: Pick<TransactionSync, 'sync'>;
}

const path = z.object({ user_id: params.userId });
const query = z.strictObject({
  cursor: z
    .optional(z.string().check(z.minLength(1), z.maxLength(512)))
    .check(z.describe('The `next_cursor` of the previous call; absent: from the start')),
  count: z
    ._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(500)), 100)
    .check(z.describe('Changes per page, 1–500')),
});

/** Transactions sync (api-read). */
export const SYNC_ROUTE: Route<SyncRouteDeps> = {
  method: 'GET',
  path: '/users/{user_id}/transactions/sync',
  fn: 'api-read',
  summary: "What changed in the user's transactions since the cursor: added, modified, removed (cursor, count)",
  auth: 'api_key',
  access: 'path_user',
  query: 'parsed',
  async handle(request, { transactions }) {
    const { user_id } = parseInput(path, request.pathParams, 'path');
    const { cursor, count } = parseInput(query, request.query, 'query');
    try {
      return { status: 200, body: await transactions.sync(user_id, { cursor, count }) };
    } catch (error) {
      // MX's SSO API knows no such user: the path's user_id is at fault (other MX failures map as everywhere).
      if (error instanceof MxError && error.code === 'MX_NOT_FOUND' && error.route === API_TOKEN_ROUTE) {
        throw new HttpProblem('not_found', 'MX has no user with this user_id.', { field: 'user_id', mxCode: error.mxCode });
      }
      throw error;
    }
  },
  docs: syncDocs,
};

function syncDocs(): OperationDocs {
  const mxTransaction = z
    .looseObject({
      guid: z.string(),
      pending_transaction_guid: z
        .optional(z.string())
        .check(
          z.describe('On a posted transaction: the removed pending one it replaced, when exactly one matches (never a guess)'),
        ),
    })
    .check(z.describe("MX's transaction, with MX's fields"));
  const syncAnswer = z.strictObject({
    added: z.array(mxTransaction).check(z.describe('Transactions the client has not received yet')),
    modified: z.array(mxTransaction).check(z.describe('Transactions received before, in their latest version')),
    removed: z
      .array(z.strictObject({ guid: z.string() }))
      .check(
        z.describe('Transactions MX no longer has: after an aggregation, those of the days MX may still change (see the docs)'),
      ),
    next_cursor: z.string().check(z.describe('Pass as `cursor` next time (also when has_more is false)')),
    has_more: z.boolean().check(z.describe('Whether more changes are ready now: call again at once with next_cursor')),
    historical_update_complete: z
      .boolean()
      .check(
        z.describe(
          'Whether every member of the user has had an extended history end (POST …/extend_history): its transactions reach as far back as MX keeps',
        ),
      ),
  });
  return {
    path: path,
    query: query,
    description:
      "Every change to the user's transactions exactly once, in its latest state: page with next_cursor while has_more, " +
      'keep the last next_cursor for the next sync. The first call (no cursor) returns every transaction as added.',
    responses: { 200: { description: 'One page of changes', body: syncAnswer } },
    problems: ['forbidden', 'invalid_cursor', 'sync_cursor_expired', ...MX_CALL_PROBLEMS],
  };
}
