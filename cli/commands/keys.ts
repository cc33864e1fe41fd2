import type { Command } from 'commander';
import { API_KEY_MARKER, generateApiKey } from '../../lib/api-keys.ts';
import type { ApiKeyRecord } from '../../lib/store/api-keys-repo.ts';
import { action } from '../context.ts';
import { CliError, usageError } from '../errors.ts';
import { withKeyStore } from '../key-store.ts';
import { fields, type Styles, table, type Terminal } from '../output.ts';

interface TableOptions {
  table?: string;
  region?: string;
}

/** A key as the CLI shows it: never its hash, never the key (which is not stored anyway). */
const keyView = (record: ApiKeyRecord) => ({
  prefix: record.prefix ?? null,
  name: record.name,
  user_id: record.userId ?? null,
  created_at: record.createdAt,
  revoked_at: record.revokedAt ?? null,
  last_used_at: record.lastUsedAt ?? null,
});

const shownPrefix = (prefix: string | null) => (prefix === null ? '(none)' : `${API_KEY_MARKER}${prefix}…`);

export function registerKeys(program: Command, terminal: Terminal): void {
  const keys = program
    .command('keys')
    .description('API keys, straight in DynamoDB: the local stack’s table, or a deployed one with --table')
    .option('--table <name>', 'a deployed table (AWS default credential chain); default: the local stack’s')
    .option('--region <region>', 'region of --table (default: AWS_REGION / your AWS profile)');

  keys
    .command('create')
    .description('create a key; it is printed once and only its SHA-256 is stored')
    .requiredOption('--name <name>', 'what the key is for (shown by `keys list`)')
    .option('--user <user_id>', 'bind the key to one user (a client-app key); default: a server key')
    .action(
      action(terminal, async ({ output, targets }, options: { name: string; user?: string }, command: Command) => {
        const name = options.name.trim();
        if (name === '') throw usageError('--name must not be empty');
        const generated = generateApiKey();
        const record: ApiKeyRecord = {
          hash: generated.hash,
          prefix: generated.prefix,
          name,
          ...(options.user === undefined ? {} : { userId: options.user }),
          createdAt: new Date().toISOString(),
        };
        const created = await withKeyStore(targets.table(parentOptions(command)), (repository) => repository.create(record));
        if (!created)
          throw new CliError({
            title: 'Key not created',
            detail: 'A key with this hash already exists; run it again.',
            code: 'conflict',
          });
        output.result(
          { key: generated.key, prefix: generated.prefix, name, user_id: options.user ?? null, created_at: record.createdAt },
          () => [
            ...fields(
              [
                ['key', output.style.bold(generated.key)],
                ['prefix', shownPrefix(generated.prefix)],
                ['name', name],
                ['user', options.user ?? 'none (server key)'],
              ],
              output.style,
            ),
            output.style.yellow('Store the key now: it is not shown again (only its SHA-256 is kept).'),
          ],
        );
      }),
    );

  keys
    .command('list')
    .description('list keys (prefix, name, user, created, revoked, last used); never hashes or keys')
    .action(
      action(terminal, async ({ output, targets }, _options: object, command: Command) => {
        const records = await withKeyStore(targets.table(parentOptions(command)), (repository) => repository.list());
        const views = records.map(keyView);
        output.result({ keys: views }, () => keysTable(views, output.style));
      }),
    );

  keys
    .command('revoke')
    .description('revoke a key by its prefix (as `keys list` shows it) or its SHA-256; revoking stays')
    .argument('<prefix>', 'the key’s prefix (with or without nxr_) or its SHA-256 hex')
    .action(
      action(terminal, async ({ output, targets }, ref: string, _options: object, command: Command) => {
        const result = await withKeyStore(targets.table(parentOptions(command)), (repository) =>
          repository.revoke(ref.trim(), new Date().toISOString()),
        );
        if (result.outcome === 'not_found') {
          throw new CliError({ title: 'Resource not found', status: 404, detail: `No API key ${ref}.`, code: 'not_found' });
        }
        if (result.outcome === 'ambiguous') {
          throw new CliError({
            title: 'Ambiguous key prefix',
            detail: `${result.matches.length} keys have the prefix ${ref} (${result.matches.map((match) => match.name).join(', ')}); revoke by SHA-256.`,
            code: 'conflict',
          });
        }
        const view = keyView(result.record);
        const alreadyRevoked = result.outcome === 'already_revoked';
        output.result({ key: view, already_revoked: alreadyRevoked }, () =>
          alreadyRevoked
            ? `${shownPrefix(view.prefix)} (${view.name}) was already revoked at ${view.revoked_at}.`
            : `${output.style.green('Revoked')} ${shownPrefix(view.prefix)} (${view.name}) at ${view.revoked_at}; ` +
              'running API instances stop accepting it within their key cache TTL (60 s).',
        );
      }),
    );
}

/** `--table`/`--region` live on `keys`, so they may come before or after the subcommand. */
const parentOptions = (command: Command): TableOptions => command.optsWithGlobals<TableOptions>();

function keysTable(views: ReturnType<typeof keyView>[], style: Styles): string[] {
  if (views.length === 0) return ['No API keys.'];
  return table(
    ['PREFIX', 'NAME', 'USER', 'CREATED', 'STATUS', 'LAST USED'],
    views.map((view) => [
      shownPrefix(view.prefix),
      view.name,
      view.user_id ?? style.dim('(server key)'),
      view.created_at,
      view.revoked_at === null ? style.green('active') : style.red(`revoked ${view.revoked_at}`),
      view.last_used_at ?? style.dim('-'),
    ]),
    style,
  );
}
