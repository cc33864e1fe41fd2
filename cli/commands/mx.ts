import type { Command } from 'commander';
import { checkConformance, contradicts, type FactCheck, MxCheckUsageError } from '../mx-check.ts';
import { action } from '../context.ts';
import { CliError, usageError } from '../errors.ts';
import { table, type Terminal } from '../output.ts';

/** The simulator's public credentials and one of its seeded users (sim/). */
const SIMULATOR = { clientId: 'sim-client', apiKey: 'sim-api-key', userId: 'sim-user-pfm' };

interface CheckOptions {
  user?: string;
  aggregate?: string;
  method?: string;
}

/** `mx check`: which of the client's assumptions hold for the MX your configuration points at. */
export function registerMx(program: Command, terminal: Terminal): void {
  const mx = program.command('mx').description('MX itself, as the relay sees it');
  mx.command('check')
    .description(
      'read-only conformance pass against MX (MX_BASE_URL, MX_SSO_BASE_URL, MX_CLIENT_ID, MX_API_KEY; default: the local simulator): ' +
        'which documented and UNCONFIRMED facts hold; exit 1 on a contradiction',
    )
    .option('--user <user_id>', 'an existing MX user to act as (required against a real MX)')
    .option('--aggregate <member_guid>', 'also aggregate this member once and follow it to its end (the only write)')
    .option('--method <GET|POST>', 'the aggregate method to try (default: MX_AGGREGATE_METHOD or GET)')
    .action(
      action(terminal, async ({ output, targets, terminal: term }, options: CheckOptions) => {
        const env = term.env;
        const real = env.MX_BASE_URL !== undefined && env.MX_BASE_URL !== '';
        const simulatorUrl = real ? undefined : targets.simulator();
        const dataBaseUrl = env.MX_BASE_URL || simulatorUrl!;
        const ssoBaseUrl = env.MX_SSO_BASE_URL || (real ? undefined : simulatorUrl);
        if (!ssoBaseUrl) throw usageError('set MX_SSO_BASE_URL (the SSO host) along with MX_BASE_URL');
        const credentials = real
          ? { clientId: env.MX_CLIENT_ID ?? '', apiKey: env.MX_API_KEY ?? '' }
          : { clientId: SIMULATOR.clientId, apiKey: SIMULATOR.apiKey };
        if (!credentials.clientId || !credentials.apiKey)
          throw usageError('set MX_CLIENT_ID and MX_API_KEY along with MX_BASE_URL');
        const userId = options.user ?? (real ? undefined : SIMULATOR.userId);
        if (!userId) throw usageError('--user <user_id>: an existing MX user to act as');
        const method = (options.method ?? env.MX_AGGREGATE_METHOD ?? 'GET').toUpperCase();
        if (method !== 'GET' && method !== 'POST') throw usageError('--method must be GET or POST');

        let checks: FactCheck[];
        try {
          checks = await checkConformance({
            dataBaseUrl,
            ssoBaseUrl,
            credentials,
            userId,
            aggregateMethod: method,
            aggregateMember: options.aggregate,
          });
        } catch (error) {
          if (error instanceof MxCheckUsageError) throw usageError(error.message);
          throw new CliError(
            { title: 'MX unreachable', detail: `${dataBaseUrl}: ${(error as Error).message}`, code: 'mx_unreachable' },
            { cause: error },
          );
        }
        const failed = contradicts(checks);
        output.result({ mx: dataBaseUrl, user_id: userId, contradiction: failed, checks }, () => [
          ...table(
            ['fact', 'source', 'verdict', 'observed'],
            checks.map((check) => [check.id, check.source, verdictMark(check, output.style), check.observed]),
            output.style,
          ),
          '',
          failed
            ? output.style.red(
                'MX contradicts the client on the facts marked "differs": see docs/runbook.md and the MX reference notes',
              )
            : output.style.green('every fact checked holds'),
        ]);
        return failed ? 1 : 0;
      }),
    );
}

function verdictMark(check: FactCheck, style: { green(t: string): string; red(t: string): string; dim(t: string): string }) {
  if (check.verdict === 'holds') return style.green('holds');
  if (check.verdict === 'differs') return style.red('differs');
  return style.dim('not checked');
}
