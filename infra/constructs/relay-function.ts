import { fileURLToPath } from 'node:url';
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, RecursiveLoop, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { nodejsFunctionBundling } from '../bundling.ts';
import type { FunctionName, FunctionSpec } from './function-specs.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The entry file of a function: `functions/<name>.ts`. */
export const functionEntry = (name: FunctionName): string =>
  fileURLToPath(new URL(`../../functions/${name}.ts`, import.meta.url));

/** A VPC a function runs in (infra/constructs/mx-egress.ts): its subnets and security group. */
export interface FunctionNetwork {
  vpc: IVpc;
  subnets: SubnetSelection;
  securityGroup: ISecurityGroup;
}

export interface RelayFunctionProps {
  name: FunctionName;
  functionName: string;
  spec: FunctionSpec;
  environment: Record<string, string>;
  logRetention: RetentionDays;
  /** The stack's key, where it has one: the log group is encrypted under it. */
  logsKey?: IKey;
  removalPolicy: RemovalPolicy;
  /** Lambda's application log level filters what the function writes: it must let LOG_LEVEL's lines through. */
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  reservedConcurrency?: number;
  /** Where it runs when it must leave from a fixed address (it calls MX); Lambda's own network otherwise. */
  network?: FunctionNetwork;
}

/**
 * One Lambda as every nexus-relay function is built: nodejs24.x on arm64, ESM bundle, its own log group and a
 * role that starts with nothing but writing to that log group (grants are added by the stack, per function).
 */
export class RelayFunction extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: RelayFunctionProps) {
    super(scope, id);
    const { spec } = props;

    const logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: props.removalPolicy,
    });
    // Instead of AWSLambdaBasicExecutionRole, whose log permissions cover every log group of the account.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.functionName}`,
    });
    logGroup.grantWrite(role);
    if (props.network) allowNetworkInterfaces(role, props.network);

    // A worker that sends to the queue it consumes (the poll loop, delivery retries) is a recursive loop by design;
    // Lambda's loop detection would drop its messages after 16 hops.
    const reschedulesItself = (spec.consumes ?? []).some((queue) => spec.sendsTo.includes(queue));

    this.function = new NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      description: spec.description,
      entry: functionEntry(props.name),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memorySize,
      timeout: Duration.seconds(spec.timeoutSeconds),
      environment: props.environment,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[props.logLevel],
      // No X-Ray: no code captures a segment (Powertools Tracer would load aws-xray-sdk-core into every cold start).
      // A request is followed by its request id and job id in the logs, and the relay is watched through its metrics.
      reservedConcurrentExecutions: props.reservedConcurrency,
      recursiveLoop: reschedulesItself ? RecursiveLoop.ALLOW : RecursiveLoop.TERMINATE,
      bundling: nodejsFunctionBundling(spec.readsFolders),
      ...(props.network
        ? { vpc: props.network.vpc, vpcSubnets: props.network.subnets, securityGroups: [props.network.securityGroup] }
        : {}),
    });
  }
}

/**
 * What Lambda does with EC2, under the function's role, to attach it to its subnets (AWSLambdaVPCAccessExecutionRole's
 * actions, without its `*`): network interfaces made only in the function's subnets behind its security group, and
 * changed only as network interfaces of this account and region. EC2's two Describe actions take no resource.
 */
function allowNetworkInterfaces(role: IRole, network: FunctionNetwork): void {
  const stack = Stack.of(role);
  const ec2 = (resource: string, resourceName: string) => stack.formatArn({ service: 'ec2', resource, resourceName });
  const interfaces = ec2('network-interface', '*');
  const subnets = network.vpc.selectSubnets(network.subnets).subnetIds.map((id) => ec2('subnet', id));
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], resources: ['*'] }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['ec2:CreateNetworkInterface'],
      resources: [interfaces, ...subnets, ec2('security-group', network.securityGroup.securityGroupId)],
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      resources: [interfaces],
    }),
  );
}
