import { CATALOGUE, institutionView } from './institutions.ts';
import { parseJsonBody } from './http.ts';
import { isJsonObject } from './input-validation.ts';
import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { pagedListBody } from './read-views.ts';
import { userEndpoint } from './session-routes.ts';
import type { SimulatorState } from './state.ts';

/** The catalogue's institutions whose name holds `name` (any case); all of them for none or ''. */
const named = (name: string | undefined) =>
  name ? CATALOGUE.filter((institution) => institution.name.toLowerCase().includes(name.toLowerCase())) : CATALOGUE;

/**
 * Nexus institution search (`POST /institutions/search`, `{"institution":{"name"}}`, paged; the deprecated
 * `GET /institutions?name=` too), read institution and an institution's credential fields, for the user's session.
 */
export function institutionRoutes(state: SimulatorState): MxRoute[] {
  return [
    {
      methods: ['POST'],
      pattern: '/institutions/search',
      handler: userEndpoint(state, ({ query, body }) => {
        let input: unknown;
        try {
          input = parseJsonBody(body);
        } catch {
          throw new MxError(400, 'The body must be JSON.');
        }
        const institution = isJsonObject(input) ? input.institution : undefined;
        if (!isJsonObject(institution)) throw new MxError(400, 'institution is required.');
        if (institution.name !== undefined && typeof institution.name !== 'string') {
          throw new MxError(400, 'institution.name must be a string.');
        }
        return { status: 200, body: pagedListBody('institutions', named(institution.name), institutionView, query) };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/institutions',
      handler: userEndpoint(state, ({ query }) => ({
        status: 200,
        body: pagedListBody('institutions', named(query.get('name') ?? undefined), institutionView, query),
      })),
    },
    {
      // MX's read institution: what it supports (verification, identification, extended history, OAuth).
      methods: ['GET'],
      pattern: '/institutions/{institution_guid}',
      handler: userEndpoint(state, ({ params }) => {
        const institution = CATALOGUE.find((candidate) => candidate.guid === params.institution_guid);
        if (!institution) throw new MxError(404, 'Institution not found.');
        return { status: 200, body: { institution: institutionView(institution) } };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/institutions/{institution_guid}/credentials',
      handler: userEndpoint(state, ({ params, query }) => {
        const institution = CATALOGUE.find((candidate) => candidate.guid === params.institution_guid);
        if (!institution) throw new MxError(404, 'Institution not found.');
        return { status: 200, body: pagedListBody('credentials', institution.credentials, (credential) => credential, query) };
      }),
    },
  ];
}
