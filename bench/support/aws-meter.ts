import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { currentOperation } from './operation-labels.ts';

/**
 * Counts every DynamoDB and SQS call made in this process through the SDK clients lib/ builds (the document client
 * and SQSClient), by patching their prototypes' `send`. Each call is attributed to an aggregation job when its key
 * or body names one (`JOB#…`, the member's `MEMBER#…` pointer, a delivery `MSG#msg_<job>_…`, a poll message's
 * `job_id`); the rest (sessions, API keys, institution stats, webhook lists, receives) stay unattributed.
 * DynamoDB calls ask for `ReturnConsumedCapacity: INDEXES`: capacity units are dynalite's size-based count of the
 * item, plus — where the process running dynalite installed `installIndexCapacity` (dynalite-capacity.ts) — the units
 * DynamoDB would charge for each global secondary index the write touches.
 */
export interface DynamoCall {
  command: string;
  write: boolean;
  pk?: string;
  sk?: string;
  index?: string;
  /** The labelled method that made the call (operation-labels.ts), if any. */
  operation?: string;
  /** Capacity units in all: the item's, plus its indexes' for a write. */
  units: number;
  /** Of `units`, those of the global secondary indexes (writes only). */
  indexUnits: number;
  failedCondition: boolean;
}

export interface SqsCall {
  command: string;
  queue: string;
  /** Messages sent (SendMessage), received (ReceiveMessage) or deleted (DeleteMessage[Batch]). */
  messages: number;
  jobId?: string;
  /** The labelled method that made the call (operation-labels.ts), if any. */
  operation?: string;
}

export interface AwsMeter {
  restore(): void;
}

export interface AwsMeterHandlers {
  dynamo(call: DynamoCall): void;
  sqs(call: SqsCall): void;
}

interface Capacity {
  CapacityUnits?: number;
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

const WRITES = new Set(['PutCommand', 'UpdateCommand', 'DeleteCommand', 'TransactWriteCommand', 'BatchWriteCommand']);

/** `msg_job_…_started` / `msg_job_…_s3_succeeded` → `job_…`. */
export const jobOfMessageId = (msgId: string | undefined): string | undefined => /^msg_(job_[a-z0-9]+)_/.exec(msgId ?? '')?.[1];

/** Patches the clients; every finished call is handed to `handlers` (aggregate there: 10,000 jobs make ~10⁶ calls). */
export function installAwsMeter(handlers: AwsMeterHandlers): AwsMeter {
  const dynamoSend = DynamoDBDocumentClient.prototype.send;
  const sqsSend = SQSClient.prototype.send;

  DynamoDBDocumentClient.prototype.send = async function (this: DynamoDBDocumentClient, command: never, ...rest: never[]) {
    const cmd = command as { constructor: { name: string }; input: Record<string, unknown> };
    const name = cmd.constructor.name;
    const input = cmd.input;
    input.ReturnConsumedCapacity ??= 'INDEXES';
    const key = (input.Key ?? input.Item) as { pk?: string; sk?: string } | undefined;
    const call: DynamoCall = {
      command: name,
      write: WRITES.has(name),
      pk: key?.pk ?? Object.values((input.ExpressionAttributeValues as Record<string, string> | undefined) ?? {})[0],
      sk: key?.sk,
      index: input.IndexName as string | undefined,
      operation: currentOperation(),
      units: 0,
      indexUnits: 0,
      failedCondition: false,
    };
    try {
      const output = (await (dynamoSend as (...args: unknown[]) => Promise<unknown>).call(this, command, ...rest)) as {
        ConsumedCapacity?: Capacity | Capacity[];
      };
      // Batch calls answer with one entry per table.
      for (const capacity of [output?.ConsumedCapacity ?? []].flat()) {
        call.units += capacity.CapacityUnits ?? 0;
        if (call.write)
          for (const index of Object.values(capacity.GlobalSecondaryIndexes ?? {})) call.indexUnits += index.CapacityUnits ?? 0;
      }
      handlers.dynamo(call);
      return output as never;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') {
        call.failedCondition = true;
        // DynamoDB charges a failed conditional write as a write of the item (at least 1 unit).
        call.units = 1;
      }
      handlers.dynamo(call);
      throw error;
    }
  } as typeof DynamoDBDocumentClient.prototype.send;

  SQSClient.prototype.send = async function (this: SQSClient, command: never, ...rest: never[]) {
    const cmd = command as { constructor: { name: string }; input: Record<string, unknown> };
    const name = cmd.constructor.name;
    const queueUrl = String(cmd.input.QueueUrl ?? '');
    const queue = queueUrl.split('/').pop() ?? '';
    const operation = currentOperation();
    const output = (await (sqsSend as (...args: unknown[]) => Promise<unknown>).call(this, command, ...rest)) as {
      Messages?: unknown[];
    };
    if (name === 'SendMessageCommand' || name === 'SendMessageBatchCommand') {
      // A batch is one request: attributed to the job its first message names.
      const bodies =
        name === 'SendMessageCommand'
          ? [cmd.input.MessageBody]
          : (cmd.input.Entries as { MessageBody?: string }[]).map((e) => e.MessageBody);
      const body = JSON.parse(String(bodies[0] ?? '{}')) as { job_id?: string; msg_id?: string };
      handlers.sqs({
        command: name,
        queue,
        messages: bodies.length,
        jobId: body.job_id ?? jobOfMessageId(body.msg_id),
        operation,
      });
    } else if (name === 'ReceiveMessageCommand') {
      handlers.sqs({ command: name, queue, messages: output?.Messages?.length ?? 0 });
    } else if (name === 'DeleteMessageBatchCommand') {
      handlers.sqs({ command: name, queue, messages: (cmd.input.Entries as unknown[] | undefined)?.length ?? 0 });
    } else {
      handlers.sqs({ command: name, queue, messages: 0 });
    }
    return output as never;
  } as typeof SQSClient.prototype.send;

  return {
    restore() {
      DynamoDBDocumentClient.prototype.send = dynamoSend;
      SQSClient.prototype.send = sqsSend;
    },
  };
}
