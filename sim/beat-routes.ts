import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { pfmEndpoint } from './pfm-access.ts';
import { beatView } from './read-views.ts';
import { readDataOf } from './seed-data.ts';
import type { SimulatorState } from './state.ts';
import { optionalBoolean, rootedBody } from './write-bodies.ts';

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
    {
      // UNCONFIRMED: Nexus's update-beat page was not found (read beat's path parameter reads "The ID of the beat to
      // update"). `{"beat":{has_been_displayed, is_dismissed}}` as Nexus's update insight takes them: displaying sets
      // displayed_at (now, once), un-displaying clears it; a later read shows the change.
      methods: ['PUT'],
      pattern: '/beats/{beat_guid}',
      handler: pfmEndpoint(state, ({ params, body }, user) => {
        const beat = readDataOf(state.seedData, user.id).beats.find(({ guid }) => guid === params.beat_guid);
        if (!beat) throw new MxError(404, 'Beat not found.');
        const input = rootedBody(body, 'beat');
        const displayed = optionalBoolean(input, 'has_been_displayed');
        const dismissed = optionalBoolean(input, 'is_dismissed');
        if (displayed === undefined && dismissed === undefined) {
          throw new MxError(400, 'beat must hold has_been_displayed or is_dismissed.');
        }
        const at = state.clock.now();
        if (displayed === true) beat.displayedAt ??= at;
        if (displayed === false) beat.displayedAt = null;
        if (dismissed !== undefined) beat.isDismissed = dismissed;
        beat.updatedAt = at;
        return { status: 200, body: { beat: beatView(beat) } };
      }),
    },
  ];
}
