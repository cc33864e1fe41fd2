import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type LocalEngines, startEngines } from '../../infra/local/engines.ts';
import { type MxSimulator, startMxSimulator } from '../../sim/server.ts';
import { RetryLaterError } from '../../lib/aggregation/poll-service.ts';
import { createSqsClient } from '../../lib/aws/sqs-client.ts';
import { ManualClock } from '../../lib/clock.ts';
import { pollMessageSchema } from '../../lib/queue/poll-message.ts';
import { localServicesConfig } from '../../infra/local/local-services.ts';
import { type Relay, relayOf } from '../../infra/local/relay.ts';

/**
 * The aggregation machinery over real dynalite, fauxqs and the MX simulator, driven by ONE ManualClock shared by the
 * services and the simulator (as in test/integration/aggregation/poll-loop.test.ts). The poll queue is emulated by the
 * harness: each message the code sends (SendMessage on the poll queue, intercepted in the SQS client's middleware)
 * is kept with when SQS would have shown it — send time + the DelaySeconds the code asked for, whole seconds as SQS
 * counts them — and handed to the poll worker when the clock reaches that moment. Handlers take no simulated time.
 */
export interface AggregationHarness {
  clock: ManualClock;
  engines: LocalEngines;
  simulator: MxSimulator;
  relay: Relay;
  sqs: SQSClient;
  /** `GET /members/{guid}` calls MX saw, per member guid (counted as undici sends them). */
  memberReads: Map<string, number>;
  /** Every other MX call, by `METHOD route-ish`. */
  otherMxCalls: Map<string, number>;
  /** Poll messages taken off the queue and not yet handled (raw bodies), by when SQS would deliver them. */
  takePollMessages(): Promise<{ visibleAt: number; body: unknown }[]>;
  /**
   * Hands one message body to the poll worker as `worker-poll` would: a body that does not parse with the worker's
   * schema is dropped (sqs-batch-handler.ts logs and acknowledges it); a RetryLaterError means "SQS redelivers later".
   */
  deliverPoll(body: unknown): Promise<'done' | 'retry_later' | 'dropped'>;
  /** Poll messages the worker dropped as malformed, with why. */
  dropped: { body: unknown; issue: string }[];
  /** Turns MX push on: the simulator posts to a local endpoint that feeds mx-events' `push`. */
  /** MX push on, in one of the simulator's modes (`always`, `on_change`, `never`). */
  enablePush(mode?: 'always' | 'on_change' | 'never'): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  start: number;
  env?: Record<string, string>;
}

export async function startAggregationHarness(options: HarnessOptions): Promise<AggregationHarness> {
  const clock = new ManualClock(options.start);
  const engines = await startEngines();
  const simulator = await startMxSimulator({ clock, log: () => {} });
  const sqs = createSqsClient({ region: engines.region, sqsEndpoint: engines.sqsEndpoint });
  // The poll queue is the harness's own: a sent message is kept with when SQS would show it, and handed over by
  // takePollMessages. Other queues (webhook deliveries) are fauxqs.
  const pending: { visibleAt: number; body: unknown }[] = [];
  let sent = 0;
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { QueueUrl?: string; DelaySeconds?: number; MessageBody?: string };
      if (context.commandName !== 'SendMessageCommand' || input.QueueUrl !== engines.queueUrls.poll) return next(args);
      const body = JSON.parse(input.MessageBody ?? 'null') as unknown;
      pending.push({ visibleAt: clock.now() + (input.DelaySeconds ?? 0) * 1000, body });
      sent += 1;
      return { output: { MessageId: `bench-${sent}`, $metadata: {} }, response: {} } as unknown as Awaited<
        ReturnType<typeof next>
      >;
    },
    { step: 'initialize', name: 'benchPollQueue' },
  );
  const config = localServicesConfig(engines, simulator.url, options.env);
  const relay = relayOf(config, { clock, sqs });

  const simOrigin = new URL(simulator.url).origin;
  const memberReads = new Map<string, number>();
  const otherMxCalls = new Map<string, number>();
  const onRequest = (message: unknown) => {
    const { request } = message as { request: { origin: unknown; method: string; path: string } };
    const path = request.path.split('?')[0]!;
    if (!String(request.origin).startsWith(simOrigin) || path.startsWith('/_sim/')) return;
    const member = /^\/members\/([^/]+)$/.exec(path);
    if (request.method === 'GET' && member) memberReads.set(member[1]!, (memberReads.get(member[1]!) ?? 0) + 1);
    else {
      const key = `${request.method} ${path.replace(/MBR-[^/]+/, '{member_guid}').replace(/^\/sim-client\/users\/[^/]+/, '/{client_id}/users/{user_id}')}`;
      otherMxCalls.set(key, (otherMxCalls.get(key) ?? 0) + 1);
    }
  };
  subscribe('undici:request:create', onRequest);

  let pushServer: ReturnType<typeof createServer> | undefined;
  const dropped: { body: unknown; issue: string }[] = [];

  return {
    clock,
    engines,
    simulator,
    relay,
    sqs,
    memberReads,
    otherMxCalls,
    dropped,
    async takePollMessages() {
      return pending.splice(0, pending.length);
    },
    async deliverPoll(body) {
      const parsed = pollMessageSchema.safeParse(body);
      if (!parsed.success) {
        dropped.push({ body, issue: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
        return 'dropped';
      }
      try {
        await relay.workerPoll.poll.handle(parsed.data);
        return 'done';
      } catch (error) {
        if (error instanceof RetryLaterError) return 'retry_later';
        throw error;
      }
    },
    async enablePush(mode = 'always') {
      pushServer = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          relay.mxEvents.push.receive(Buffer.concat(chunks).toString('utf8')).then(
            () => response.writeHead(204).end(),
            () => response.writeHead(500).end(),
          );
        });
      });
      await new Promise<void>((resolve) => pushServer!.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(pushServer.address() as AddressInfo).port}/mx/webhooks`;
      const configured = await fetch(`${simulator.url}/_sim/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url, username: 'bench', password: 'bench-password', mode }),
      });
      if (!configured.ok) throw new Error(`could not turn MX push on: ${configured.status}`);
    },
    async close() {
      unsubscribe('undici:request:create', onRequest);
      await new Promise<void>((resolve) => (pushServer ? pushServer.close(() => resolve()) : resolve()));
      sqs.destroy();
      await simulator.close();
      await engines.stop();
    },
  };
}

/** Creates a member on the simulator with a scripted aggregation and, optionally, an institution. */
export async function createSimMember(
  simulatorUrl: string,
  spec: { userId: string; durationMs: number; institutionCode?: string; memberGuid?: string; transactionsCreated?: number },
): Promise<string> {
  const response = await fetch(`${simulatorUrl}/_sim/members`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      user_id: spec.userId,
      member_guid: spec.memberGuid,
      institution_code: spec.institutionCode,
      aggregation: {
        duration_ms: Math.round(spec.durationMs),
        final_status: 'CONNECTED',
        transactions: { add: spec.transactionsCreated ?? 0, update: 0 },
      },
    }),
  });
  if (response.status !== 201) throw new Error(`creating a simulator member failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { member: { guid: string } }).member.guid;
}

/** A binary min-heap of timed events; ties keep insertion order. */
export class EventQueue<T> {
  readonly #heap: { at: number; seq: number; value: T }[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  push(at: number, value: T): void {
    const heap = this.#heap;
    heap.push({ at, seq: this.#seq++, value });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  peekAt(): number | undefined {
    return this.#heap[0]?.at;
  }

  pop(): { at: number; value: T } | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (!top) return undefined;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && this.#less(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && this.#less(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return { at: top.at, value: top.value };
  }

  #less(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}
