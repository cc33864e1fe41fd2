import { CATALOGUE, institutionView } from './institutions.ts';
import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { pagedListBody } from './read-views.ts';
import { userEndpoint } from './session-routes.ts';
import type { SimulatorState } from './state.ts';

/** Nexus institution search (by part of the name, paged), read institution and an institution's credential fields, for the user's session. */
export function institutionRoutes(state: SimulatorState): MxRoute[] {
  return [
    {
      methods: ['GET'],
      pattern: '/institutions',
      handler: userEndpoint(state, ({ query }) => {
        const name = query.get('name')?.toLowerCase();
        const found = name ? CATALOGUE.filter((institution) => institution.name.toLowerCase().includes(name)) : CATALOGUE;
        return { status: 200, body: pagedListBody('institutions', found, institutionView, query) };
      }),
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
