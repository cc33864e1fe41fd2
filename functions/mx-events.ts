import * as z from 'zod';
import type { Operations } from '../lib/http/http-handler.ts';
import type { OperationsDocs } from '../lib/http/openapi/operation-docs.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';
import { mxEvents } from '../lib/services/mx-events.ts';

const services = getServices();

export const operations: Operations = {
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
};

export const docs: OperationsDocs = {
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

export const handler = httpHandler(services, operations);
