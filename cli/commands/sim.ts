import { suggest } from '../suggest.ts';
import { type Command, InvalidArgumentError } from 'commander';
import { integerArg, listArg, numberArg } from '../arguments.ts';
import { action } from '../context.ts';
import { usageError } from '../errors.ts';
import { fields, table, type Terminal } from '../output.ts';

interface MemberAddOptions {
  member?: string;
  name?: string;
  institution?: string;
  institutionGuid?: string;
  useCases?: string[];
  aggregationSeconds?: number;
  outcome?: string;
  challenge?: string;
  answer?: string;
  accounts?: number;
  transactions?: number;
}

interface FaultOptions {
  errorRate?: number;
  status?: number;
  errorMix?: Record<string, number>;
  latencyMs?: number;
  latencyJitterMs?: number;
  retryAfter?: number;
  dropRate?: number;
  expireSessions?: boolean;
  clear?: boolean;
}

interface SimMember {
  guid: string;
  user_guid: string;
  name: string;
  institution_code: string;
  use_cases: string[] | null;
  connection_status: string;
  is_being_aggregated: boolean;
}

/** `503=0.1,429=0.05` → `{"503":0.1,"429":0.05}`. */
function errorMixArg(value: string): Record<string, number> {
  const mix: Record<string, number> = {};
  for (const entry of listArg(value)) {
    const match = /^(\d{3})=([0-9.]+)$/.exec(entry);
    if (!match || !Number.isFinite(Number(match[2]))) throw new InvalidArgumentError('must look like 503=0.1,429=0.05.');
    mix[match[1]!] = Number(match[2]);
  }
  return mix;
}

const upper = (value: string) => value.trim().toUpperCase();

export function registerSim(program: Command, terminal: Terminal): void {
  const sim = program
    .command('sim')
    .description('the local MX simulator’s control API (members and their aggregations, faults, call counts)');
  const member = sim.command('member').description('simulated MX members');

  member
    .command('add')
    .description('create (or re-script) a member whose next aggregations run as scripted; creates the user on first use')
    .argument('<user_id>', 'the partner’s user id (created on first use)')
    .option('--member <member_guid>', 're-script this member (MBR-…) instead of creating one')
    .option('--name <name>', 'the member’s name')
    .option('--institution <code>', 'institution code (default mxbank)')
    .option('--institution-guid <guid>', 'institution guid (INS-…)')
    .option('--use-cases <list>', 'PFM,MONEY_MOVEMENT (default: none set, which permits everything)', (value) =>
      listArg(value).map(upper),
    )
    .option('--aggregation-seconds <n>', 'how long each aggregation runs (default 2)', numberArg(0, 365 * 86_400))
    .option('--outcome <status>', 'connection status it ends in: CONNECTED (default), FAILED, DENIED, LOCKED…', upper)
    .option('--challenge <label>', 'end CHALLENGED with this MFA question (needs --answer)')
    .option('--answer <answer>', 'the right answer to --challenge')
    .option('--accounts <n>', 'accounts the member holds (default 2; 0: none)', integerArg(0, 20))
    .option('--transactions <n>', 'transactions across its accounts (default 30)', integerArg(0, 1000))
    .action(
      action(terminal, async ({ output, sim: client }, userId: string, options: MemberAddOptions) => {
        if ((options.challenge === undefined) !== (options.answer === undefined))
          throw usageError('--challenge and --answer go together');
        const scripted =
          options.aggregationSeconds !== undefined || options.outcome !== undefined || options.challenge !== undefined;
        const body = {
          user_id: userId,
          ...(options.member === undefined ? {} : { member_guid: options.member }),
          ...(options.name === undefined ? {} : { name: options.name }),
          ...(options.institution === undefined ? {} : { institution_code: options.institution }),
          ...(options.institutionGuid === undefined ? {} : { institution_guid: options.institutionGuid }),
          ...(options.useCases === undefined ? {} : { use_cases: options.useCases }),
          ...(options.accounts === undefined ? {} : { accounts: options.accounts }),
          ...(options.transactions === undefined ? {} : { transactions: options.transactions }),
          ...(scripted
            ? {
                aggregation: {
                  ...(options.aggregationSeconds === undefined
                    ? {}
                    : { duration_ms: Math.round(options.aggregationSeconds * 1000) }),
                  ...(options.outcome === undefined ? {} : { final_status: options.outcome }),
                  ...(options.challenge === undefined ? {} : { challenge: { label: options.challenge, answer: options.answer } }),
                },
              }
            : {}),
        };
        const answer = await client().call<{ member: SimMember }>('POST', '/_sim/members', body);
        const script = `${options.aggregationSeconds ?? 2}s → ${options.challenge ? `CHALLENGED (“${options.challenge}”)` : (options.outcome ?? 'CONNECTED')}`;
        output.result(answer, () =>
          fields(
            [
              ['member', output.style.bold(answer.member.guid)],
              ['user', userId],
              ['institution', answer.member.institution_code],
              ['use cases', answer.member.use_cases?.join(',') ?? 'any'],
              ['status', answer.member.connection_status],
              ['aggregation', script],
              ['refresh', output.style.dim(suggest(`refresh ${userId} ${answer.member.guid} --watch`))],
            ],
            output.style,
          ),
        );
      }),
    );

  sim
    .command('faults')
    .description('the simulator’s fault injection on every MX call: without options, as it stands; with, replaced')
    .option('--error-rate <p>', 'share of calls answered with --status (0–1)', numberArg(0, 1))
    .option('--status <code>', 'the error status: 500, 502, 503 (default), 504 or 429', integerArg(100, 599))
    .option(
      '--error-mix <mix>',
      'several statuses with their shares, e.g. 503=0.1,429=0.05 (instead of --error-rate/--status)',
      errorMixArg,
    )
    .option('--latency-ms <ms>', 'added to every call', integerArg(0, 3_600_000))
    .option('--latency-jitter-ms <ms>', 'plus or minus this much at random', integerArg(0, 3_600_000))
    .option('--retry-after <seconds>', 'Retry-After on the error answers', integerArg(0, 86_400))
    .option('--drop-rate <p>', 'share of calls whose connection is dropped without an answer (0–1)', numberArg(0, 1))
    .option('--expire-sessions', 'end every MX session that exists now (the next data call gets a 401)')
    .option('--clear', 'no faults')
    .action(
      action(terminal, async ({ output, sim: client }, options: FaultOptions) => {
        const settings = {
          ...(options.errorRate === undefined ? {} : { error_rate: options.errorRate }),
          ...(options.status === undefined ? {} : { status: options.status }),
          ...(options.errorMix === undefined ? {} : { error_mix: options.errorMix }),
          ...(options.latencyMs === undefined ? {} : { latency_ms: options.latencyMs }),
          ...(options.latencyJitterMs === undefined ? {} : { latency_jitter_ms: options.latencyJitterMs }),
          ...(options.retryAfter === undefined ? {} : { retry_after_s: options.retryAfter }),
          ...(options.dropRate === undefined ? {} : { drop_rate: options.dropRate }),
        };
        const given = Object.keys(settings).length > 0;
        if (options.clear && given) throw usageError('--clear goes alone (or with --expire-sessions)');
        const body = { ...settings, ...(options.expireSessions ? { expire_sessions: true } : {}) };
        // No option: the faults as they stand.
        const asked = options.clear || given || options.expireSessions;
        const answer = asked
          ? await client().call<{ faults: Record<string, unknown> }>('POST', '/_sim/faults', body)
          : await client().call<{ faults: Record<string, unknown> }>('GET', '/_sim/faults');
        output.result({ ...answer, ...(options.expireSessions ? { sessions_expired: true } : {}) }, () => [
          ...fields(
            Object.entries(answer.faults).map(([name, value]): [string, string] => [
              name,
              typeof value === 'object' ? JSON.stringify(value) : String(value),
            ]),
            output.style,
          ),
          ...(options.expireSessions ? ['Every existing MX session is now expired.'] : []),
        ]);
      }),
    );

  sim
    .command('institutions')
    .description('every bank the simulator lists, with its guid and what it supports (MX’s search needs a word of the name)')
    .action(
      action(terminal, async ({ output, sim: client }) => {
        const { institutions } = await client().call<{
          institutions: { code: string; guid: string; name: string; supports_oauth: boolean }[];
        }>('GET', '/_sim/institutions');
        output.result({ institutions }, () =>
          table(
            ['NAME', 'GUID', 'CODE', 'OAUTH'],
            institutions.map((institution) => [
              institution.name,
              institution.guid,
              institution.code,
              institution.supports_oauth ? 'yes' : 'no',
            ]),
            output.style,
          ),
        );
      }),
    );

  sim
    .command('stats')
    .description('MX-side calls the simulator answered, by route (or by member)')
    .option('--members', 'per member instead of per route')
    .option('--reset', 'print the counts, then set them to zero')
    .action(
      action(terminal, async ({ output, sim: client }, options: { members?: boolean; reset?: boolean }) => {
        const simulator = client();
        const reset = async () => {
          if (options.reset) await simulator.call('POST', '/_sim/reset');
        };
        if (options.members) {
          const stats = await simulator.call<{ members: Record<string, Record<string, number>> }>('GET', '/_sim/stats/members');
          await reset();
          const rows = Object.entries(stats.members).flatMap(([guid, calls]) =>
            Object.entries(calls).map(([route, count]) => [guid, route, String(count)]),
          );
          output.result({ ...stats, ...(options.reset ? { reset: true } : {}) }, () =>
            rows.length === 0 ? ['No member calls.'] : table(['MEMBER', 'ROUTE', 'CALLS'], rows, output.style),
          );
          return;
        }
        const stats = await simulator.call<{ calls: Record<string, number>; paths: string[] }>('GET', '/_sim/stats');
        await reset();
        const rows = Object.entries(stats.calls)
          .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
          .map(([route, count]) => [route, String(count)]);
        output.result({ ...stats, ...(options.reset ? { reset: true } : {}) }, () => [
          ...(rows.length === 0 ? ['No MX calls yet.'] : table(['ROUTE', 'CALLS'], rows, output.style)),
          ...(options.reset ? [output.style.dim('(counts reset)')] : []),
        ]);
      }),
    );
}
