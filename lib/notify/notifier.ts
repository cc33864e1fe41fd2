import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { NotifyMetrics } from './notify-metrics.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { SecretBox } from '../secret-box.ts';
import type { DeliveriesRepository } from './deliveries-repo.ts';
import type { DeliveryLogReader } from './delivery-log.ts';
import type { WaitingDeliveries } from './waiting-deliveries.ts';
import type { WebhooksRepository } from './webhooks-repo.ts';
import type { WindowCounter } from '../store/rate-limit-repo.ts';
import { DeliveryPace } from './delivery-pace.ts';
import { AddressGuard, type Resolver } from './address-guard.ts';
import { WebhookSender } from './attempt.ts';
import { DELIVERY_PATIENCE_MS, Deliverer, LEASE_MARGIN_MS } from './deliverer.ts';
import type { DeliveryMessage } from './delivery-message.ts';
import { EndpointHealth } from './endpoint-health.ts';
import { EndpointUrlPolicy } from './endpoint-url.ts';
import { createGuardedAgent } from './guarded-agent.ts';
import { Redelivery } from './redelivery.ts';
import { WebhookCache } from './webhook-cache.ts';
import { WebhookTester } from './webhook-tester.ts';

/** Where webhooks and deliveries are kept and delivery attempts queued. */
export interface DeliveryStore {
  webhooks: WebhooksRepository;
  deliveries: DeliveriesRepository;
  deliveryLog: DeliveryLogReader;
  waiting: WaitingDeliveries;
  queue: DelayedQueue<DeliveryMessage>;
  /** Only the delivery worker, which consumes it, needs it. */
  slowQueue?: DelayedQueue<DeliveryMessage>;
  /** Per-second counters of the webhooks that set a rate. */
  windows: WindowCounter;
}

export interface NotifierDeps extends DeliveryStore {
  clock: Clock;
  log: Log;
  timeoutMs: number;
  /** How long an attempt waits for an answer before it moves to the slow lane. */
  patienceMs?: number;
  /** Local mode: local http endpoints and loopback addresses are allowed. */
  allowInsecureUrls: boolean;
  resolver?: Resolver;
  random?: () => number;
  metrics: NotifyMetrics;
  /** Seals signing secrets at rest. */
  secretBox: SecretBox;
}

export interface Notifier {
  clock: Clock;
  webhooks: WebhooksRepository;
  deliveries: DeliveriesRepository;
  deliveryLog: DeliveryLogReader;
  endpointUrls: EndpointUrlPolicy;
  deliverer: Deliverer;
  redelivery: Redelivery;
  tester: WebhookTester;
  secretBox: SecretBox;
  /** Closes the agent's connections (tests; a Lambda container keeps them until it is frozen). */
  close(): Promise<void>;
}

/** The webhook product over `deps`' store; events are published by an EventPublisher over the same store. */
export function createNotifier(deps: NotifierDeps): Notifier {
  const { clock, log, secretBox, webhooks, deliveries, deliveryLog, waiting, queue } = deps;
  const webhookCache = new WebhookCache(webhooks, clock);
  const guard = new AddressGuard({ allowLoopback: deps.allowInsecureUrls, resolver: deps.resolver });
  // Every attempt goes through the guard: no option sends one around it.
  const agent = createGuardedAgent(guard);
  const sender = new WebhookSender({ timeoutMs: deps.timeoutMs, clock, dispatcher: agent });
  const redelivery = new Redelivery({ deliveries, deliveryLog, waiting, queue, log });
  const leaseMs = deps.timeoutMs + LEASE_MARGIN_MS;
  return {
    clock,
    webhooks,
    deliveries,
    deliveryLog,
    endpointUrls: new EndpointUrlPolicy({ allowInsecureUrls: deps.allowInsecureUrls }, guard),
    deliverer: new Deliverer({
      webhooks,
      webhookCache,
      deliveries,
      queue,
      ...(deps.slowQueue ? { slowLane: { queue: deps.slowQueue, patienceMs: deps.patienceMs ?? DELIVERY_PATIENCE_MS } } : {}),
      sender,
      health: new EndpointHealth({
        webhooks,
        resume: (webhook) => redelivery.resumeWaiting(webhook),
        probeLeaseMs: leaseMs,
        clock,
        log,
        metrics: deps.metrics,
      }),
      clock,
      log,
      leaseMs,
      random: deps.random,
      metrics: deps.metrics,
      pace: new DeliveryPace({ counter: deps.windows, clock }),
      secretBox,
    }),
    redelivery,
    tester: new WebhookTester({ sender, clock, secretBox }),
    secretBox,
    close: async () => {
      await agent.close();
    },
  };
}
