import { App } from 'aws-cdk-lib';
import {
  type EnvironmentSettings,
  environmentSettings,
  ConcurrencyQuotaError,
  MissingAlarmDestinationError,
  resourceName,
  UnknownEnvironmentError,
  UnstatedUseCasesError,
  withAlarmDestination,
  withRefreshRequestSources,
  withRegion,
  withUseCases,
} from './environments.ts';
import { NexusRelayStack } from './stack.ts';

/**
 * `npx cdk synth|deploy -c env=dev|staging|prod [-c alarmEmail=ops@example.com | -c alarmTopicArn=arn:aws:sns:…]
 * -c mxUseCasesEnabled=true|false [-c region=eu-west-1] [-c refreshRequestSources=com.example.billing,…]`: one
 * stack, the one named. prod requires an alarm destination; every
 * environment states whether MX opted the client in to use cases.
 */
const app = new App();

function chosenEnvironment(): EnvironmentSettings {
  try {
    const settings = withAlarmDestination(environmentSettings(app.node.tryGetContext('env')), {
      email: app.node.tryGetContext('alarmEmail'),
      topicArn: app.node.tryGetContext('alarmTopicArn'),
    });
    const context = (name: string): unknown => app.node.tryGetContext(name);
    const inRegion = withRegion(settings, context('region'));
    const sources = withRefreshRequestSources(inRegion, context('refreshRequestSources'));
    return withUseCases(sources, context('mxUseCasesEnabled'));
  } catch (error) {
    const known = [UnknownEnvironmentError, MissingAlarmDestinationError, UnstatedUseCasesError];
    if (!(error instanceof Error && known.some((type) => error instanceof type))) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

const settings = chosenEnvironment();

try {
  new NexusRelayStack(app, resourceName(settings.name), {
    settings,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: settings.region },
    description: `nexus-relay (${settings.name}): API Gateway, Lambda, SQS and DynamoDB in front of MX Nexus`,
    terminationProtection: settings.data.deletionProtection,
    tags: { project: 'nexus-relay', environment: settings.name },
  });
} catch (error) {
  if (!(error instanceof ConcurrencyQuotaError)) throw error;
  console.error(error.message);
  process.exit(1);
}
