import type { Context } from 'aws-lambda';
import type { ApiEvent } from '../lib/http/api-event.ts';
import type { Operations } from '../lib/http/http-handler.ts';
import { withBodyAsText } from '../lib/http/raw-body.ts';
import { getServices } from '../lib/services.ts';

const services = getServices();

export const operations: Operations = {
  // MX authenticates with HTTP Basic, checked here rather than by the API-key pipeline.
  'POST /mx/webhooks': {
    auth: 'none',
    async handle(request) {
      const { authenticator, push } = services.mxEvents;
      await authenticator.authenticate(request.headers.authorization);
      await push.receive(typeof request.body === 'string' ? request.body : undefined);
      return { status: 204 };
    },
  },
};

const pipeline = services.httpHandler(operations);

/** MX resends whatever is not answered 2xx, so the operation reads the body itself and answers 204 to anything. */
export const handler = (event: ApiEvent, context: Context) => pipeline(withBodyAsText(event), context);
