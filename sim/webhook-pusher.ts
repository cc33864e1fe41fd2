import { type Clock, toIso } from './clock.ts';
import { settlesAt } from './aggregation-script.ts';
import type { MemberRegistry, SimMember } from './members.ts';
import type { AggregationRun } from './aggregation-script.ts';
import { payloadType, type SimWebhookPayload, type TransactionWebhook, webhookPayloadAt } from './webhook-payloads.ts';
import { pushedUnder, type WebhookTarget } from './webhook-target.ts';

/** The waits before the second, third and fourth attempt; after the fourth the push is given up. */
export const RETRY_DELAYS_MS: readonly number[] = [250, 1_000, 3_000];
const ATTEMPT_TIMEOUT_MS = 5_000;
/** setTimeout's longest wait (about 24.8 days); a later push re-arms its timer when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const ATTEMPTS_KEPT = 100;

/** One attempt, as `GET /_sim/webhooks` lists it. */
export interface PushAttempt {
  /** MX's `type`, or TRANSACTIONS. */
  type: string;
  member_guid: string;
  attempt: number;
  /** The receiver's HTTP status; null when it did not answer. */
  status: number | null;
  outcome: 'delivered' | 'retrying' | 'gave_up';
  at: string;
}

interface PendingPush {
  memberGuid: string;
  /**
   * The run reported on; its payload is decided when the push first fires, then resent as it is. Null for a push
   * about something outside a run (`pushNow`), whose payload is given.
   */
  jobGuid: string | null;
  dueAt: number;
  attemptsMade: number;
  payload: SimWebhookPayload | null;
  timer?: NodeJS.Timeout;
}

export interface WebhookPusherOptions {
  clock: Clock;
  members: MemberRegistry;
  /** True: pushes fire on real timers (system clock). False: only `deliverDue()` fires them (a ManualClock). */
  realTimers: boolean;
  /** Aborted when the simulator closes: timers are cleared and attempts in flight cut off. */
  shutdown: AbortSignal;
  log: (line: string) => void;
  /** The TRANSACTIONS webhooks for what a run changed, pushed as the run's own push fires. */
  transactionWebhooks?: (member: SimMember, run: AggregationRun, at: number) => TransactionWebhook[];
}

/**
 * MX's push side. Member state is computed from the clock, so when a run starts or changes (MFA answer) the
 * moment it stops aggregating is scheduled; then, if pushing is on, the webhook for the state it ended in is
 * POSTed to the target with HTTP Basic. A failed attempt is logged and retried a few times with short backoff.
 */
export class WebhookPusher {
  #target: WebhookTarget | null = null;
  readonly #pending = new Set<PendingPush>();
  readonly #attempts: PushAttempt[] = [];

  constructor(private readonly options: WebhookPusherOptions) {
    options.shutdown.addEventListener('abort', () => [...this.#pending].forEach((push) => this.#forget(push)), {
      once: true,
    });
  }

  get target(): WebhookTarget | null {
    return this.#target;
  }

  /** Turns pushing on (a target) or off (null). Pushes due while it is off are dropped. */
  configure(target: WebhookTarget | null): void {
    this.#target = target;
  }

  /** Schedules the push about the member's current run, replacing one about a run not yet attempted for this member. */
  runChanged(member: SimMember): void {
    if (!member.run) return;
    for (const push of this.#pending) {
      if (push.memberGuid === member.guid && push.jobGuid !== null && push.attemptsMade === 0) this.#forget(push);
    }
    this.#arm({
      memberGuid: member.guid,
      jobGuid: member.run.jobGuid,
      dueAt: settlesAt(member.run),
      attemptsMade: 0,
      payload: null,
    });
  }

  /**
   * Pushes `payload` about the member at once (under a ManualClock: at the next `deliverDue()`), with the same
   * target, mode, attempts and retries as a run's push: for what MX changes outside a run (a connection status).
   */
  pushNow(memberGuid: string, payload: SimWebhookPayload): void {
    this.#arm({ memberGuid, jobGuid: null, dueAt: this.options.clock.now(), attemptsMade: 0, payload });
  }

  /** Fires every push due at the clock's now and waits for the attempts: how pushes happen under a ManualClock. */
  async deliverDue(): Promise<void> {
    const now = this.options.clock.now();
    await Promise.all([...this.#pending].filter((push) => push.dueAt <= now).map((push) => this.#fire(push)));
  }

  /** The latest attempts, oldest first. */
  recentAttempts(): PushAttempt[] {
    return [...this.#attempts];
  }

  #arm(push: PendingPush): void {
    if (this.options.shutdown.aborted) return;
    this.#pending.add(push);
    if (this.options.realTimers) this.#startTimer(push);
  }

  #startTimer(push: PendingPush): void {
    const wait = Math.max(0, push.dueAt - this.options.clock.now());
    push.timer = setTimeout(
      () => {
        if (push.dueAt > this.options.clock.now()) this.#startTimer(push);
        else void this.#fire(push);
      },
      Math.min(wait, MAX_TIMER_MS),
    );
    push.timer.unref();
  }

  #forget(push: PendingPush): void {
    clearTimeout(push.timer);
    this.#pending.delete(push);
  }

  async #fire(push: PendingPush): Promise<void> {
    this.#forget(push);
    const target = this.#target;
    if (!target) return;
    if (!push.payload) {
      const member = this.options.members.member(push.memberGuid);
      if (!member || member.run?.jobGuid !== push.jobGuid) return;
      for (const webhook of this.options.transactionWebhooks?.(member, member.run, push.dueAt) ?? []) {
        this.pushNow(member.guid, webhook);
      }
      push.payload = webhookPayloadAt(member, push.dueAt);
      if (!push.payload) return;
    }
    if (push.attemptsMade === 0 && !pushedUnder(target.mode, { type: payloadType(push.payload), ...push.payload })) return;
    push.attemptsMade += 1;
    const status = await this.#post(target, push.payload);
    if (this.options.shutdown.aborted) return;

    const retryIn = RETRY_DELAYS_MS[push.attemptsMade - 1];
    const delivered = status !== null && status >= 200 && status < 300;
    const outcome = delivered ? 'delivered' : retryIn === undefined ? 'gave_up' : 'retrying';
    this.#record({
      type: payloadType(push.payload),
      member_guid: push.memberGuid,
      attempt: push.attemptsMade,
      status,
      outcome,
      at: toIso(this.options.clock.now()),
    });
    if (delivered) return;

    this.options.log(
      `mx-sim: ${payloadType(push.payload)} webhook for ${push.memberGuid} to ${target.url} failed ` +
        `(${status === null ? 'no answer' : `HTTP ${status}`}), attempt ${push.attemptsMade} of ${RETRY_DELAYS_MS.length + 1}` +
        (retryIn === undefined ? '; giving up' : `; retrying in ${retryIn} ms`),
    );
    if (retryIn !== undefined) this.#arm({ ...push, dueAt: this.options.clock.now() + retryIn, timer: undefined });
  }

  /** The receiver's status, or null when it did not answer in time (or the simulator is closing). */
  async #post(target: WebhookTarget, payload: SimWebhookPayload): Promise<number | null> {
    const credentials = Buffer.from(`${target.username}:${target.password}`, 'utf8').toString('base64');
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${credentials}` },
        body: JSON.stringify(payload),
        redirect: 'manual',
        signal: AbortSignal.any([this.options.shutdown, AbortSignal.timeout(ATTEMPT_TIMEOUT_MS)]),
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return null;
    }
  }

  #record(attempt: PushAttempt): void {
    this.#attempts.push(attempt);
    if (this.#attempts.length > ATTEMPTS_KEPT) this.#attempts.shift();
  }
}
