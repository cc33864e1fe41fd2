import { readFileSync } from 'node:fs';
import type { Job, MemberWritten } from '@nexus-relay/client';
import type { Command } from 'commander';
import { collectGuidValue } from '../arguments.ts';
import { action } from '../context.ts';
import { suggest } from '../suggest.ts';
import { usageError } from '../errors.ts';
import { addWatchFlags, printOrFollow, type WatchFlags } from '../job-watch.ts';
import { fields, table, type Output } from '../output.ts';
import type { Terminal } from '../output.ts';

type Credentials = { guid: string; value: string }[];

interface CredentialOptions {
  credential: Credentials;
  credentialsFile?: string;
}

interface CreateOptions extends CredentialOptions, WatchFlags {
  institution: string;
  oauth?: boolean;
  useCases?: string;
  skipAggregation?: boolean;
  metadata?: string;
}

interface UpdateOptions extends CredentialOptions, WatchFlags {
  useCases?: string;
  metadata?: string;
}

/**
 * `members create | update | delete`: members written at MX through the relay, beside `members USER [MEMBER]` (the
 * read). Credentials are sent once and never printed; a file keeps them out of the shell's history.
 */
export function registerMemberWrites(program: Command, terminal: Terminal): void {
  const members = program.commands.find((command) => command.name() === 'members');
  if (!members) throw new Error('the members read command must be registered first');

  members
    .command('credentials')
    .description('the credentials an institution asks for: the guids `members create` takes (--credential GUID=VALUE)')
    .argument('<user_id>', 'the partner’s user id (MX is asked through the user’s session)')
    .argument('<institution_guid>', 'MX’s INS-… guid of the institution (`institutions USER NAME` lists them)')
    .action(
      action(terminal, async ({ output, api }, userId: string, institutionGuid: string) => {
        const path = { user_id: userId, institution_guid: institutionGuid };
        const [body, read] = await Promise.all([
          api().read('/users/{user_id}/institutions/{institution_guid}/credentials', { path }),
          api().read('/users/{user_id}/institutions/{institution_guid}', { path }),
        ]);
        const institution = (read.institution ?? {}) as Record<string, unknown>;
        const oauth = institution.supports_oauth === true;
        const credentials = (Array.isArray(body.credentials) ? body.credentials : []) as Record<string, unknown>[];
        const text = (value: unknown) => (value === null || value === undefined ? '-' : String(value));
        const byOAuth = `members create ${userId} --institution ${institutionGuid} --oauth`;
        output.result({ ...body, supports_oauth: oauth }, () => [
          ...(oauth
            ? [
                `${text(institution.name)} connects by OAuth: the user signs in at the bank, and gives MX no credentials.`,
                output.style.dim(`${byOAuth}, then oauth-url ${userId} MEMBER`),
              ]
            : []),
          ...(credentials.length === 0
            ? oauth
              ? []
              : [`${institutionGuid} asks for no credentials.`]
            : [
                ...(oauth ? ['', 'Its credential fields, where MX still takes them instead:'] : []),
                ...table(
                  ['CREDENTIAL', 'LABEL', 'FIELD', 'TYPE'],
                  credentials.map((credential) => [
                    text(credential.guid),
                    text(credential.label),
                    text(credential.field_name),
                    text(credential.type),
                  ]),
                  output.style,
                ),
                ...(oauth
                  ? []
                  : [output.style.dim(`members create ${userId} --institution ${institutionGuid} --credential GUID=VALUE …`)]),
              ]),
        ]);
      }),
    );

  const create = members
    .command('create')
    .description(
      'create a member at MX with the user’s credentials (`members credentials USER INSTITUTION` lists them); MX aggregates ' +
        'it: with --watch follow the job (exit codes as refresh --watch)',
    )
    .argument('<user_id>', 'the partner’s user id')
    .requiredOption('--institution <guid>', 'MX’s INS-… guid of the institution (`institutions USER NAME` lists them)')
    .option('--use-cases <list>', 'PFM, MONEY_MOVEMENT or both, comma-separated (opted in to use cases: PFM unless given)')
    .option(
      '--oauth',
      'an OAuth member (the institution shows OAUTH true in `institutions`): no credentials; the user then authorises at the bank through `oauth-url`',
    )
    .option('--skip-aggregation', 'MX makes the member without aggregating it')
    .option('--metadata <text>', 'your own data about the member, kept by MX');
  addCredentialFlags(create);
  addWatchFlags(create).action(
    action(terminal, async ({ output, api, calls }, userId: string, options: CreateOptions) => {
      const startedAt = performance.now();
      const client = api();
      if (options.oauth && (options.credential.length > 0 || options.credentialsFile !== undefined)) {
        throw usageError('an OAuth member (--oauth) takes no credentials: the user authorises at the bank (`oauth-url`)');
      }
      const written = await client.members.create(
        userId,
        {
          institution_guid: options.institution,
          ...(options.oauth ? { is_oauth: true } : { credentials: credentialsOf(options, true)! }),
          ...useCasesOf(options.useCases),
          ...(options.skipAggregation ? { skip_aggregation: true } : {}),
          ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
        },
        calls,
      );
      if (options.oauth) {
        // Nothing to aggregate until the user authorises: the window is the next step.
        output.result(written, () => [
          ...fields([['member', written.member.guid]], output.style),
          `next: the user authorises at the bank, through ${suggest(`oauth-url ${userId} ${written.member.guid}`)}`,
        ]);
        return 0;
      }
      return printWritten(output, written, options, (job) =>
        printOrFollow({ api: client, output, job, startedAt, flags: options }),
      );
    }),
  );

  const update = members
    .command('update')
    .description('update a member at MX: new credentials (MX aggregates again: --watch follows it), use cases, metadata')
    .argument('<user_id>', 'the partner’s user id')
    .argument('<member_guid>', 'MBR-…')
    .option('--use-cases <list>', "PFM, MONEY_MOVEMENT or both (opted in to use cases: the member's own unless given)")
    .option('--metadata <text>', 'your own data about the member, kept by MX');
  addCredentialFlags(update);
  addWatchFlags(update).action(
    action(terminal, async ({ output, api, calls }, userId: string, memberGuid: string, options: UpdateOptions) => {
      const startedAt = performance.now();
      const client = api();
      const credentials = credentialsOf(options, false);
      const written = await client.members.update(
        { user_id: userId, member_guid: memberGuid },
        {
          ...(credentials ? { credentials } : {}),
          ...useCasesOf(options.useCases),
          ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
        },
        calls,
      );
      return printWritten(output, written, options, (job) =>
        printOrFollow({ api: client, output, job, startedAt, flags: options }),
      );
    }),
  );

  members
    .command('delete')
    .description('delete a member at MX (its accounts and transactions too); its running job ends failed')
    .argument('<user_id>', 'the partner’s user id')
    .argument('<member_guid>', 'MBR-…')
    .action(
      action(terminal, async ({ output, api, calls }, userId: string, memberGuid: string) => {
        await api().members.delete({ user_id: userId, member_guid: memberGuid }, calls);
        output.result({ deleted: { user_id: userId, member_guid: memberGuid } }, () => [`Deleted ${memberGuid} of ${userId}.`]);
      }),
    );
}

function addCredentialFlags(command: Command): void {
  command
    .option('--credential <guid=value>', 'one credential’s value (repeat for each)', collectGuidValue, [])
    .option('--credentials-file <file>', 'the credentials as JSON: {"credentials":[{"guid":"CRD-…","value":"…"}]}');
}

function useCasesOf(list: string | undefined): { use_cases?: ('PFM' | 'MONEY_MOVEMENT')[] } {
  if (list === undefined) return {};
  return { use_cases: list.split(',').map((useCase) => useCase.trim().toUpperCase()) as ('PFM' | 'MONEY_MOVEMENT')[] };
}

function credentialsOf(options: CredentialOptions, required: boolean): Credentials | undefined {
  if (options.credentialsFile !== undefined && options.credential.length > 0) {
    throw usageError('give the credentials either with --credential or in --credentials-file, not both');
  }
  if (options.credentialsFile === undefined) {
    if (options.credential.length > 0) return options.credential;
    if (required) throw usageError('give each credential’s value: --credential GUID=VALUE, or --credentials-file FILE');
    return undefined;
  }
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(options.credentialsFile, 'utf8'));
  } catch (error) {
    throw usageError(`--credentials-file ${options.credentialsFile}: ${(error as Error).message.split('\n')[0]}`);
  }
  const credentials = Array.isArray(document) ? document : (document as { credentials?: unknown } | null)?.credentials;
  const valid =
    Array.isArray(credentials) &&
    credentials.length > 0 &&
    credentials.every(
      (entry) => typeof entry === 'object' && entry !== null && typeof entry.guid === 'string' && typeof entry.value === 'string',
    );
  if (!valid) {
    throw usageError(`--credentials-file ${options.credentialsFile}: expected {"credentials":[{"guid":"…","value":"…"}]}`);
  }
  return (credentials as Credentials).map(({ guid, value }) => ({ guid, value }));
}

/**
 * The member and its job (the aggregation MX started, trigger and all); with --watch the job followed to its end, as
 * refresh --watch does (its exit codes). The member alone when MX aggregates nothing.
 */
async function printWritten(
  output: Output,
  written: MemberWritten,
  flags: WatchFlags,
  follow: (job: Job) => Promise<number | void>,
): Promise<number | void> {
  const { member, job } = written;
  if (job && flags.watch) {
    output.progressDone(`member ${member.guid}`);
    return follow(job);
  }
  output.result(written, () => [
    ...fields(
      [
        ['member', member.guid],
        ['connection status', member.connection_status ?? '—'],
        ['job', job ? `${job.id} ${job.status} (${job.trigger})` : 'none: MX is not aggregating it'],
      ],
      output.style,
    ),
    ...(job ? [output.style.dim(`follow: ${suggest(`jobs get ${job.id}`)}`)] : []),
  ]);
}
