import type { Command } from 'commander';
import { action } from '../context.ts';
import { CliError, usageError } from '../errors.ts';
import { DeadLetterStore, type DeadLetter, sqsProblem } from '../queue-store.ts';
import { fields, table, type Terminal } from '../output.ts';
import { QUEUE_NAMES, type QueueName } from '../../lib/queue/queue-names.ts';
import type { QueueTarget } from '../target.ts';

interface QueueOptions {
  env?: string;
  region?: string;
}

function queueName(value: string): QueueName {
  if (!(QUEUE_NAMES as readonly string[]).includes(value)) throw usageError(`queue must be one of ${QUEUE_NAMES.join(', ')}`);
  return value as QueueName;
}

async function withStore<T>(target: QueueTarget, work: (store: DeadLetterStore) => Promise<T>): Promise<T> {
  const store = await DeadLetterStore.open(target);
  try {
    return await work(store);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw sqsProblem(target.deadLetterQueueName, error);
  } finally {
    store.close();
  }
}

const reasonOf = (message: DeadLetter) => message.attributes.reason ?? '(redriven by SQS: failed 5 times)';
const parentOptions = (command: Command) => command.parent!.opts<QueueOptions>();

/** `dlq list|show|redrive`: the dead-letter queues of the local stack, or of a deployed one with --env. */
export function registerDlq(program: Command, terminal: Terminal): void {
  const dlq = program
    .command('dlq')
    .description(`dead-letter queues: read what failed and why, move it back once fixed (${QUEUE_NAMES.join(', ')})`)
    .option(
      '--env <env>',
      'a deployed stack (dev, staging, prod) through the AWS default credential chain; default: the local stack',
    )
    .option('--region <region>', 'region of --env (default: AWS_REGION / your AWS profile)');

  dlq
    .command('list')
    .argument('<queue>', QUEUE_NAMES.join(' | '))
    .option('--max <count>', 'most messages to show', '50')
    .description('messages waiting in the queue’s DLQ: id, sent, receives, reason (they stay there)')
    .action(
      action(terminal, async ({ output, targets }, queue: string, options: { max: string }, command: Command) => {
        const max = Number(options.max);
        if (!Number.isInteger(max) || max < 1 || max > 1000) throw usageError('--max must be 1–1000');
        const target = targets.queue(queueName(queue), parentOptions(command));
        const messages = await withStore(target, (store) => store.list(max));
        output.result({ queue: target.deadLetterQueueName, messages }, () =>
          messages.length === 0
            ? [`${target.deadLetterQueueName} is empty`]
            : table(
                ['id', 'sent', 'receives', 'reason', 'body'],
                messages.map((m) => [m.id, m.sentAt ?? '', String(m.receiveCount ?? ''), reasonOf(m), m.body.slice(0, 60)]),
                output.style,
              ),
        );
      }),
    );

  dlq
    .command('show')
    .argument('<queue>', QUEUE_NAMES.join(' | '))
    .argument('<id>', 'a message id from `dlq list`')
    .description('one dead-lettered message whole: body, attributes, why it is there')
    .action(
      action(terminal, async ({ output, targets }, queue: string, id: string, _options: object, command: Command) => {
        const target = targets.queue(queueName(queue), parentOptions(command));
        const message = (await withStore(target, (store) => store.list(1000))).find((m) => m.id === id);
        if (!message) {
          throw new CliError({
            title: 'Not found',
            detail: `No message ${id} in ${target.deadLetterQueueName}.`,
            code: 'not_found',
          });
        }
        output.result(message, () => [
          ...fields(
            [
              ['id', message.id],
              ['sent', message.sentAt],
              ['receives', message.receiveCount === undefined ? undefined : String(message.receiveCount)],
              ['reason', reasonOf(message)],
              ['detail', message.attributes.detail],
              ...Object.entries(message.attributes)
                .filter(([name]) => !['reason', 'detail'].includes(name))
                .map(([name, value]): [string, string] => [`attribute ${name}`, value]),
            ],
            output.style,
          ),
          message.body,
        ]);
      }),
    );

  dlq
    .command('redrive')
    .argument('<queue>', QUEUE_NAMES.join(' | '))
    .option('--all', 'every message of the DLQ')
    .option('--id <id>', 'one message, by its id from `dlq list`')
    .description('move messages back to their queue (fix the cause first; one that fails again comes back here)')
    .action(
      action(terminal, async ({ output, targets }, queue: string, options: { all?: boolean; id?: string }, command: Command) => {
        if (Boolean(options.all) === (options.id !== undefined)) throw usageError('give either --all or --id <id>');
        const target = targets.queue(queueName(queue), parentOptions(command));
        const result = await withStore(target, (store) => store.redrive(options.all ? { all: true } : { id: options.id! }));
        if (options.id !== undefined && result.moved === 0) {
          throw new CliError({
            title: 'Not found',
            detail: `No message ${options.id} in ${target.deadLetterQueueName}.`,
            code: 'not_found',
          });
        }
        output.result({ queue: target.queueName, ...result }, () => [
          result.method === 'move-task'
            ? `SQS is moving ${result.moved} message(s) from ${target.deadLetterQueueName} back to ${target.queueName} (task ${result.taskHandle})`
            : `moved ${result.moved} message(s) from ${target.deadLetterQueueName} back to ${target.queueName}`,
        ]);
      }),
    );
}
