import type { MxRecord, PagedList, RelayClient } from '@nexus-relay/client';
import type { Command } from 'commander';
import { integerArg } from '../arguments.ts';
import { action } from '../context.ts';
import { fields, table, type Terminal } from '../output.ts';

interface ListOptions {
  perPage?: number;
  max?: number;
}

/** How a kind of MX record is shown in a table: the JSON root it comes under, and its columns. */
interface RecordKind {
  root: string;
  columns: [title: string, field: string][];
}

const MEMBERS: RecordKind = {
  root: 'members',
  columns: [
    ['MEMBER', 'guid'],
    ['NAME', 'name'],
    ['INSTITUTION', 'institution_code'],
    ['CONNECTION', 'connection_status'],
    ['AGGREGATED', 'aggregated_at'],
  ],
};
const ACCOUNTS: RecordKind = {
  root: 'accounts',
  columns: [
    ['ACCOUNT', 'guid'],
    ['NAME', 'name'],
    ['TYPE', 'type'],
    ['BALANCE', 'balance'],
    ['CURRENCY', 'currency_code'],
    ['MEMBER', 'member_guid'],
  ],
};
const TRANSACTIONS: RecordKind = {
  root: 'transactions',
  columns: [
    ['TRANSACTION', 'guid'],
    ['DATE', 'date'],
    ['AMOUNT', 'amount'],
    ['TYPE', 'type'],
    ['DESCRIPTION', 'description'],
    ['ACCOUNT', 'account_guid'],
  ],
};
const BEATS: RecordKind = {
  root: 'beats',
  columns: [
    ['BEAT', 'guid'],
    ['TITLE', 'title'],
    ['TEMPLATE', 'template'],
    ['DISMISSED', 'is_dismissed'],
    ['CREATED', 'created_at'],
  ],
};
const SPENDING_PLANS: RecordKind = {
  root: 'spending_plans',
  columns: [
    ['SPENDING PLAN', 'guid'],
    ['ITERATION', 'current_iteration_number'],
    ['CREATED', 'created_at'],
    ['UPDATED', 'updated_at'],
  ],
};
const ITERATION_ITEMS: RecordKind = {
  root: 'iteration_items',
  columns: [
    ['ITEM', 'guid'],
    ['CATEGORY', 'category_guid'],
    ['PLANNED', 'planned_amount'],
    ['ACTUAL', 'actual_amount'],
  ],
};

const INSTITUTIONS: RecordKind = {
  root: 'institutions',
  columns: [
    ['INSTITUTION', 'guid'],
    ['CODE', 'code'],
    ['NAME', 'name'],
    // An OAuth institution: `members create … --oauth`, then the user authorises at the bank (`oauth-url`).
    ['OAUTH', 'supports_oauth'],
  ],
};

const text = (value: unknown) => (value === null || value === undefined ? '-' : String(value));

type ListSource = (api: RelayClient, userId: string, perPage: number | undefined, guid?: string) => PagedList<MxRecord>;

interface ReadCommand {
  name: string;
  description: string;
  /** How the listed records are shown (given the guid argument, when the command has one). */
  kind: (guid: string | undefined) => RecordKind;
  /** An optional argument passed to `list` and `one`, e.g. `[member_guid]`. */
  guidArgument?: string;
  list: ListSource;
  /** With the guid: fetch that one record instead of listing (members). */
  one?: (api: RelayClient, userId: string, guid: string) => Promise<Record<string, unknown>>;
}

/** The read commands: MX's data as the relay passes it through, every page (or `--max` records). */
export function registerReads(program: Command, terminal: Terminal): void {
  const transactions = program.commands.find((command) => command.name() === 'transactions')!;
  const commands: [Command, ReadCommand][] = [
    [
      program,
      {
        name: 'members',
        description: 'a user’s members (or one, with its guid)',
        kind: () => MEMBERS,
        guidArgument: '[member_guid]',
        list: (api, user, perPage) => api.members.list({ user_id: user, records_per_page: perPage }),
        one: (api, user, guid) => api.members.get({ user_id: user, member_guid: guid }),
      },
    ],
    [
      program,
      {
        name: 'accounts',
        description: 'a user’s accounts',
        kind: () => ACCOUNTS,
        list: (api, user, perPage) => api.accounts.list({ user_id: user, records_per_page: perPage }),
      },
    ],
    [
      program,
      {
        name: 'beats',
        description: 'a user’s beats (MX insights)',
        kind: () => BEATS,
        list: (api, user, perPage) => api.beats.list({ user_id: user, records_per_page: perPage }),
      },
    ],
    [
      program,
      {
        name: 'spending-plan',
        description: 'a user’s spending plans, or with a plan’s guid its current iteration’s items',
        kind: (guid) => (guid === undefined ? SPENDING_PLANS : ITERATION_ITEMS),
        guidArgument: '[spending_plan_guid]',
        list: (api, user, perPage, guid) =>
          guid === undefined
            ? api.list('/users/{user_id}/spending_plans', { path: { user_id: user }, query: { records_per_page: perPage } })
            : api.list('/users/{user_id}/spending_plans/{spending_plan_guid}/iterations/current/iteration_items', {
                path: { user_id: user, spending_plan_guid: guid },
                query: { records_per_page: perPage },
              }),
      },
    ],
    [
      program,
      {
        name: 'institutions',
        description: 'the institutions MX finds by part of their name: the guid `members create --institution` takes',
        kind: () => INSTITUTIONS,
        // Required: an empty name is MX's whole catalogue, tens of thousands of institutions.
        guidArgument: '<name>',
        list: (api, user, perPage, name) =>
          api.list('/users/{user_id}/institutions', {
            path: { user_id: user },
            query: { records_per_page: perPage, ...(name === undefined ? {} : { name }) },
          }),
      },
    ],
    [
      transactions,
      {
        name: 'list',
        description: 'a user’s transactions, as MX lists them',
        kind: () => TRANSACTIONS,
        list: (api, user, perPage) => api.transactions.list({ user_id: user, records_per_page: perPage }),
      },
    ],
  ];
  for (const [parent, read] of commands) registerRead(parent, terminal, read);
}

function registerRead(parent: Command, terminal: Terminal, read: ReadCommand): void {
  const command = parent.command(read.name).description(read.description).argument('<user_id>', 'the partner’s user id');
  if (read.guidArgument !== undefined) command.argument(read.guidArgument);
  command
    .option('--per-page <n>', 'records per MX page (10–1000)', integerArg(10, 1000))
    .option('--max <n>', 'stop after this many records (default: all)', integerArg(1, 1_000_000))
    .action(
      action(terminal, async ({ output, api }, userId: string, ...rest: unknown[]) => {
        const guid = read.guidArgument === undefined ? undefined : (rest[0] as string | undefined);
        const options = rest[read.guidArgument === undefined ? 0 : 1] as ListOptions;
        const client = api();
        if (guid !== undefined && read.one !== undefined) {
          const body = await read.one(client, userId, guid);
          const record = (Object.values(body)[0] ?? {}) as Record<string, unknown>;
          output.result(body, () =>
            fields(
              Object.entries(record).map(([field, value]): [string, string] => [
                field,
                typeof value === 'object' && value !== null ? JSON.stringify(value) : text(value),
              ]),
              output.style,
            ),
          );
          return;
        }
        const kind = read.kind(guid);
        const records: MxRecord[] = [];
        for await (const record of read.list(client, userId, options.perPage, guid)) {
          records.push(record);
          if (options.max !== undefined && records.length >= options.max) break;
        }
        const noun = kind.root.replaceAll('_', ' ');
        output.result({ [kind.root]: records }, () =>
          records.length === 0
            ? [`No ${noun} for ${userId}.`]
            : [
                ...table(
                  kind.columns.map(([title]) => title),
                  records.map((record) => kind.columns.map(([, field]) => text(record[field]))),
                  output.style,
                ),
                output.style.dim(`${records.length} ${noun}`),
              ],
        );
      }),
    );
}
