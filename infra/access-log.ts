/**
 * The API's access log line: one JSON object per request, the same fields in AWS (API Gateway's `$context`
 * variables, infra/constructs/http-api.ts) and locally (infra/local/gateway.ts writes them itself). HTTP APIs cannot
 * log response headers, so a client's `x-request-id` is joined to this line through the functions' log lines, which
 * carry both `request_id` and `gateway_request_id`.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTimeEpoch',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  method: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
} as const;

export type AccessLogLine = Record<keyof typeof ACCESS_LOG_FIELDS, string | number | undefined>;
