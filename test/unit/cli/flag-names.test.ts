import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../../cli/program.ts';

/** Every command of the tree, with its path (`webhooks deliveries`). */
function commandsOf(command: Command, path: string[] = []): { path: string; command: Command }[] {
  return command.commands.flatMap((sub) => [
    { path: [...path, sub.name()].join(' '), command: sub },
    ...commandsOf(sub, [...path, sub.name()]),
  ]);
}

describe('CLI flags: one name per meaning across commands (issue 38 #6)', () => {
  const program = createProgram({ stdout: { write: () => true }, stderr: { write: () => true }, env: {} }, { json: false });
  const options = commandsOf(program).flatMap(({ path, command }) =>
    command.options.map((option) => ({ path, flag: option.long!, description: option.description })),
  );

  it('a page size is --per-page everywhere; a cap on records is --max; no --limit or --count', () => {
    const pageSizes = options.filter((o) => /\bper (MX )?page\b/.test(o.description));
    expect(pageSizes.length).toBeGreaterThanOrEqual(4);
    expect(pageSizes.filter((o) => o.flag !== '--per-page')).toEqual([]);
    expect(options.filter((o) => o.flag === '--limit' || o.flag === '--count')).toEqual([]);
    expect(options.filter((o) => o.flag === '--max').map((o) => o.description)).not.toContain(expect.stringMatching(/per page/));
  });
});
