import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type Dispatcher, Pool } from 'undici';
import { startEngines } from '../infra/local/engines.ts';
import { ManualClock } from '../lib/clock.ts';
import { startMxSimulator } from '../sim/server.ts';
import { localServicesConfig } from '../infra/local/local-services.ts';
import { relayOf } from '../infra/local/relay.ts';
import { type BenchResult, type TargetCheck, table } from './support/report.ts';
import { fmt } from './support/stats.ts';

/**
 * Transactions sync against the naive client. A user with 10,000 transactions built over 100 simulated days (100
 * aggregations of 100, a day apart, as MX's history grows); then one aggregation adds 25 and updates 25. Each side
 * syncs twice — the first time (everything), then after that aggregation — and we count the MX calls it caused, the
 * bytes MX sent, and the time the relay took. The naive client re-lists every transaction (MX's `/transactions`, all
 * pages of 1,000) each time. Simulator and relay run on one ManualClock, over dynalite.
 */
const DAYS = 100;
const PER_DAY = 100;
const CHANGED = { add: 25, update: 25 };
const TARGETS = { incrementalCalls: 3, incrementalBytesShare: 0.05 };
const DAY_MS = 24 * 3600_000;

interface Measure {
  calls: number;
  bytes: number;
  ms: number;
}

/** MX calls (SSO, sessions and data) and the body bytes MX answered with, as undici sees them. */
function meterMx(origin: string) {
  const requests = new WeakSet<object>();
  const totals = { calls: 0, bytes: 0 };
  const onCreate = (message: unknown) => {
    const { request } = message as { request: { origin: unknown; path: string } };
    if (!String(request.origin).startsWith(origin) || request.path.startsWith('/_sim/')) return;
    requests.add(request);
    totals.calls += 1;
  };
  const onHeaders = (message: unknown) => {
    const { request, response } = message as { request: object; response: { headers: Buffer[] } };
    if (!requests.has(request)) return;
    for (let i = 0; i < response.headers.length; i += 2) {
      if (response.headers[i]!.toString('latin1').toLowerCase() === 'content-length') {
        totals.bytes += Number(response.headers[i + 1]!.toString('latin1'));
      }
    }
  };
  subscribe('undici:request:create', onCreate);
  subscribe('undici:request:headers', onHeaders);
  return {
    async measure(work: () => Promise<unknown>): Promise<Measure> {
      const before = { ...totals };
      const started = performance.now();
      await work();
      return { calls: totals.calls - before.calls, bytes: totals.bytes - before.bytes, ms: performance.now() - started };
    },
    stop() {
      unsubscribe('undici:request:create', onCreate);
      unsubscribe('undici:request:headers', onHeaders);
    },
  };
}

/** The client that does without sync: every transaction, every time (MX's `/transactions`, 1,000 a page). */
async function naiveListAll(dispatcher: Dispatcher, simulatorUrl: string, userId: string): Promise<number> {
  const headers = { accept: 'application/vnd.mx.nexus.v1+json', 'content-type': 'application/vnd.mx.nexus.v1+json' };
  const sso = await dispatcher.request({
    origin: simulatorUrl,
    path: `/sim-client/users/${userId}/api_token.json`,
    method: 'GET',
    headers: { 'MD-API-KEY': 'sim-api-key', accept: 'application/vnd.moneydesktop.sso.v3+json' },
  });
  const token = ((await sso.body.json()) as { api_token: { token: string } }).api_token.token;
  const session = await dispatcher.request({
    origin: simulatorUrl,
    path: '/sessions',
    method: 'POST',
    headers: { ...headers, 'MD-API-TOKEN': token },
    // As MX documents: a session opened without it aggregates every member of the user, adding to what is compared.
    body: JSON.stringify({ session: { skip_aggregation: true } }),
  });
  const sessionToken = ((await session.body.json()) as { session: { token: string } }).session.token;
  let count = 0;
  for (let page = 1; ; page++) {
    const answer = await dispatcher.request({
      origin: simulatorUrl,
      path: `/transactions?page=${page}&records_per_page=1000`,
      method: 'GET',
      headers: { ...headers, 'MD-SESSION-TOKEN': sessionToken },
    });
    const body = (await answer.body.json()) as { transactions: unknown[]; pagination: { total_pages: number } };
    count += body.transactions.length;
    if (page >= body.pagination.total_pages) return count;
  }
}

export async function run(): Promise<BenchResult> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const engines = await startEngines();
  const simulator = await startMxSimulator({ clock, log: () => {} });
  const { apiRead } = relayOf(localServicesConfig(engines, simulator.url), { clock });
  const naive = new Pool(simulator.url);
  const control = (path: string, body: unknown) =>
    fetch(`${simulator.url}${path}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
  const meter = meterMx(new URL(simulator.url).origin);
  try {
    const userId = 'bench-sync-user';
    const member = (
      await control('/_sim/members', {
        user_id: userId,
        // None of its own: the workload is exactly what the aggregations add.
        transactions: 0,
        aggregation: { duration_ms: 1000, final_status: 'CONNECTED', transactions: { add: PER_DAY, update: 0 } },
      })
    ).member.guid as string;
    for (let day = 0; day < DAYS; day++) {
      await apiRead.nexus.aggregateMember(userId, member);
      clock.advance(DAY_MS);
    }

    // First syncs: everything.
    let pages = 0;
    let received = 0;
    let cursor: string | undefined;
    const relayFirst = await meter.measure(async () => {
      for (;;) {
        const page = await apiRead.transactions.sync(userId, { cursor, count: 500 });
        pages += 1;
        received += page.added.length + page.modified.length;
        cursor = page.next_cursor;
        if (!page.has_more) break;
      }
    });
    let naiveCount = 0;
    const naiveFirst = await meter.measure(async () => (naiveCount = await naiveListAll(naive, simulator.url, userId)));

    // One aggregation changes 50: the next syncs.
    await control('/_sim/members', {
      user_id: userId,
      member_guid: member,
      aggregation: { duration_ms: 1000, final_status: 'CONNECTED', transactions: CHANGED },
    });
    await apiRead.nexus.aggregateMember(userId, member);
    clock.advance(DAY_MS / 2);
    let changes = { added: 0, modified: 0 };
    const relayNext = await meter.measure(async () => {
      for (;;) {
        const page = await apiRead.transactions.sync(userId, { cursor, count: 500 });
        changes = { added: changes.added + page.added.length, modified: changes.modified + page.modified.length };
        cursor = page.next_cursor;
        if (!page.has_more) break;
      }
    });
    const naiveNext = await meter.measure(() => naiveListAll(naive, simulator.url, userId));

    const bytesShare = relayNext.bytes / naiveNext.bytes;
    const exact = changes.added === CHANGED.add && changes.modified === CHANGED.update && received === DAYS * PER_DAY;
    const checks: TargetCheck[] = [
      {
        target: `Sync: incremental sync after an aggregation that changed ${CHANGED.add + CHANGED.update} of ${DAYS * PER_DAY} transactions ≤ ${TARGETS.incrementalCalls} MX calls`,
        measured: `${relayNext.calls} MX call(s)`,
        met: relayNext.calls <= TARGETS.incrementalCalls && exact,
      },
      {
        target: `Sync: incremental sync ≤ ${TARGETS.incrementalBytesShare * 100} % of the naive client's MX bytes`,
        measured: `${fmt(bytesShare * 100, 2)} % (${fmt(relayNext.bytes / 1024, 0)} KiB vs ${fmt(naiveNext.bytes / 1024, 0)} KiB)`,
        met: bytesShare <= TARGETS.incrementalBytesShare && exact,
      },
    ];
    const row = (name: string, m: Measure) => [name, m.calls, fmt(m.bytes / 1024, 0), fmt(m.ms, 0)];
    const markdown = [
      `**Targets:** after an aggregation that changed ${CHANGED.add + CHANGED.update} transactions, an incremental sync makes ≤ ${TARGETS.incrementalCalls} MX calls and reads ≤ ${TARGETS.incrementalBytesShare * 100} % of the bytes the naive client reads.`,
      '',
      `**Workload:** one user, one member; ${DAYS} aggregations a simulated day apart each add ${PER_DAY} transactions (${DAYS * PER_DAY} in all, their \`updated_at\` spread over ${DAYS} days); ` +
        `then one aggregation adds ${CHANGED.add} and updates ${CHANGED.update} (the newest, as transactions post). The relay's first sync pages 500 at a time; the naive client lists MX's \`/transactions\` (1,000 a page) each time. ` +
        "MX calls and the bytes of MX's answers are counted on the wire (undici diagnostics channel, `content-length`); time is wall time of the calls, dynalite and the simulator in this process.",
      '',
      table(
        ['sync', 'MX calls', 'MX KiB', 'time, ms'],
        [
          row('relay, first (everything)', relayFirst),
          row('naive, first (everything)', naiveFirst),
          row(`relay, after the aggregation (${changes.added} added, ${changes.modified} modified)`, relayNext),
          row('naive, after the aggregation (everything again)', naiveNext),
        ],
      ),
      '',
      `The relay's first sync handed out ${received} transactions in ${pages} pages (the naive client listed ${naiveCount}); it reads MX's whole list once, ` +
        "then only `updated_between` from the day before its last read: after the aggregation that is the last two days' transactions plus the changed ones, one page. " +
        (exact
          ? 'Every change was handed out exactly once.'
          : '**The sync did not hand out exactly the changes — see the counts.**'),
    ].join('\n');
    return { id: 'sync', title: '6. Transactions sync', markdown, checks };
  } finally {
    meter.stop();
    await naive.close();
    await simulator.close();
    await engines.stop();
  }
}
