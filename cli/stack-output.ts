import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { stackName } from '../infra/stack-outputs.ts';
import { CliError } from './errors.ts';

/**
 * One output of a deployed environment's stack, read with the operator's AWS credentials; `missing` names the error
 * when the stack has none (deployed before this version).
 */
export async function stackOutput(
  env: string,
  region: string | undefined,
  key: string,
  missing: { title: string; code: string },
): Promise<string> {
  const client = new CloudFormationClient(region ? { region } : {});
  try {
    const { Stacks = [] } = await client.send(new DescribeStacksCommand({ StackName: stackName(env) }));
    const output = Stacks[0]?.Outputs?.find((candidate) => candidate.OutputKey === key);
    if (!output?.OutputValue) {
      throw new CliError({
        ...missing,
        detail: `${stackName(env)} has no ${key} output: deploy this version of the stack first.`,
      });
    }
    return output.OutputValue;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      { title: 'Stack unreadable', detail: `${stackName(env)}: ${(error as Error).message}`, code: 'no_target' },
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}
