import { type Attempt, type Delivery, deliveryHealth, type Webhook } from '@nexus-relay/client';
import { type Command, InvalidArgumentError } from 'commander';
import { instantArg, integerArg, listArg } from '../arguments.ts';
import { action } from '../context.ts';
import { usageError } from '../errors.ts';
import { fields, type Styles, table, type Terminal } from '../output.ts';

const DELIVERY_STATUSES = ['pending', 'pending_endpoint', 'delivered', 'failed'] as const;
type DeliveryStatus = Delivery['status'];

export function registerWebhooks(program: Command, terminal: Terminal): void {
  const webhooks = program.command('webhooks').description('webhooks of client apps, their delivery log and replays');

  webhooks
    .command('add')
    .description('subscribe an endpoint; prints the signing secret (whsec_…) once')
    .argument('<url>', 'the endpoint (https; locally http://127.0.0.1 works too)')
    .option(
      '--events <types>',
      'comma-separated event types or wildcards, e.g. aggregation.succeeded,aggregation.failed (default: *)',
      listArg,
    )
    .option('--description <text>', 'a note shown in listings')
    .option(
      '--max-per-second <n>',
      'attempts a second at most; past it they wait their turn (default: no limit)',
      integerArg(1, 3_000),
    )
    .action(
      action(
        terminal,
        async (
          { output, api, calls },
          url: string,
          options: { events?: string[]; description?: string; maxPerSecond?: number },
        ) => {
          const webhook = await api().webhooks.create(
            {
              url,
              ...(options.events ? { event_types: options.events } : {}),
              ...(options.description ? { description: options.description } : {}),
              ...(options.maxPerSecond === undefined ? {} : { max_deliveries_per_second: options.maxPerSecond }),
            },
            calls,
          );
          output.result({ webhook }, () => [
            ...webhookFields(webhook, output.style, webhook.secret),
            output.style.yellow(
              'Store the signing secret now: it is not shown again (`webhooks rotate-secret` makes a new one).',
            ),
          ]);
        },
      ),
    );

  webhooks
    .command('list')
    .description('list webhooks; a failing one with since when, its last failed answer and the next attempt')
    .action(
      action(terminal, async ({ output, api }) => {
        const listed = await api().webhooks.list();
        // Only a failing webhook's log is read (one page): what its endpoint last answered, when the next try is.
        const webhooks = await Promise.all(
          listed.map(async (webhook) =>
            webhook.failing_since === undefined
              ? webhook
              : {
                  ...webhook,
                  health: deliveryHealth((await api().webhooks.deliveries(webhook.id, { limit: 50 }).firstPage()).items),
                },
          ),
        );
        // The failure columns appear when a webhook is failing.
        const failing = webhooks.some((webhook) => 'health' in webhook);
        output.result({ webhooks }, () =>
          webhooks.length === 0
            ? ['No webhooks.']
            : table(
                ['ID', 'STATUS', 'URL', 'EVENTS', 'DESCRIPTION', ...(failing ? ['LAST FAILURE', 'NEXT ATTEMPT'] : [])],
                webhooks.map((webhook) => {
                  const health = 'health' in webhook ? webhook.health : undefined;
                  const failure = health?.lastFailure;
                  return [
                    webhook.id,
                    webhook.status === 'enabled' && webhook.failing_since !== undefined
                      ? output.style.red(
                          `failing since ${webhook.failing_since}` +
                            (webhook.breaker === undefined
                              ? ''
                              : webhook.breaker.state === 'open'
                                ? `, held until ${webhook.breaker.held_until}`
                                : ', held, probing'),
                        )
                      : statusText(webhook.status, output.style),
                    webhook.url,
                    webhook.event_types.join(','),
                    webhook.description ?? '',
                    ...(failing
                      ? [
                          failure
                            ? `${failure.outcome} at ${failure.at}${failure.responseExcerpt ? `: ${failure.responseExcerpt.slice(0, 60)}` : ''}`
                            : '',
                          health?.nextAttemptAt ?? '',
                        ]
                      : []),
                  ];
                }),
                output.style,
              ),
        );
      }),
    );

  webhooks
    .command('rm')
    .description('delete a webhook (its pending deliveries are dropped)')
    .argument('<webhook_id>', 'wh_…')
    .action(
      action(terminal, async ({ output, api }, id: string) => {
        await api().webhooks.delete(id);
        output.result({ deleted: true, id }, () => `Deleted ${id}.`);
      }),
    );

  webhooks
    .command('rotate-secret')
    .description('make a new signing secret (printed once); the old one keeps signing alongside it for 24 hours')
    .argument('<webhook_id>', 'wh_…')
    .action(
      action(terminal, async ({ output, api, calls }, id: string) => {
        const webhook = await api().webhooks.rotateSecret(id, calls);
        output.result({ webhook }, () => [
          ...webhookFields(webhook, output.style, webhook.secret),
          output.style.yellow('Store the new signing secret now: it is not shown again. The old one still signs for 24 hours.'),
        ]);
      }),
    );

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    webhooks
      .command(name)
      .description(
        enabled
          ? 'enable a webhook: deliveries held while it was disabled go out again'
          : 'disable a webhook: its deliveries are held (not dropped) until it is enabled',
      )
      .argument('<webhook_id>', 'wh_…')
      .action(
        action(terminal, async ({ output, api, calls }, id: string) => {
          const webhook = await api().webhooks.update(id, { enabled }, calls);
          output.result({ webhook }, () => webhookFields(webhook, output.style));
        }),
      );
  }

  webhooks
    .command('test')
    .description(
      'send a webhook.test event now and report the attempt (exit 1 when not delivered); tests are not logged: `webhooks deliveries` lists events only',
    )
    .argument('<webhook_id>', 'wh_…')
    .action(
      action(terminal, async ({ output, api, calls }, id: string) => {
        const test = await api().webhooks.test(id, calls);
        output.result({ test }, () => [
          test.delivered
            ? `${output.style.green('Delivered')} ${test.msg_id}: ${attemptText(test.attempt)}`
            : `${output.style.red('Not delivered')} ${test.msg_id}: ${attemptText(test.attempt)}`,
          output.style.dim('A test is not logged: `webhooks deliveries` lists the deliveries of events only.'),
        ]);
        return test.delivered ? 0 : 1;
      }),
    );

  webhooks
    .command('deliveries')
    .description('the delivery log of a webhook, newest first, with attempts')
    .argument('<webhook_id>', 'wh_…')
    .option('--per-page <n>', 'deliveries per page (1–100, default 50)', integerArg(1, 100))
    .option('--cursor <cursor>', 'continue from a previous page’s next_cursor')
    .option('--status <status>', `only this status (${DELIVERY_STATUSES.join(', ')})`, deliveryStatusArg)
    .option('--since <time>', 'created at or after (ISO 8601)', instantArg)
    .option('--until <time>', 'created before (ISO 8601)', instantArg)
    .action(
      action(
        terminal,
        async (
          { output, api },
          id: string,
          { perPage, ...options }: { perPage?: number; cursor?: string; status?: DeliveryStatus; since?: string; until?: string },
        ) => {
          const page = await api()
            .webhooks.deliveries(id, { ...options, limit: perPage })
            .firstPage();
          const body = { deliveries: page.items, ...(page.next_cursor === undefined ? {} : { next_cursor: page.next_cursor }) };
          output.result(body, () => [
            ...(body.deliveries.length === 0
              ? ['No deliveries.']
              : table(
                  ['MSG ID', 'EVENT', 'STATUS', 'ATTEMPTS', 'LAST ATTEMPT', 'CREATED'],
                  body.deliveries.map((delivery) => [
                    delivery.msg_id,
                    delivery.event_type,
                    statusText(delivery.status, output.style),
                    String(delivery.attempt_count),
                    delivery.attempts.length === 0 ? '' : attemptText(delivery.attempts.at(-1)!),
                    delivery.created_at,
                  ]),
                  output.style,
                )),
            ...(body.next_cursor ? [output.style.dim(`more: --cursor ${body.next_cursor}`)] : []),
          ]);
        },
      ),
    );

  webhooks
    .command('replay')
    .description('send deliveries again under their original webhook-id: one (MSG_ID) or a time range (--since/--until)')
    .argument('<webhook_id>', 'wh_…')
    .argument('[msg_id]', 'one delivery to send again')
    .option('--since <time>', 'range start, inclusive (ISO 8601)', instantArg)
    .option('--until <time>', 'range end, exclusive (ISO 8601 or now; default now)', instantArg)
    .option('--status <status>', `range: only deliveries in this status (${DELIVERY_STATUSES.join(', ')})`, deliveryStatusArg)
    .action(
      action(
        terminal,
        async (
          { output, api, calls },
          id: string,
          msgId: string | undefined,
          options: { since?: string; until?: string; status?: DeliveryStatus },
        ) => {
          const ranged = options.since !== undefined || options.until !== undefined || options.status !== undefined;
          if (msgId !== undefined) {
            if (ranged) throw usageError('give either MSG_ID or --since/--until, not both');
            const delivery = await api().webhooks.replay(id, msgId, calls);
            output.result(
              { delivery },
              () => `Queued ${delivery.msg_id} (${delivery.event_type}) again; status ${delivery.status}.`,
            );
            return;
          }
          if (options.since === undefined) throw usageError('give MSG_ID, or --since (and --until, by default now)');
          const until = options.until ?? new Date().toISOString();
          // Every page of the range, each under its own Idempotency-Key derived from one per command.
          const totals = await api().webhooks.replayRange(
            id,
            { since: options.since, until, ...(options.status === undefined ? {} : { status: options.status }) },
            calls,
          );
          output.result(totals, () => `Queued ${totals.replayed} deliveries again (${totals.skipped} skipped).`);
        },
      ),
    );
}

function deliveryStatusArg(value: string): DeliveryStatus {
  const status = DELIVERY_STATUSES.find((known) => known === value);
  if (status === undefined) throw new InvalidArgumentError(`must be one of ${DELIVERY_STATUSES.join(', ')}`);
  return status;
}

function webhookFields(webhook: Webhook, style: Styles, secret?: string): string[] {
  return fields(
    [
      ['id', webhook.id],
      ['secret', secret === undefined ? undefined : style.bold(secret)],
      ['url', webhook.url],
      ['events', webhook.event_types.join(',')],
      ['description', webhook.description],
      ['max per second', webhook.max_deliveries_per_second === undefined ? undefined : String(webhook.max_deliveries_per_second)],
      ['status', statusText(webhook.status, style)],
    ],
    style,
  );
}

function statusText(status: string, style: Styles): string {
  if (status === 'enabled' || status === 'delivered') return style.green(status);
  if (status === 'disabled' || status === 'failed') return style.red(status);
  return style.yellow(status);
}

const attemptText = (attempt: Attempt) =>
  `${attempt.status_code === undefined ? `no answer (${attempt.error ?? 'unknown error'})` : `HTTP ${attempt.status_code}`} in ${attempt.latency_ms} ms`;
