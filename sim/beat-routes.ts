import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { pfmEndpoint } from './pfm-access.ts';
import { beatView } from './read-views.ts';
import { readDataOf } from './seed-data.ts';
import type { SimulatorState } from './state.ts';

/** Nexus beats (deprecated by MX, still served). MX's sample shows no paging, so the list is whole. */
export function beatRoutes(state: SimulatorState): MxRoute[] {
  return [
    {
      methods: ['GET'],
      pattern: '/beats',
      handler: pfmEndpoint(state, (_request, user) => ({
        status: 200,
        body: { beats: readDataOf(state.seedData, user.id).beats.map(beatView) },
      })),
    },
    {
      methods: ['GET'],
      pattern: '/beats/{beat_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => {
        const beat = readDataOf(state.seedData, user.id).beats.find(({ guid }) => guid === params.beat_guid);
        if (!beat) throw new MxError(404, 'Beat not found.');
        return { status: 200, body: { beat: beatView(beat) } };
      }),
    },
  ];
}
