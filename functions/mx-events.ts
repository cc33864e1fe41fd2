import { operationsOf } from '../lib/http/route.ts';
import { MX_EVENT_ROUTES, type MxEventRouteDeps } from '../lib/mx-events/mx-event-routes.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';
import { mxEvents } from '../lib/services/mx-events.ts';

const services = getServices();
const deps: MxEventRouteDeps = {
  get authenticator() {
    return mxEvents(services).authenticator;
  },
  get push() {
    return mxEvents(services).push;
  },
};

export const handler = httpHandler(services, operationsOf(MX_EVENT_ROUTES, deps));
