import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRelayClient } from '@nexus-relay/client';
import { readStackFile, stackFilePath, type StackFile } from '../infra/local/stack-file.ts';
import { startVerifyingReceiver as startReceiver, type VerifiedEvent } from './support/verifying-receiver.ts';

export type { VerifiedEvent };

/**
 * `npm run demo`: the product end to end against a running `npm start`. Subscribes a local receiver, scripts three
 * members at the MX simulator (one succeeds, one asks an MFA question, one fails) and connects a fourth as an app's
 * user would (a widget URL from the relay, its Connect page posted as a browser posts it), refreshes them, answers the MFA
 * question when `aggregation.action_required` arrives, verifies every webhook with `standardwebhooks` and prints it,
 * and exits 0 only when every expected event arrived before the timeout. Event-driven: nothing waits a fixed time.
 */

export interface Target {
  url: string;
  apiKey: string;
  simulatorUrl: string;
  /** Where the target came from, for messages. */
  source: string;
}

/** Thrown for problems the user fixes outside the demo (no stack, a stack without the simulator): exit code 2. */
export class DemoSetupError extends Error {
  override name = 'DemoSetupError';
}

const NO_STACK_HINT =
  'Start one with `npm start` in another terminal and run `npm run demo` again, or point the demo at a stack with ' +
  'NEXUS_RELAY_URL, NEXUS_RELAY_API_KEY and NEXUS_RELAY_SIM_URL.';

/**
 * The stack to run against: NEXUS_RELAY_URL, NEXUS_RELAY_API_KEY and NEXUS_RELAY_SIM_URL when set, else the stack
 * file `npm start` writes (`.local/stack.json`, or NEXUS_RELAY_STACK_FILE): the stack whose process is alive.
 */
export async function resolveTarget(env: Record<string, string | undefined> = process.env): Promise<Target> {
  const explicit = ['NEXUS_RELAY_URL', 'NEXUS_RELAY_API_KEY', 'NEXUS_RELAY_SIM_URL'] as const;
  const given = explicit.filter((name) => env[name]);
  if (given.length > 0) {
    const missing = explicit.filter((name) => !env[name]);
    if (missing.length > 0) throw new DemoSetupError(`Set ${missing.join(' and ')} too (with ${given.join(', ')}).`);
    return {
      url: trimSlash(env.NEXUS_RELAY_URL!),
      apiKey: env.NEXUS_RELAY_API_KEY!,
      simulatorUrl: trimSlash(env.NEXUS_RELAY_SIM_URL!),
      source: 'NEXUS_RELAY_URL',
    };
  }
  const file = stackFilePath(env);
  let stack: StackFile | undefined;
  try {
    stack = readStackFile(file);
  } catch (error) {
    throw new DemoSetupError(`${(error as Error).message}. ${NO_STACK_HINT}`);
  }
  if (!stack) {
    throw new DemoSetupError(`No running nexus-relay stack found: ${file} is missing or its process is gone. ${NO_STACK_HINT}`);
  }
  if (!stack.simulatorUrl) {
    throw new DemoSetupError(
      `The stack at ${stack.url} talks to a real MX, not the simulator: the demo scripts its members at the simulator. ` +
        'Run it against `npm start` without MX credentials.',
    );
  }
  return { url: trimSlash(stack.url), apiKey: stack.apiKey, simulatorUrl: trimSlash(stack.simulatorUrl), source: file };
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * Fails with a helpful message unless both the gateway and the simulator answer (any answer: a dead URL is refused
 * at once; the timeout is for one that swallows packets, and generous, as a loaded machine answers late).
 */
export async function checkReachable(target: Target): Promise<void> {
  const probe = async (url: string) => {
    try {
      await fetch(url, { signal: AbortSignal.timeout(10_000) }).then((response) => response.body?.cancel());
      return true;
    } catch {
      return false;
    }
  };
  if (!(await probe(`${target.url}/console`))) {
    throw new DemoSetupError(`No nexus-relay stack answers at ${target.url} (from ${target.source}). ${NO_STACK_HINT}`);
  }
  if (!(await probe(`${target.simulatorUrl}/_sim/stats`))) {
    throw new DemoSetupError(
      `The MX simulator does not answer at ${target.simulatorUrl} (from ${target.source}). ${NO_STACK_HINT}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What the demo expects

export interface DemoMember {
  /** 1, 2, 3. */
  n: number;
  label: string;
  guid: string;
  /** Event types that must all arrive (in any order: deliveries are not ordered). */
  expected: string[];
  /** The MFA answer, for the member that is challenged. */
  answer?: string;
  jobId?: string;
  received: string[];
  unexpected: string[];
  resumed?: 'sending' | 'answered' | { error: string };
}

export type MemberState = 'waiting' | 'done' | 'unexpected';

/** Collects the verified events of the demo's members and says what is still missing. */
export class DemoTracker {
  readonly members: DemoMember[];
  readonly rejected: string[] = [];
  private readonly seen = new Set<string>();

  constructor(members: Pick<DemoMember, 'n' | 'label' | 'guid' | 'expected' | 'answer'>[]) {
    this.members = members.map((member) => ({ ...member, received: [], unexpected: [] }));
  }

  /** The member an event is about, or undefined for other activity on the stack. */
  memberOf(event: VerifiedEvent): DemoMember | undefined {
    const guid = event.data.job?.member_guid ?? event.data.member?.guid;
    return this.members.find((member) => member.guid === guid);
  }

  /** Records a verified event; false when it is not the demo's or was seen before (same `webhook-id`). */
  record(event: VerifiedEvent): boolean {
    const member = this.memberOf(event);
    if (!member || this.seen.has(event.id)) return false;
    this.seen.add(event.id);
    if (event.data.job?.id) member.jobId ??= event.data.job.id;
    if (member.expected.includes(event.type) && !member.received.includes(event.type)) member.received.push(event.type);
    else member.unexpected.push(event.type);
    return true;
  }

  state(member: DemoMember): MemberState {
    if (member.unexpected.length > 0 || (typeof member.resumed === 'object' && member.resumed !== null)) return 'unexpected';
    return member.expected.every((type) => member.received.includes(type)) ? 'done' : 'waiting';
  }

  /** True once nothing more can change the outcome: every member done, or anything went wrong. */
  settled(): boolean {
    if (this.rejected.length > 0) return true;
    const states = this.members.map((member) => this.state(member));
    return states.includes('unexpected') || states.every((state) => state === 'done');
  }

  passed(): boolean {
    return this.rejected.length === 0 && this.members.every((member) => this.state(member) === 'done');
  }

  /** One line per thing that is missing or wrong; empty when the demo passed. */
  problems(): string[] {
    const lines: string[] = [];
    for (const member of this.members) {
      const missing = member.expected.filter((type) => !member.received.includes(type));
      const who = `member ${member.n} (${member.label}, ${member.guid})`;
      if (missing.length > 0) lines.push(`${who}: missing ${missing.join(', ')}`);
      if (member.unexpected.length > 0) lines.push(`${who}: unexpected ${member.unexpected.join(', ')}`);
      if (typeof member.resumed === 'object' && member.resumed !== null) {
        lines.push(`${who}: answering the MFA question failed: ${member.resumed.error}`);
      }
    }
    for (const rejection of this.rejected) lines.push(`a delivery failed verification: ${rejection}`);
    return lines;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Output: each verified event as a line; on a terminal, a live status block under them

const useColor = (stream: NodeJS.WriteStream) => Boolean(stream.isTTY) && !process.env.NO_COLOR;

export class Display {
  private drawn = 0;
  private readonly color: boolean;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly status: () => string[],
  ) {
    this.color = useColor(stream);
  }

  get live(): boolean {
    return Boolean(this.stream.isTTY);
  }

  paint(code: string, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  /** Prints lines above the status block (plain lines when not on a terminal). */
  log(...lines: string[]): void {
    this.erase();
    for (const line of lines) this.stream.write(`${line}\n`);
    this.draw();
  }

  /** Redraws the status block (terminal only). */
  refresh(): void {
    if (!this.live) return;
    this.erase();
    this.draw();
  }

  /** Removes the status block for good (before the final report). */
  stop(): void {
    this.erase();
    this.drawn = -1;
  }

  private erase(): void {
    if (this.live && this.drawn > 0) this.stream.write(`\x1b[${this.drawn}A\r\x1b[J`);
    if (this.drawn > 0) this.drawn = 0;
  }

  private draw(): void {
    if (!this.live || this.drawn < 0) return;
    const lines = this.status();
    for (const line of lines) this.stream.write(`${line}\n`);
    this.drawn = lines.length;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP to the simulator's control API (the relay is called through the client kit)

class HttpError extends Error {
  override name = 'HttpError';
}

async function simCall(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown } = {},
): Promise<{ status: number; body: any }> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new HttpError(`${method} ${base}${path} failed: ${(error as Error).message}`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

function expectStatus(result: { status: number; body: any }, status: number, what: string) {
  if (result.status !== status) {
    const detail = result.body?.detail ?? result.body?.error?.message ?? JSON.stringify(result.body);
    throw new HttpError(
      `${what}: expected ${status}, got ${result.status}${result.body?.code ? ` ${result.body.code}` : ''}: ${detail}`,
    );
  }
  return result.body;
}

/**
 * A member connected as an app's user connects one: a Connect widget URL from the relay, and its page (the
 * simulator's MX Connect) filled in and posted as the browser would — MX Bank, a username and a password.
 */
async function connectThroughWidget(
  relay: ReturnType<typeof createRelayClient>,
  simulatorUrl: string,
  userId: string,
): Promise<string> {
  const { url } = await relay.users.widgetUrl(userId, { widget_type: 'connect_widget', use_cases: ['PFM'] });
  const page = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  const html = await page.text();
  const data = /const CONNECT = (\{.*?\});\n/.exec(html)?.[1];
  if (page.status !== 200 || !data) throw new HttpError(`GET ${url}: expected the Connect page, got ${page.status}`);
  const connect = JSON.parse(data) as {
    page: string;
    institutions: { code: string; guid: string; credentials: { guid: string; type: string }[] }[];
  };
  const bank = connect.institutions.find((institution) => institution.code === 'mxbank') ?? connect.institutions[0]!;
  const credentials = bank.credentials.map((credential) => ({
    guid: credential.guid,
    value: credential.type === 'PASSWORD' ? 'demo-password' : 'demo-user',
  }));
  const answer = await simCall(simulatorUrl, 'POST', `/_sim/widgets/${connect.page}/members`, {
    body: { institution_guid: bank.guid, credentials },
  });
  return expectStatus(answer, 201, 'the Connect page').member_guid as string;
}

// ---------------------------------------------------------------------------------------------------------------
// The demo

export interface DemoOptions {
  target: Target;
  timeoutMs: number;
  out: NodeJS.WriteStream;
  /** Aborting (Ctrl-C) stops waiting; the webhook is still deleted. */
  signal?: AbortSignal;
}

const SCRIPTS = [
  {
    label: 'succeeds',
    aggregation: { duration_ms: 3_000, final_status: 'CONNECTED' },
    expected: ['aggregation.started', 'aggregation.succeeded'],
    describe: 'aggregates for 3 s, ends CONNECTED',
  },
  {
    label: 'needs MFA',
    aggregation: {
      duration_ms: 3_000,
      final_status: 'CONNECTED',
      challenge: { label: 'What is the name of your first pet?', answer: 'Rex' },
    },
    expected: ['aggregation.started', 'aggregation.action_required', 'aggregation.succeeded'],
    describe: 'asks an MFA question after 3 s; the demo answers it',
  },
  {
    label: 'fails',
    aggregation: { duration_ms: 3_000, final_status: 'FAILED' },
    expected: ['aggregation.started', 'aggregation.failed'],
    describe: 'aggregates for 3 s, ends FAILED',
  },
] as const;

/** Runs the demo; resolves true when every expected webhook arrived, verified, before the timeout. */
export async function runDemo({ target, timeoutMs, out, signal }: DemoOptions): Promise<boolean> {
  const startedAt = performance.now();
  const elapsed = () => `${((performance.now() - startedAt) / 1000).toFixed(1).padStart(5)} s`;
  const run = randomBytes(3).toString('hex');
  const userId = `demo-${run}`;
  let tracker: DemoTracker | undefined;
  let webhookId: string | undefined;
  let wake: () => void = () => {};
  const relay = createRelayClient({ baseUrl: target.url, apiKey: target.apiKey, timeoutMs: 15_000 });

  const display = new Display(out, () => statusBlock());
  const ok = (text: string) => display.paint('32', text);
  const bad = (text: string) => display.paint('31', text);
  const dim = (text: string) => display.paint('2', text);
  const width = Math.max(...SCRIPTS.map((script) => script.label.length));
  const name = (member: DemoMember) => `#${member.n} ${member.label.padEnd(width)}`;

  function statusBlock(): string[] {
    if (!tracker) return [];
    const lines = tracker.members.map((member) => {
      const marks = member.expected.map((type) => {
        const short = type.replace('aggregation.', '');
        return member.received.includes(type) ? ok(`✓ ${short}`) : dim(`· ${short}`);
      });
      const extra = member.unexpected.map((type) => bad(`✗ ${type.replace('aggregation.', '')}`));
      const state = tracker!.state(member);
      const word = state === 'done' ? ok('done') : state === 'unexpected' ? bad('unexpected') : 'waiting';
      return `  ${name(member)}  ${[...marks, ...extra].join('  ')}  ${word}`;
    });
    const done = tracker.members.filter((member) => tracker!.state(member) === 'done').length;
    lines.push(dim(`  ${done}/${tracker.members.length} members done · ${elapsed().trim()} of ${timeoutMs / 1000} s`));
    return lines;
  }

  const receiver = await startReceiver(
    (event) => {
      if (!tracker?.record(event)) return;
      const member = tracker.memberOf(event)!;
      const expected = member.expected.includes(event.type) && !member.unexpected.includes(event.type);
      const status = event.data.member?.connection_status ?? event.data.job?.connection_status ?? '';
      const question = event.data.job?.challenges?.map((challenge) => `"${challenge.label}"`).join(', ');
      display.log(
        `${dim(elapsed())}  ${expected ? ok('✓ verified') : bad('✗ verified')}  ${event.type.padEnd(28)} ${name(member)}  ` +
          `${event.data.job?.id ?? ''} ${status}${question ? ` ${question}` : ''}`,
      );
      if (event.type === 'aggregation.action_required' && member.answer && !member.resumed) void answer(member, event);
      wake();
    },
    (reason) => {
      tracker?.rejected.push(reason);
      display.log(`${dim(elapsed())}  ${bad('✗ rejected')}  a delivery failed signature verification: ${reason}`);
      wake();
    },
  );

  async function answer(member: DemoMember, event: VerifiedEvent): Promise<void> {
    member.resumed = 'sending';
    try {
      const challenges = (event.data.job?.challenges ?? []).map((challenge) => ({ guid: challenge.guid, value: member.answer! }));
      const job = await relay.members.resume(
        { user_id: userId, member_guid: member.guid, challenges },
        { idempotencyKey: `demo-${run}-resume-${member.n}` },
      );
      member.resumed = 'answered';
      display.log(`${dim(elapsed())}  → answered the MFA question of #${member.n} with "${member.answer}": job ${job.status}`);
    } catch (error) {
      member.resumed = { error: (error as Error).message };
      display.log(
        `${dim(elapsed())}  ${bad('✗')} answering the MFA question of #${member.n} failed: ${(error as Error).message}`,
      );
    }
    wake();
  }

  const ticker = display.live ? setInterval(() => display.refresh(), 250) : undefined;
  try {
    display.log(`nexus-relay demo against ${target.url} (simulator ${target.simulatorUrl}; from ${target.source})`);

    const webhook = await relay.webhooks.create({
      url: receiver.url,
      event_types: ['aggregation.*'],
      description: 'npm run demo',
    });
    webhookId = webhook.id;
    receiver.useSecret(webhook.secret);
    display.log(`receiver ${receiver.url} subscribed as ${webhookId}; every delivery is verified with standardwebhooks`);

    const members = [];
    for (const [i, script] of SCRIPTS.entries()) {
      const created = await simCall(target.simulatorUrl, 'POST', '/_sim/members', {
        body: { user_id: userId, name: `Demo ${script.label}`, aggregation: script.aggregation },
      });
      const member = expectStatus(created, 201, 'POST /_sim/members').member as { guid: string };
      members.push({
        n: i + 1,
        label: script.label,
        guid: member.guid,
        expected: [...script.expected],
        ...('challenge' in script.aggregation ? { answer: script.aggregation.challenge.answer } : {}),
      });
      display.log(`simulator member #${i + 1} ${member.guid} of user ${userId}: ${script.describe}`);
    }
    const connected = await connectThroughWidget(relay, target.simulatorUrl, userId);
    members.push({
      n: members.length + 1,
      label: 'connected',
      guid: connected,
      expected: ['aggregation.started', 'aggregation.succeeded'],
    });
    display.log(`member #${members.length} ${connected} of user ${userId}: connected through the Connect page of a widget URL`);
    tracker = new DemoTracker(members);

    const settled = new Promise<'settled' | 'timeout' | 'interrupted'>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      signal?.addEventListener('abort', () => resolve('interrupted'), { once: true });
      wake = () => {
        if (!tracker!.settled()) return display.refresh();
        clearTimeout(timer);
        resolve('settled');
      };
    });

    for (const member of tracker.members) {
      const job = await relay.members.refresh(
        { user_id: userId, member_guid: member.guid },
        { idempotencyKey: `demo-${run}-refresh-${member.n}` },
      );
      member.jobId ??= job.id;
      display.log(`${dim(elapsed())}  → refresh #${member.n}: job ${job.id} ${job.status}`);
    }

    const outcome = await settled;
    display.stop();
    if (ticker) clearInterval(ticker);

    out.write('\n');
    for (const member of tracker.members) {
      const state = tracker.state(member);
      const mark = state === 'done' ? ok('✓') : bad('✗');
      const events = [...member.received, ...member.unexpected.map((type) => `${type} (unexpected)`)];
      out.write(`${mark} #${member.n} ${member.label.padEnd(width)}  ${events.join(' → ') || 'no events'}\n`);
    }
    if (tracker.passed()) {
      const count = tracker.members.reduce((sum, member) => sum + member.received.length, 0);
      out.write(ok(`\ndemo passed: ${count} webhooks, every one verified, in ${elapsed().trim()}\n`));
      return true;
    }
    const why = { timeout: ` (timed out after ${timeoutMs / 1000} s)`, interrupted: ' (interrupted)', settled: '' }[outcome];
    out.write(bad(`\ndemo failed${why}:\n`));
    for (const line of tracker.problems()) out.write(`  - ${line}\n`);
    for (const member of tracker.members.filter((m) => m.jobId && tracker!.state(m) !== 'done')) {
      const job = await relay.jobs.get(member.jobId!).catch(() => undefined);
      if (job) out.write(`  - job ${member.jobId} of #${member.n} is ${job.status} (${job.connection_status ?? '?'})\n`);
    }
    return false;
  } finally {
    display.stop();
    if (ticker) clearInterval(ticker);
    if (webhookId) {
      const failure = await relay.webhooks.delete(webhookId).then(
        () => undefined,
        (error: Error) => error.message,
      );
      out.write(
        failure === undefined
          ? dim(`webhook ${webhookId} deleted\n`)
          : `could not delete webhook ${webhookId} (${failure}): delete it with DELETE /webhooks/${webhookId}\n`,
      );
    }
    await receiver.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { timeout: { type: 'string', default: '60' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    console.log(
      [
        'usage: npm run demo [-- --timeout <seconds>]',
        '',
        'Runs three refreshes against a running `npm start` (one succeeds, one needs MFA and is answered, one fails)',
        'and prints every webhook as it arrives, verified with standardwebhooks. Exits 0 only if all expected events',
        'arrived within the timeout (default 60 s).',
        '',
        'Target: NEXUS_RELAY_URL, NEXUS_RELAY_API_KEY and NEXUS_RELAY_SIM_URL, else the stack file `npm start` writes',
        '(.local/stack.json, or NEXUS_RELAY_STACK_FILE).',
      ].join('\n'),
    );
    return 0;
  }
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    console.error(`--timeout must be a positive number of seconds, got "${values.timeout}"`);
    return 2;
  }
  try {
    const target = await resolveTarget();
    await checkReachable(target);
    const interrupt = new AbortController();
    process.once('SIGINT', () => interrupt.abort());
    const passed = await runDemo({ target, timeoutMs: timeoutSeconds * 1000, out: process.stdout, signal: interrupt.signal });
    return passed ? 0 : 1;
  } catch (error) {
    if (error instanceof DemoSetupError) {
      console.error(error.message);
      return 2;
    }
    console.error(`demo failed: ${error instanceof HttpError ? error.message : ((error as Error).stack ?? String(error))}`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
