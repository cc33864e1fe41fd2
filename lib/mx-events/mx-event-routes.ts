import * as z from '../zod.ts';
import type { MxPush } from './mx-push.ts';
import type { BasicAuthenticator } from '../http/basic-auth.ts';
import type { Route } from '../http/route.ts';

/** What mx-events gives its route. */
export interface MxEventRouteDeps {
  authenticator: Pick<BasicAuthenticator, 'authenticate'>;
  push: Pick<MxPush, 'receive'>;
}

/** Called by MX, not by client apps: HTTP Basic, checked by the route itself. */
export const MX_EVENT_ROUTES: readonly Route<MxEventRouteDeps>[] = [
  {
    method: 'POST',
    path: '/mx/webhooks',
    fn: 'mx-events',
    endpoint: 'function-url',
    summary: "MX's webhooks (HTTP Basic): an immediate poll of the member's active job, a member report, the transactions sync",
    // MX resends whatever is not answered 2xx, so the body is taken as text and anything authenticated is answered 204.
    auth: 'none',
    body: 'text',
    query: 'ignored',
    async handle(request, { authenticator, push }) {
      await authenticator.authenticate(request.headers.authorization);
      await push.receive(typeof request.body === 'string' ? request.body : undefined);
      return { status: 204 };
    },
    docs: () => ({
      security: 'http_basic',
      bodyAsText: true,
      body: z.unknown(),
      description:
        "Deployed, served at mx-events' function URL (the stack's `MxWebhooksUrl` output), not the API's: " +
        'once the credentials match, answers 204 to any body; acts on AGGREGATION, BALANCE, HISTORY, VERIFICATION and CONNECTION_STATUS webhooks ' +
        "(an immediate poll of the member's job, or a report of the member), TRANSACTIONS and MEMBER deleted (the transactions sync).",
      responses: { 204: { description: 'Received' } },
    }),
  },
];
