import { CommanderError } from 'commander';
import { ExitStatus } from './context.ts';
import { CliError, toCliError, usageDetail, usageError } from './errors.ts';
import { Output, type Terminal } from './output.ts';
import { createProgram } from './program.ts';

/**
 * `nexus-relay` (bin/nexus-relay.mjs, or `npm run cli -- …`). Runs one command and returns its exit status; all it
 * reads and writes goes through `terminal`, so tests run it in their own process.
 * Failures print as the problem's title, detail and request id (or, with --json, the problem document on stdout);
 * never a stack trace.
 */
export async function main(argv: string[], terminal: Terminal): Promise<number> {
  // Known before parsing, so that a command line commander rejects is still reported as JSON.
  const json = argv.includes('--json');
  const program = createProgram(terminal, { json });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof ExitStatus) return error.code;
    const output = new Output(terminal, { json: program.opts().json === true || json });
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      // Human mode: commander has printed the message and the usage hint already.
      if (output.json) output.error(usageError(usageDetail(error.message)));
      return error.exitCode;
    }
    const failure = error instanceof CliError ? error : toCliError(error);
    output.error(failure);
    return failure.exitCode;
  }
}
