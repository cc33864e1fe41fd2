import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { usageDetail } from './errors.ts';
import { registerConnect } from './commands/connect.ts';
import { registerMx } from './commands/mx.ts';
import { registerDlq } from './commands/dlq.ts';
import { registerJobs } from './commands/jobs.ts';
import { registerKeys } from './commands/keys.ts';
import { registerMemberWrites } from './commands/members.ts';
import { registerReads } from './commands/reads.ts';
import { registerPremiumJobs, registerRefresh } from './commands/refresh.ts';
import { registerResume } from './commands/resume.ts';
import { registerSim } from './commands/sim.ts';
import { registerTransactions } from './commands/transactions.ts';
import { registerWebhooks } from './commands/webhooks.ts';
import type { Terminal } from './output.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const TARGETS_HELP = `
Targets:
  By default every command talks to the local stack that \`npm start\` runs (it writes .local/stack.json;
  NEXUS_RELAY_STACK_FILE picks another file). For a deployed stack pass --url and --api-key, or set
  NEXUS_RELAY_URL / NEXUS_RELAY_API_KEY (flags win over the environment, which wins over the stack file).
  \`keys\` talks to DynamoDB: the local table, or --table NAME [--region R] with your AWS credentials.

Output:
  Human text, coloured on a terminal unless NO_COLOR is set. --json prints one JSON document (errors too,
  as a problem document) for scripts. Exit status: 0 ok, 1 error; \`refresh --watch\` and \`resume --watch\`:
  0 succeeded, 2 action_required, 1 failed/timed_out.

Examples:
  nexus-relay sim member add user-1 --aggregation-seconds 3
  nexus-relay refresh user-1 MBR-… --watch
  nexus-relay resume user-1 MBR-… --answer CRD-…=123456 --watch
  nexus-relay accounts user-1
  nexus-relay keys create --name billing-app --user user-1
  nexus-relay webhooks add https://example.com/hooks --events aggregation.succeeded,aggregation.failed
  nexus-relay --url https://api.example.com --api-key "$KEY" jobs list user-1 --json`;

/** The whole command tree. Output and exit behaviour are set before the subcommands are added, which inherit them. */
export function createProgram(terminal: Terminal, options: { json: boolean }): Command {
  const program = new Command('nexus-relay')
    .description('Operate nexus-relay: API keys, webhooks, refreshes and jobs, and the local MX simulator.')
    .version(version, '-V, --version')
    .option('--json', 'print one JSON document (results and errors) for scripts')
    .option('--url <url>', 'the nexus-relay API (env NEXUS_RELAY_URL; default: the local stack)')
    .option('--api-key <key>', 'API key for --url (env NEXUS_RELAY_API_KEY; default: the local stack’s)')
    .option('--sim-url <url>', 'the MX simulator, for `sim` (env NEXUS_RELAY_SIM_URL; default: the local stack’s)')
    .option('--idempotency-key <key>', 'Idempotency-Key of POST/PUT calls (default: random per run)')
    .addHelpText('after', TARGETS_HELP)
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => terminal.stdout.write(text),
      // In JSON mode the usage error is reported as a problem document on stdout instead (see main).
      writeErr: (text) => (options.json ? undefined : terminal.stderr.write(text)),
      outputError: (text, write) => write(`error: ${usageDetail(text)}\n`),
    });

  registerKeys(program, terminal);
  registerWebhooks(program, terminal);
  registerConnect(program, terminal);
  registerRefresh(program, terminal);
  registerPremiumJobs(program, terminal);
  registerResume(program, terminal);
  registerJobs(program, terminal);
  registerTransactions(program, terminal);
  registerReads(program, terminal);
  registerMemberWrites(program, terminal);
  registerSim(program, terminal);
  registerDlq(program, terminal);
  registerMx(program, terminal);
  return program;
}
