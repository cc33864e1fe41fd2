import { App } from 'aws-cdk-lib';
import { type EnvironmentSettings, environmentSettings, resourceName, UnknownEnvironmentError } from './environments.ts';
import { NexusRelayStack } from './stack.ts';

/** `npx cdk synth|deploy -c env=dev|staging|prod [-c alarmEmail=ops@example.com]`: one stack, the one named. */
const app = new App();

function chosenEnvironment(): EnvironmentSettings {
  try {
    return environmentSettings(app.node.tryGetContext('env'));
  } catch (error) {
    if (!(error instanceof UnknownEnvironmentError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

const settings = chosenEnvironment();
const alarmEmail: unknown = app.node.tryGetContext('alarmEmail');

new NexusRelayStack(app, resourceName(settings.name), {
  settings: { ...settings, alarmEmail: typeof alarmEmail === 'string' ? alarmEmail : settings.alarmEmail },
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: settings.region },
  description: `nexus-relay (${settings.name}): API Gateway, Lambda, SQS and DynamoDB in front of MX Nexus`,
  terminationProtection: settings.data.deletionProtection,
  tags: { project: 'nexus-relay', environment: settings.name },
});
