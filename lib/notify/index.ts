import { randomBytes } from 'node:crypto';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import { DelayedQueue } from '../queue/delayed-queue.ts';
import { DeliveriesRepository } from '../store/deliveries-repo.ts';
import type { TableRef } from '../store/table.ts';
import { SubscriptionCache } from './subscription-cache.ts';
import { WebhooksRepository } from '../store/webhooks-repo.ts';
import { AddressGuard, type Resolver } from './address-guard.ts';
import { WebhookSender } from './attempt.ts';
import { Deliverer, LEASE_MARGIN_MS } from './deliverer.ts';
import type { DeliveryMessage } from './delivery-message.ts';
import { EndpointHealth } from './endpoint-health.ts';
import { EndpointUrlPolicy } from './endpoint-url.ts';
import { createGuardedAgent } from './guarded-agent.ts';
import { EventPublisher } from './publisher.ts';
import { Redelivery } from './redelivery.ts';
import { WebhookTester } from './webhook-tester.ts';
import { LocalDataKeys, SecretBox } from '../secret-box.ts';

export interface NotifierDeps {
  table: TableRef;
  sqs: SQSClient;
  deliveryQueueUrl: string;
  clock: Clock;
  log: Log;
  /** Timeout of one webhook attempt. */
  timeoutMs: number;
  /** Local mode: `http://127.0.0.1` / `http://localhost` endpoints, and loopback addresses, are allowed. */
  allowInsecureUrls: boolean;
  /** How endpoint hostnames are resolved (default: the system resolver). */
  resolver?: Resolver;
  /** Where attempts are sent through. Default: an agent that connects only to addresses the guard allows. */
  dispatcher?: Dispatcher;
  /** Jitter source for retry delays, in [0, 1) (default Math.random). */
  random?: () => number;
  metrics?: MetricsSink;
  /** Seals signing secrets at rest (default: a box under a random key of this process, for tests). */
  secretBox?: SecretBox;
}

export interface Notifier {
  clock: Clock;
  webhooks: WebhooksRepository;
  deliveries: DeliveriesRepository;
  endpointUrls: EndpointUrlPolicy;
  publisher: EventPublisher;
  deliverer: Deliverer;
  redelivery: Redelivery;
  tester: WebhookTester;
  secretBox: SecretBox;
  /** Closes the default agent's connections (tests; a Lambda container keeps them until it is frozen). */
  close(): Promise<void>;
}

/** The webhook product, wired: subscriptions, the event publisher, the delivery worker's logic, replays. */
export function createNotifier(deps: NotifierDeps): Notifier {
  const { clock, log } = deps;
  const secretBox = deps.secretBox ?? new SecretBox(new LocalDataKeys(randomBytes(32)), clock);
  const webhooks = new WebhooksRepository(deps.table, clock);
  const subscriptions = new SubscriptionCache(webhooks, clock);
  const deliveries = new DeliveriesRepository(deps.table, clock);
  const queue = new DelayedQueue<DeliveryMessage>(deps.sqs, deps.deliveryQueueUrl, clock);
  const guard = new AddressGuard({ allowLoopback: deps.allowInsecureUrls, resolver: deps.resolver });
  const agent = deps.dispatcher === undefined ? createGuardedAgent(guard) : undefined;
  const sender = new WebhookSender({ timeoutMs: deps.timeoutMs, clock, dispatcher: deps.dispatcher ?? agent! });
  return {
    clock,
    webhooks,
    deliveries,
    endpointUrls: new EndpointUrlPolicy({ allowInsecureUrls: deps.allowInsecureUrls }, guard),
    publisher: new EventPublisher({ webhooks, deliveries, queue, log }),
    deliverer: new Deliverer({
      webhooks,
      subscriptions,
      deliveries,
      queue,
      sender,
      health: new EndpointHealth({ webhooks, clock, log, metrics: deps.metrics }),
      clock,
      log,
      leaseMs: deps.timeoutMs + LEASE_MARGIN_MS,
      random: deps.random,
      metrics: deps.metrics,
      secretBox,
    }),
    redelivery: new Redelivery({ deliveries, queue, log }),
    tester: new WebhookTester({ sender, clock, secretBox }),
    secretBox,
    close: async () => {
      await agent?.close();
    },
  };
}
