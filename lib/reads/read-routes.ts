import * as z from '../zod.ts';
import { HttpProblem } from '../http/problem.ts';
import { describedAs } from '../http/openapi/json-schemas.ts';
import { mxBodySchema } from '../http/openapi/response-schemas.ts';
import { MX_CALL_PROBLEMS } from '../http/openapi/route-problems.ts';
import type { Route } from '../http/route.ts';
import { parseInput } from '../http/validation.ts';
import { mxGuid, params } from '../identifiers.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import { parameterNames } from '../path-template.ts';
import { INSTITUTION_SEARCH, READ_ENDPOINTS, type ReadEndpoint, type ReadQuery } from './read-endpoints.ts';

/** What api-read gives these routes. */
export interface ReadRouteDeps {
  nexus: Pick<NexusClient, 'requestText'>;
}

const calendarDate = z.string().check(
  z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD'),
  z.refine((value: string) => {
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
  }, 'must be a real calendar date'),
);

/** Every path parameter a read can have, validated by name before anything reaches MX . */
const PATH_PARAMS: Record<string, z.ZodMiniType<string>> = {
  user_id: params.userId,
  member_guid: params.memberGuid,
  account_guid: mxGuid('ACT'),
  beat_guid: mxGuid('BET'),
  spending_plan_guid: mxGuid('SPL'),
  spending_plan_account_guid: mxGuid('SPA'),
  category_guid: mxGuid('CAT'),
  top_level_category_guids: z
    .string()
    .check(z.regex(/^CAT-[A-Za-z0-9-]{1,64}(,CAT-[A-Za-z0-9-]{1,64}){0,49}$/, 'must be 1–50 comma-separated CAT-… guids')),
  institution_guid: z.string().check(z.regex(/^INS-[A-Za-z0-9_-]{1,100}$/, 'must be MX’s INS-… guid of the institution')),
  start_date: calendarDate,
  end_date: calendarDate,
};

const integer = (min: number, max: number) =>
  z.pipe(z.string().check(z.regex(/^\d{1,7}$/, 'must be a whole number')), z.transform(Number)).check(
    z.refine((n: number) => n >= min && n <= max, `must be between ${min} and ${max}`),
    z.meta(describedAs({ type: 'integer', minimum: min, maximum: max })),
  );

const paged = {
  page: z.optional(integer(1, 1_000_000)),
  records_per_page: z.optional(integer(10, 1000)),
};
const QUERIES: Record<ReadQuery, z.ZodMiniType<Record<string, string | number | undefined>>> = {
  none: z.strictObject({}),
  paged: z.strictObject(paged),
  filtered: z.strictObject({ ...paged, use_case: z.optional(z.enum(['PFM', 'MONEY_MOVEMENT'])) }),
  search: z.strictObject({
    ...paged,
    name: z.optional(z.string().check(z.minLength(1), z.maxLength(100), z.describe('Part of the institution’s name'))),
  }),
};

/** The path parameters of one read endpoint; throws for one without validation. */
function pathParameterNames(endpoint: ReadEndpoint): string[] {
  const names = ['user_id', ...parameterNames(endpoint.path)];
  const unknown = names.filter((name) => !(name in PATH_PARAMS));
  if (unknown.length > 0) throw new Error(`read ${endpoint.path}: no validation for path parameters ${unknown.join(', ')}`);
  return names;
}

/** Path and query schemas of one read endpoint (unknown query parameters are refused, naming them). */
export function readInputSchemas(endpoint: ReadEndpoint) {
  const names = pathParameterNames(endpoint);
  return {
    path: z.object(Object.fromEntries(names.map((name) => [name, PATH_PARAMS[name]!]))),
    query: QUERIES[endpoint.query],
  };
}

export interface ReadInput {
  userId: string;
  /** MX's path parameters (everything but user_id). */
  params: Record<string, string>;
  query: Record<string, string | number | undefined>;
}

/** Validates a read's path and query; a date range must not end before it starts. */
export function parseReadInput(
  schemas: ReturnType<typeof readInputSchemas>,
  pathParams: Record<string, string | undefined>,
  query: Record<string, string | undefined>,
): ReadInput {
  const { user_id: userId, ...mxParams } = parseInput(schemas.path, pathParams, 'path') as Record<string, string>;
  if (mxParams.start_date && mxParams.end_date && mxParams.start_date > mxParams.end_date) {
    throw new HttpProblem('validation_failed', 'path.end_date: must not be before start_date', { field: 'end_date' });
  }
  return { userId: userId!, params: mxParams, query: parseInput(schemas.query, query, 'query') };
}

/** Every Nexus read of READ_ENDPOINTS, validated here, answered by MX through the user's session. */
export const READ_ROUTES: readonly Route<ReadRouteDeps>[] = READ_ENDPOINTS.map((endpoint) => {
  // Built at import, which checks that every path parameter has its validation.
  const schemas = readInputSchemas(endpoint);
  return {
    method: 'GET',
    path: `/users/{user_id}${endpoint.path}`,
    fn: 'api-read',
    summary: endpoint.summary,
    auth: 'api_key',
    access: 'path_user',
    query: 'parsed',
    async handle(request, { nexus }) {
      const input = parseReadInput(schemas, request.pathParams, request.query);
      // MX's JSON text is relayed unparsed: parsing and serializing it again is a read's largest CPU cost.
      const { name, ...paging } = input.query;
      const { body } = await nexus.requestText(
        input.userId,
        endpoint.query === 'search'
          ? { ...INSTITUTION_SEARCH, kind: 'read', query: paging, body: { institution: { name: name ?? '' } }, idempotent: true }
          : { method: 'GET', route: endpoint.path, kind: 'read', params: input.params, query: input.query },
      );
      return { status: 200, json: body };
    },
    docs: () => ({
      ...schemas,
      description:
        (endpoint.query === 'search'
          ? `MX's \`${INSTITUTION_SEARCH.method} ${INSTITUTION_SEARCH.route}\` (\`name\` in its body) for the user, through the user's MX session.`
          : `MX's \`GET ${endpoint.path}\` for the user, through the user's MX session.`) +
        (endpoint.sensitive
          ? " The relay keeps none of it: never stored, logged or put in an event, answered with `Cache-Control: no-store`; readable with the user's own key or a server key."
          : ''),
      responses: { 200: { description: "MX's body, unchanged", body: mxBodySchema } },
      problems: ['forbidden', ...MX_CALL_PROBLEMS],
    }),
  };
});
