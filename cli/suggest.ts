/**
 * A command line to suggest, as the user can run it from where they are: `npm run cli -- …` when the CLI runs through
 * that script (a clone, the README's way), `nexus-relay …` when it runs as an installed bin (`npm link`, a global
 * install). One place, so every hint the CLI prints runs as shown.
 */
export function suggest(args: string): string {
  return process.env.npm_lifecycle_event === 'cli' ? `npm run cli -- ${args}` : `nexus-relay ${args}`;
}
