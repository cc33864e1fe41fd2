import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient, TableThrottledError } from '../../../lib/aws/dynamodb-client.ts';

/** A DynamoDB endpoint that answers every request with `type` (DynamoDB's JSON error shape). */
let answer = 'ProvisionedThroughputExceededException';
let requests = 0;
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests++;
    request.resume().on('end', () => {
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${answer}`, message: 'refused' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const get = () =>
  createDocumentClient({ region: 'us-east-1', dynamoDbEndpoint: endpoint }).send(
    new GetCommand({ TableName: 't', Key: { pk: 'a', sk: 'b' } }),
  );

describe("the table's client", () => {
  it.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded'])(
    'retries %s as the SDK does, then raises TABLE_THROTTLED with it as the cause',
    async (type) => {
      answer = type;
      requests = 0;
      const error = await get().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TableThrottledError);
      expect(error).toMatchObject({ code: 'TABLE_THROTTLED', cause: { name: type } });
      expect(requests).toBeGreaterThan(1);
    },
  );

  it("leaves DynamoDB's other errors as they are", async () => {
    answer = 'ConditionalCheckFailedException';
    await expect(get()).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });
});
