import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { EnvironmentSettings } from '../environments.ts';
import type { RelayHttpApi } from './http-api.ts';
import type { RefreshRequests } from './refresh-requests.ts';
import type { RelaySecrets } from './secrets.ts';

/** The parts of the stack with accepted findings (the stack passes itself: this file does not import the stack). */
export interface AcknowledgedParts {
  httpApi: Pick<RelayHttpApi, 'api'>;
  secrets: Pick<RelaySecrets, 'mxCredentials' | 'mxWebhookCredentials' | 'syncCursorKey' | 'digestKey'>;
  refreshRequests: Pick<RefreshRequests, 'ruleDeadLetterQueue'>;
  table: IConstruct;
  /** The roles of the functions in the MX egress VPC: they let Lambda manage the functions' network interfaces. */
  mxCallers: IConstruct[];
}

const accept = (scopes: IConstruct[], id: string, reason: string): void => {
  for (const scope of scopes) Validations.of(scope).acknowledge({ id, reason });
};

/**
 * The cdk-nag AwsSolutions findings this stack accepts, each acknowledged on the constructs it concerns (and their
 * children) with its reason. Anything else cdk-nag reports fails test/infra/nag.test.ts.
 */
export function acknowledgeAcceptedFindings(stack: AcknowledgedParts, settings: EnvironmentSettings): void {
  const inFunctionAuth =
    'No gateway authorizer by design: HTTP APIs cannot answer an authorizer denial as the 401 application/problem+json ' +
    'the API contract requires, so every function authenticates the hashed API key itself (lib/http/auth.ts); ' +
    '$default only answers problem+json 404/405.';
  accept([stack.httpApi.api], 'AwsSolutions-APIG4', inFunctionAuth);

  accept(
    [stack.secrets.mxCredentials, stack.secrets.mxWebhookCredentials],
    'AwsSolutions-SMG4',
    'Both credentials are shared with MX (issued by MX, or configured at MX for its webhooks): rotating one is a change ' +
      'coordinated with MX and done by the operator (docs/operations.md → Deploy to AWS), not a Lambda rotating one side alone.',
  );
  accept(
    [stack.secrets.syncCursorKey],
    'AwsSolutions-SMG4',
    'The sync cursor key signs cursors clients hold for up to 30 days: rotating it voids every open cursor, so it is ' +
      'rotated deliberately by the operator (clients then sync from the start), not on a schedule.',
  );
  accept(
    [stack.secrets.digestKey],
    'AwsSolutions-SMG4',
    "The digest key keys erased users' tombstones (kept a year) and idempotency records: a rotation keeps the earlier key " +
      'in `previous` for as long as what it digested lives (docs/runbook.md), so it is rotated by the operator, not on a schedule.',
  );

  accept(
    [stack.refreshRequests.ruleDeadLetterQueue],
    'AwsSolutions-SQS3',
    'This queue is a dead-letter queue: EventBridge puts the refresh-requested events it could not deliver in it ' +
      '(a rule target DeadLetterConfig, which cdk-nag does not recognise as one); it is alarmed like the others.',
  );

  const networkInterfaces =
    'Lambda attaches a function to its VPC subnets through its role (AWSLambdaVPCAccessExecutionRole’s actions): EC2’s ' +
    'Describe actions take no resource, and the network interfaces Lambda makes have ids not known before it makes them; ' +
    'they are made only in the stack’s subnets behind its security group (infra/constructs/relay-function.ts).';
  accept(stack.mxCallers, 'AwsSolutions-IAM5[Resource::*]', networkInterfaces);
  accept(
    stack.mxCallers,
    `AwsSolutions-IAM5[Resource::arn:aws:ec2:${settings.region}:<AWS::AccountId>:network-interface/*]`,
    networkInterfaces,
  );

  if (!settings.data.pointInTimeRecovery) {
    accept(
      [stack.table],
      'AwsSolutions-DDB3',
      `${settings.name} holds disposable data (sessions, jobs, test webhooks); point-in-time recovery is on in prod.`,
    );
  }
}
