import { MxPush } from '../aggregation/mx-push.ts';
import { BasicAuthenticator } from '../http/basic-auth.ts';
import { mxWebhookCredentialsProvider } from '../mx/webhook-credentials.ts';
import type { Services } from './container.ts';
import { pushCoverage } from './push-coverage.ts';
import { pollQueue } from './queues.ts';
import { jobsRepository } from './store.ts';

/** MX's webhooks: their HTTP Basic check and the poll-loop nudge they cause. */
export function mxEvents(services: Services): { authenticator: BasicAuthenticator; push: MxPush } {
  return services.once(mxEvents, () => {
    const { credentials } = services.config.mxWebhooks;
    const { clock, log } = services;
    return {
      authenticator: new BasicAuthenticator({
        realm: 'mx-webhooks',
        credentials: credentials && mxWebhookCredentialsProvider(credentials),
        unconfiguredHint: 'set MX_WEBHOOK_USERNAME and MX_WEBHOOK_PASSWORD, or MX_WEBHOOK_CREDENTIALS_SECRET_ARN',
        log,
      }),
      push: new MxPush({
        jobs: jobsRepository(services),
        pollQueue: pollQueue(services),
        clock,
        log,
        coverage: pushCoverage(services),
      }),
    };
  });
}
