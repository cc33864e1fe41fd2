import type { CallOptions, RelayClient } from '@nexus-relay/client';
import type { Command } from 'commander';
import { Output, type Terminal } from './output.ts';
import { relayClientFor } from './relay-client.ts';
import { SimClient } from './sim-client.ts';
import { type GlobalOptions, Targets } from './target.ts';

/** What a command's action works with, built from the global options. */
export interface Context {
  output: Output;
  targets: Targets;
  terminal: Terminal;
  api(): RelayClient;
  /** Per-call options from the global flags (`--idempotency-key`) for the command's POST or PUT. */
  calls: CallOptions;
  sim(): SimClient;
}

export function createContext(terminal: Terminal, globals: GlobalOptions): Context {
  const targets = new Targets(globals, terminal.env);
  return {
    output: new Output(terminal, { json: globals.json === true }),
    targets,
    terminal,
    api: () => relayClientFor(targets.api()),
    calls: globals.idempotencyKey === undefined ? {} : { idempotencyKey: globals.idempotencyKey },
    sim: () => new SimClient(targets.simulator()),
  };
}

/** How an action that printed its result ends the run with a non-zero exit status (`main` answers `code`). */
export class ExitStatus extends Error {
  override readonly name = 'ExitStatus';
  constructor(readonly code: number) {
    super(`exit status ${code}`);
  }
}

/**
 * A commander action: `fn` gets the context, then what commander passes (arguments, options, the command).
 * Its result is the exit code (0 when it returns nothing); what it throws, `main` reports.
 */
export function action<Args extends unknown[]>(
  terminal: Terminal,
  fn: (context: Context, ...args: Args) => Promise<number | void>,
) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args.at(-1) as Command;
    const context = createContext(terminal, command.optsWithGlobals<GlobalOptions>());
    const code = (await fn(context, ...(args as Args))) ?? 0;
    if (code !== 0) throw new ExitStatus(code);
  };
}
