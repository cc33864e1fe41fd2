import * as z from '../zod.ts';
import { HttpProblem } from '../http/problem.ts';
import { mxBodySchema } from '../http/openapi/response-schemas.ts';
import { MX_CALL_PROBLEMS } from '../http/openapi/route-problems.ts';
import type { Route } from '../http/route.ts';
import { parseInput } from '../http/validation.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import type { QueryValue } from '../mx/transport.ts';
import type { ResponseDocs } from '../http/openapi/operation-docs.ts';
import { parameterNames } from '../path-template.ts';
import { NEXUS_OPERATIONS } from './nexus-operations.ts';
import type { NexusOperation } from './operation.ts';
import { DATE_RANGES, MX_QUERY_NAMES, PATH_PARAMS, QUERY_PARAMS, type QueryName } from './nexus-params.ts';

/** What api-read gives these routes. */
export interface NexusRouteDeps {
  nexus: Pick<NexusClient, 'requestText'>;
}

/** Path, query and body schemas of one operation; throws for a path parameter without validation. */
export function operationSchemas(operation: NexusOperation) {
  const names = ['user_id', ...parameterNames(operation.path)];
  const unknown = names.filter((name) => !(name in PATH_PARAMS));
  if (unknown.length > 0) throw new Error(`${operation.ref}: no validation for path parameters ${unknown.join(', ')}`);
  const query = (operation.query ?? []).map((name) => [name, z.optional(QUERY_PARAMS[name])] as const);
  return {
    path: z.object(Object.fromEntries(names.map((name) => [name, PATH_PARAMS[name]!]))),
    // Unknown query parameters are refused, naming them: MX would ignore them and answer something else.
    query: z.strictObject(Object.fromEntries(query)),
    body: operation.body,
  };
}

export interface OperationInput {
  userId: string;
  /** MX's path parameters (everything but user_id). */
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

/** Validates an operation's input; a range of days must not end before it starts. */
export function parseOperationInput(
  schemas: ReturnType<typeof operationSchemas>,
  request: { pathParams: Record<string, string | undefined>; query: Record<string, string | undefined>; body: unknown },
): OperationInput {
  const { user_id: userId, ...params } = parseInput(schemas.path, request.pathParams, 'path') as Record<string, string>;
  const query = parseInput(schemas.query, request.query, 'query') as Record<string, unknown>;
  for (const [start, end] of DATE_RANGES) {
    const from = params[start] ?? query[start];
    const to = params[end] ?? query[end];
    if (typeof from === 'string' && typeof to === 'string' && from > to) {
      throw new HttpProblem('validation_failed', `${end in params ? 'path' : 'query'}.${end}: must not be before ${start}`, {
        field: end,
      });
    }
  }
  const body = schemas.body ? parseInput(schemas.body, request.body, 'body') : undefined;
  return { userId: userId!, params, query, body };
}

const pick = (query: Record<string, unknown>, names: readonly string[]) =>
  Object.fromEntries(Object.entries(query).filter(([name]) => names.includes(name)));

const onTheWire = (query: Record<string, unknown>): Record<string, QueryValue> =>
  Object.fromEntries(
    Object.entries(query).map(([name, value]) => [MX_QUERY_NAMES[name as QueryName] ?? name, value as QueryValue]),
  );

function describe(operation: NexusOperation): string {
  const call = operation.mx ?? operation;
  const kept = operation.method === 'GET' ? 'never stored' : 'stored only sealed, for its Idempotency-Key (24 h)';
  const sensitive = operation.sensitive
    ? ` The relay keeps none of it in clear: ${kept}, never logged or put in an event, answered with \`Cache-Control: no-store\`; readable with the user's own key or a server key.`
    : '';
  const write = operation.method === 'GET' ? '' : ' MX answers it, and the relay answers as MX did.';
  return `MX's \`${call.method} ${call.path}\` ([reference](https://docs.mx.com/api-reference/nexus/reference/${operation.ref})) for the user, through the user's MX session.${write}${sensitive}`;
}

/** A route for each of NEXUS_OPERATIONS: validated here, answered by MX through the user's session. */
export const NEXUS_ROUTES: readonly Route<NexusRouteDeps>[] = NEXUS_OPERATIONS.map((operation) => {
  // Built at import, which checks that every path parameter has its validation.
  const schemas = operationSchemas(operation);
  const call = operation.mx ?? operation;
  return {
    method: operation.method,
    path: `/users/{user_id}${operation.path}`,
    fn: 'api-read',
    summary: operation.summary,
    auth: 'api_key',
    access: 'path_user',
    query: 'parsed',
    ...(operation.method === 'DELETE' ? { idempotent: true } : {}),
    async handle(request, { nexus }) {
      const input = parseOperationInput(schemas, request);
      // MX's JSON text is relayed unparsed: parsing and serializing it again is a read's largest CPU cost.
      const { status, body } = await nexus.requestText(input.userId, {
        method: call.method,
        route: call.path,
        kind: operation.method === 'GET' ? 'read' : 'write',
        params: input.params,
        query: onTheWire(operation.mx?.query ? pick(input.query, operation.mx.query) : input.query),
        body: operation.mx?.body ? operation.mx.body(input.query) : input.body,
        // A search is a read; a POST may create twice when replayed after a lost answer.
        idempotent: operation.method !== 'POST',
      });
      return body === '' ? { status: status === 200 ? 204 : status } : { status, json: body };
    },
    docs: () => ({
      ...schemas,
      description: describe(operation),
      ...(operation.deprecated ? { deprecated: true } : {}),
      responses: {
        200: { description: "MX's body, unchanged", body: mxBodySchema },
        ...(operation.method === 'DELETE' ? { 204: { description: 'MX deleted it' } } : {}),
      } as Record<number, ResponseDocs>,
      problems: ['forbidden', ...(operation.body ? (['validation_failed'] as const) : []), ...MX_CALL_PROBLEMS],
    }),
  };
});
