import { checkPartner, jsonBody, objectField } from './connect-routes.ts';
import { MxError } from './mx-errors.ts';
import { MDX_MEDIA, type MxRoute } from './mx-endpoint.ts';
import type { SimulatorState } from './state.ts';

/**
 * Where the simulator serves MDX Real Time: a base of its own (MX's is another host, int-live.moneydesktop.com), so
 * that the SSO host's `/{client_id}/users` answers 404 as MX's does. The local stack sets MX_REALTIME_BASE_URL to it.
 */
export const MDX_REALTIME_PATH = '/mdx-realtime';

/**
 * MDX Real Time users: create (`POST /{client_id}/users.json`, 409 when the id is taken: MX's path-core client) and
 * delete (`DELETE /{client_id}/users/{id}.json`, 204; the `.json` path UNCONFIRMED). MD-API-KEY as on SSO.
 */
export function mdxRealtimeRoutes(state: SimulatorState): MxRoute[] {
  return [
    {
      methods: ['POST'],
      pattern: `${MDX_REALTIME_PATH}/{client_id}/users`,
      optionalSuffix: '.json',
      handler: {
        media: MDX_MEDIA,
        handle(request) {
          checkPartner(state, request);
          const user = objectField(jsonBody(request), 'user');
          const id = user.id;
          // MX: "Can include numbers, letters, dash, and underscore. Max length is 1024." (MDX user fields)
          if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,1024}$/.test(id)) throw new MxError(400, 'user.id is invalid.');
          const created = state.members.createUser(id);
          if (!created) throw new MxError(409, 'A user with this id already exists.');
          return { status: 200, body: { user: { id: created.id, guid: created.guid, is_disabled: false } } };
        },
      },
    },
    {
      methods: ['DELETE'],
      pattern: `${MDX_REALTIME_PATH}/{client_id}/users/{user_id}`,
      optionalSuffix: '.json',
      handler: {
        media: MDX_MEDIA,
        handle(request) {
          checkPartner(state, request);
          if (!state.members.deleteUser(request.params.user_id ?? '')) throw new MxError(404, 'User not found.');
          return { status: 204, body: undefined };
        },
      },
    },
  ];
}
