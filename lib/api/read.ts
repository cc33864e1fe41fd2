import { routeKey } from '../http/routes.ts';
import type { Operations } from '../http/http-handler.ts';
import type { OperationsDocs } from '../http/openapi/operation-docs.ts';
import { responseSchemas } from '../http/openapi/response-schemas.ts';
import { MX_CALL_PROBLEMS } from '../http/openapi/route-problems.ts';
import { READ_ENDPOINTS, readRoutePath } from '../reads/read-endpoints.ts';
import { parseReadInput, readInputSchemas } from './read-input.ts';
import { SYNC_ROUTE_KEY, syncDocs, syncOperation } from './transactions-sync.ts';
import type { Services } from '../services/container.ts';
import { nexusClient } from '../services/nexus.ts';

/**
 * The api-read function: every Nexus read, validated here, answered by MX through the user's session; and
 * transactions sync, the change log the relay keeps over MX's transaction lists.
 */
export function operations(services: Services): Operations {
  return { ...readOperations(services), [SYNC_ROUTE_KEY]: syncOperation(services) };
}

function readOperations(services: Services): Operations {
  return Object.fromEntries(
    READ_ENDPOINTS.map((endpoint) => {
      const schemas = readInputSchemas(endpoint);
      return [
        routeKey({ method: 'GET', path: readRoutePath(endpoint) }),
        {
          auth: 'api_key',
          access: 'path_user',
          query: 'parsed',
          async handle(request) {
            const input = parseReadInput(schemas, request.pathParams, request.query);
            // MX's JSON text is relayed as sent: parsing it only to serialize it again was the largest CPU cost of a read.
            const { body } = await nexusClient(services).requestText(input.userId, {
              method: 'GET',
              route: endpoint.path,
              params: input.params,
              query: input.query,
            });
            return { status: 200, json: body };
          },
        },
      ] as const;
    }),
  );
}

export function docs(): OperationsDocs {
  const { mxBody } = responseSchemas();
  return {
    ...Object.fromEntries(
      READ_ENDPOINTS.map((endpoint) => {
        const { path, query } = readInputSchemas(endpoint);
        return [
          routeKey({ method: 'GET', path: readRoutePath(endpoint) }),
          {
            path,
            query,
            description: `MX's \`GET ${endpoint.path}\` for the user, through the user's MX session.`,
            responses: { 200: { description: "MX's body, unchanged", body: mxBody } },
            problems: ['forbidden', ...MX_CALL_PROBLEMS],
          },
        ];
      }),
    ),
    [SYNC_ROUTE_KEY]: syncDocs(),
  };
}
