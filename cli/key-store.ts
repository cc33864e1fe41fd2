import type { ApiKeysRepository } from '../lib/store/api-keys-repo.ts';
import { awsProblem, CliError } from './errors.ts';
import type { TableTarget } from './target.ts';

/** Local endpoints (dynalite) accept any credentials; the SDK still insists on having some. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Runs `work` with the API keys repository of `target`: the local stack's dynalite, or a deployed table through
 * the default AWS credential chain (profile, environment, SSO…). The SDK is loaded only here, so the HTTP
 * commands start without it. DynamoDB failures come back as problems naming the table.
 */
export async function withKeyStore<T>(target: TableTarget, work: (repository: ApiKeysRepository) => Promise<T>): Promise<T> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [{ DynamoDBClient }, { DynamoDBDocumentClient }, { ApiKeysRepository }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/lib-dynamodb'),
    import('../lib/store/api-keys-repo.ts'),
  ]);
  const client = new DynamoDBClient({
    ...(target.region === undefined ? {} : { region: target.region }),
    ...(target.endpoint === undefined ? {} : { endpoint: target.endpoint, credentials: LOCAL_CREDENTIALS }),
    maxAttempts: 3,
  });
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  try {
    return await work(new ApiKeysRepository({ client: documents, tableName: target.tableName }));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw dynamoDbProblem(target, error);
  } finally {
    client.destroy();
  }
}

function dynamoDbProblem(target: TableTarget, error: unknown): CliError {
  const where = `table ${target.tableName}${target.endpoint ? ` at ${target.endpoint}` : target.region ? ` in ${target.region}` : ''}`;
  return awsProblem('DynamoDB', 'dynamodb_error', where, error);
}
