import type { Operations } from '../lib/http/http-handler.ts';
import { getServices } from '../lib/services.ts';

const services = getServices();

export const operations: Operations = {
  // MX authenticates with HTTP Basic, checked here rather than by the API-key pipeline. MX resends whatever is not
  // answered 2xx, so the body is taken as text and anything authenticated is answered 204.
  'POST /mx/webhooks': {
    auth: 'none',
    body: 'text',
    async handle(request) {
      const { authenticator, push } = services.mxEvents;
      await authenticator.authenticate(request.headers.authorization);
      await push.receive(typeof request.body === 'string' ? request.body : undefined);
      return { status: 204 };
    },
  },
};

export const handler = services.httpHandler(operations);
