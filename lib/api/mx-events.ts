import * as z from '../zod.ts';
import type { Operations } from '../http/http-handler.ts';
import type { OperationsDocs } from '../http/openapi/operation-docs.ts';
import type { Services } from '../services/container.ts';
import { mxEvents } from '../services/mx-events.ts';

/** The mx-events function: MX's own webhooks. */
export const operations = (services: Services): Operations => ({
  // MX authenticates with HTTP Basic, checked here rather than by the API-key pipeline. MX resends whatever is not
  // answered 2xx, so the body is taken as text and anything authenticated is answered 204.
  'POST /mx/webhooks': {
    auth: 'none',
    body: 'text',
    query: 'ignored',
    async handle(request) {
      const { authenticator, push } = mxEvents(services);
      await authenticator.authenticate(request.headers.authorization);
      await push.receive(typeof request.body === 'string' ? request.body : undefined);
      return { status: 204 };
    },
  },
});

export function docs(): OperationsDocs {
  return {
    'POST /mx/webhooks': {
      security: 'http_basic',
      bodyAsText: true,
      body: z.unknown(),
      description:
        'Once the credentials match, answers 204 to any body; acts on AGGREGATION and CONNECTION_STATUS webhooks ' +
        'naming a member with an active job.',
      responses: { 204: { description: 'Received' } },
    },
  };
}
