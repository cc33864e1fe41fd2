import { MxPush } from '../mx-events/mx-push.ts';
import type { Config } from '../config.ts';
import { BasicAuthenticator } from '../http/basic-auth.ts';
import { MX_EVENT_ROUTES } from '../mx-events/mx-event-routes.ts';
import { MxWebhookReplays } from '../mx-events/mx-webhook-replays-repo.ts';
import { mxWebhookCredentialsProvider } from '../mx/webhook-credentials.ts';
import { ActiveJobsRepository } from '../aggregation/active-jobs-repo.ts';
import { JobsRepository } from '../aggregation/jobs-repo.ts';
import { MemberJobs } from '../aggregation/member-jobs.ts';
import { MemberStatesRepository } from '../aggregation/member-states-repo.ts';
import { pushCoverageOf } from './aggregation.ts';
import { httpHandler } from './http-handler.ts';
import { memberReportsQueueOf, pollQueueOf, sqsOf } from './queues.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { secrets } from './secrets.ts';
import { tableOf } from './storage.ts';

/** mx-events: MX's webhooks, their HTTP Basic check and the poll-loop nudge (or member report) they cause. */
export function composeMxEvents(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const { clock, log } = runtime;
  const table = tableOf(config);
  const { credentials } = config.mxWebhooks;
  const authenticator = new BasicAuthenticator({
    realm: 'mx-webhooks',
    credentials: credentials && mxWebhookCredentialsProvider(credentials, secrets),
    unconfiguredHint: 'set MX_WEBHOOK_USERNAME and MX_WEBHOOK_PASSWORD, or MX_WEBHOOK_CREDENTIALS_SECRET_ARN',
    log,
  });
  const sqs = sqsOf(runtime);
  const pollQueue = pollQueueOf(runtime, sqs);
  const memberJobs = new MemberJobs({
    jobs: new JobsRepository(table),
    pointers: new ActiveJobsRepository(table),
    states: new MemberStatesRepository(table),
    pollQueue,
    clock,
  });
  const push = new MxPush({
    memberJobs,
    reports: memberReportsQueueOf(runtime, sqs),
    replays: new MxWebhookReplays(table),
    clock,
    log,
    metrics: runtime.metrics,
    coverage: pushCoverageOf(runtime, table),
  });
  const handler = httpHandler(runtime, MX_EVENT_ROUTES, { authenticator, push });
  return { handler, runtime, push };
}
