import { MDX_REALTIME_PATH } from '../../sim/mdx-realtime-routes.ts';
import type { Command } from 'commander';
import { CONFIG_VARIABLES } from '../../lib/config/variables.ts';
import { type MxTarget, mxTargetOf } from '../../infra/local/mx-target.ts';
import { ConfigError } from '../../lib/errors.ts';
import { checkConformance, contradicts, type FactCheck, MxCheckUsageError } from '../mx-check.ts';
import { action } from '../context.ts';
import { CliError, usageError } from '../errors.ts';
import { table, type Terminal } from '../output.ts';
import { ONBOARDING_PATH } from '../../sim/onboarding-routes.ts';
import { STACK_OUTPUTS } from '../../infra/stack-outputs.ts';
import { stackOutput } from '../stack-output.ts';
import {
  type AllowListEntry,
  egressAddresses,
  MxAllowList,
  type PartnerCredentials,
  PLATFORM_HOSTS,
  stackCredentials,
} from '../mx-allow-list.ts';

/** The simulator's public credentials and one of its seeded users (sim/). */
const SIMULATOR = { clientId: 'sim-client', apiKey: 'sim-api-key', userId: 'sim-user-pfm' };

/**
 * Which MX, by the local stack's rule (infra/local/mx-target.ts): none of its settings is the simulator; some without
 * the rest, or one the relay would refuse, is a usage error naming them.
 */
function targetOf(env: Record<string, string | undefined>): MxTarget {
  try {
    return mxTargetOf(env);
  } catch (error) {
    if (error instanceof ConfigError) throw usageError(error.message);
    throw error;
  }
}

interface CheckOptions {
  user?: string;
  aggregate?: string;
  method?: string;
  createUser?: string;
  checkSessionBody?: boolean;
}

/** `mx check`: which of the client's assumptions hold for the MX your configuration points at. */
export function registerMx(program: Command, terminal: Terminal): void {
  const mx = program.command('mx').description('MX itself, as the relay sees it');
  mx.command('check')
    .description(
      'read-only conformance pass against MX (MX_BASE_URL, MX_SSO_BASE_URL, MX_REALTIME_BASE_URL, MX_CLIENT_ID and MX_API_KEY, all or none; none: the local simulator): ' +
        'which documented and UNCONFIRMED facts hold; exit 1 on a contradiction',
    )
    .option('--user <user_id>', 'an existing MX user to act as (required against a real MX)')
    .option('--aggregate <member_guid>', 'also aggregate this member once and follow it to its end (the only write)')
    .option('--method <GET|POST>', 'the aggregate method to try (default: MX_AGGREGATE_METHOD, as the relay reads it)')
    .option('--create-user <user_id>', 'also make this new user at MDX Real Time and delete it again (acts at MX)')
    .option(
      '--check-session-body',
      'also open a second session as the relay does and check that no member started aggregating (acts at MX if MX ignores skip_aggregation)',
    )
    .action(
      action(terminal, async ({ output, targets, terminal: term }, options: CheckOptions) => {
        const target = targetOf(term.env);
        const simulatorUrl = target.kind === 'simulator' ? targets.simulator() : undefined;
        const {
          baseUrl: dataBaseUrl,
          ssoBaseUrl,
          realtimeBaseUrl,
          credentials,
        } = target.kind === 'mx'
          ? target
          : {
              baseUrl: simulatorUrl!,
              ssoBaseUrl: simulatorUrl!,
              realtimeBaseUrl: `${simulatorUrl!}${MDX_REALTIME_PATH}`,
              credentials: SIMULATOR,
            };
        const userId = options.user ?? (target.kind === 'simulator' ? SIMULATOR.userId : undefined);
        if (!userId) throw usageError('--user <user_id>: an existing MX user to act as');
        pathSegment('--user', 'user', userId);
        if (options.aggregate !== undefined) pathSegment('--aggregate', 'member', options.aggregate);
        if (options.createUser !== undefined) {
          pathSegment('--create-user', 'user', options.createUser);
          if (options.createUser === userId) throw usageError('--create-user <user_id>: a new user id, not --user’s');
        }
        const method = aggregateMethodOf(options.method, term.env.MX_AGGREGATE_METHOD);

        let checks: FactCheck[];
        try {
          checks = await checkConformance({
            dataBaseUrl,
            ssoBaseUrl,
            realtimeBaseUrl,
            credentials,
            userId,
            aggregateMethod: method,
            aggregateMember: options.aggregate,
            createUser: options.createUser,
            checkSessionBody: options.checkSessionBody,
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

  registerAllowList(mx, terminal);

  mx.command('webhook-url')
    .description(
      "the URL to give MX for its webhooks (every type): a deployed stack's MxWebhooksUrl output (--env), or --url (mx-events' function URL, whatever the trailing slash) or the local stack joined to /mx/webhooks",
    )
    .option('--env <env>', 'a deployed environment (dev, staging, prod): its MxWebhooksUrl output')
    .option('--region <region>', 'its region (default: the AWS CLI’s)')
    .action(
      action(terminal, async ({ output, targets }, options: { env?: string; region?: string }) => {
        const url = options.env
          ? await stackOutput(options.env, options.region, STACK_OUTPUTS.mxWebhooksUrl, {
              title: 'No webhooks URL',
              code: 'no_webhooks_url',
            })
          : `${targets.url()}/mx/webhooks`;
        // MX's webhooks come to mx-events' function URL, not the API (decision 0034): the API would answer 404.
        if (new URL(url).hostname.includes('.execute-api.')) {
          throw usageError(`${url} is the API's: MX's webhooks go to mx-events' function URL (--env <env> reads it).`);
        }
        output.result({ url }, () => [
          url,
          output.style.dim(
            'MX sends it HTTP Basic: the MX webhook credentials (deployed: secret nexus-relay/<env>/mx-webhook-credentials).',
          ),
        ]);
        return 0;
      }),
    );
}

interface AllowListOptions {
  env?: string;
  region?: string;
  address?: string[];
  platformUrl?: string;
  register?: boolean;
}

/**
 * `mx egress` and `mx allow-list`: the addresses a deployed stack calls MX from, and where MX's allow-list stands on
 * them (MX answers only allow-listed static addresses: docs/operations.md → MX's allow-list).
 */
function registerAllowList(mx: Command, terminal: Terminal): void {
  mx.command('egress')
    .description('the addresses a deployed stack calls MX from (its MxEgressAddresses output): give them to MX to allow-list')
    .requiredOption('--env <env>', 'the deployed environment (dev, staging, prod)')
    .option('--region <region>', 'its region (default: the AWS CLI’s)')
    .action(
      action(terminal, async ({ output }, options: { env: string; region?: string }) => {
        const addresses = await egressAddresses(options.env, options.region);
        output.result({ env: options.env, addresses }, () => [
          ...addresses,
          output.style.dim(
            `Register them with \`nexus-relay mx allow-list --env ${options.env} --register\`, or in MX's Client Dashboard.`,
          ),
        ]);
        return 0;
      }),
    );

  mx.command('allow-list')
    .description(
      "where MX's IP allow-list (its onboarding API) stands on the stack's addresses; --register adds the missing ones. " +
        'Credentials: MX_CLIENT_ID and MX_API_KEY, else the stack’s secret; none of --env, --platform-url: the local simulator',
    )
    .option('--env <env>', 'a deployed environment: its MxEgressAddresses and its MX credentials secret')
    .option('--region <region>', 'its region (default: the AWS CLI’s)')
    .option('--address <ip...>', 'these addresses instead of a stack’s (an office, a CI runner)')
    .option(
      '--platform-url <url>',
      `MX's Platform API (default ${PLATFORM_HOSTS.integration}; ${PLATFORM_HOSTS.production} for --env prod)`,
    )
    .option('--register', 'add each address MX does not list (MX answers PENDING until it approves it)')
    .action(
      action(terminal, async ({ output, targets, terminal: term }, options: AllowListOptions) => {
        const addresses = options.address ?? (options.env ? await egressAddresses(options.env, options.region) : undefined);
        if (!addresses || addresses.length === 0) throw usageError('--env <env> or --address <ip…>: the addresses to look up');
        const local = options.env === undefined && options.platformUrl === undefined;
        const baseUrl = (
          options.platformUrl ??
          (local
            ? `${targets.simulator()}${ONBOARDING_PATH}`
            : options.env === 'prod'
              ? PLATFORM_HOSTS.production
              : PLATFORM_HOSTS.integration)
        ).replace(/\/+$/, '');
        const fromEnv = term.env.MX_CLIENT_ID && term.env.MX_API_KEY;
        const credentials: PartnerCredentials = fromEnv
          ? { clientId: term.env.MX_CLIENT_ID!, apiKey: term.env.MX_API_KEY! }
          : local
            ? { clientId: SIMULATOR.clientId, apiKey: SIMULATOR.apiKey }
            : options.env
              ? await stackCredentials(options.env, options.region)
              : (() => {
                  throw usageError(
                    'MX_CLIENT_ID and MX_API_KEY (or --env, to read the stack’s secret): the partner’s credentials',
                  );
                })();
        const allowList = new MxAllowList(baseUrl, credentials);
        const entries: (AllowListEntry & { registered?: true })[] = [];
        for (const address of addresses) {
          const entry = await allowList.entry(address);
          entries.push(
            options.register && entry.status === 'absent' ? { ...(await allowList.add(address)), registered: true } : entry,
          );
        }
        const missing = entries.filter((entry) => entry.status === 'absent').length;
        output.result({ mx: baseUrl, addresses: entries }, () => [
          ...table(
            ['address', 'MX', ''],
            entries.map((entry) => [entry.address, entry.status, 'registered' in entry ? 'registered now' : '']),
            output.style,
          ),
          missing > 0
            ? output.style.red(`${missing} not on MX's allow-list: rerun with --register (or add them in MX's Client Dashboard)`)
            : output.style.dim(
                'MX approves a new address within about 15 minutes in the U.S., days elsewhere (PENDING until then).',
              ),
        ]);
        return missing > 0 ? 1 : 0;
      }),
    );
}

/** A value sent as one segment of an MX path: not empty, "." or "..", which would name another path. */
function pathSegment(flag: string, names: string, value: string): void {
  if (value === '' || value === '.' || value === '..') throw usageError(`${flag} must name one ${names}, not "${value}"`);
}

/** The aggregate method: `--method`, else MX_AGGREGATE_METHOD, each read as the relay's configuration reads it. */
function aggregateMethodOf(option: string | undefined, variable: string | undefined): 'GET' | 'POST' {
  const { MX_AGGREGATE_METHOD } = CONFIG_VARIABLES;
  const [name, raw] = option !== undefined ? ['--method', option] : ['MX_AGGREGATE_METHOD', variable];
  if (raw === undefined || raw === '') return MX_AGGREGATE_METHOD.default!;
  const reading = MX_AGGREGATE_METHOD.read(raw);
  if ('invalid' in reading) throw usageError(`${name} ${reading.invalid}`);
  return reading.value;
}

function verdictMark(check: FactCheck, style: { green(t: string): string; red(t: string): string; dim(t: string): string }) {
  if (check.verdict === 'holds') return style.green('holds');
  if (check.verdict === 'differs') return style.red('differs');
  return style.dim('not checked');
}
