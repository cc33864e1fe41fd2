/**
 * The outputs of a deployed stack the CLI reads (infra/stack.ts writes them): kept apart from the stack so that the
 * CLI loads no CDK.
 */
export const STACK_OUTPUTS = {
  /** The Elastic IPs the functions that call MX leave from, comma-separated: what MX must allow-list. */
  mxEgressAddresses: 'MxEgressAddresses',
  /** mx-events' function URL joined to `/mx/webhooks`: what MX sends its webhooks to. */
  mxWebhooksUrl: 'MxWebhooksUrl',
} as const;

/** A deployed environment's stack name. */
export const stackName = (env: string): string => `nexus-relay-${env}`;
