/** The part of an API Gateway HTTP API (payload 2.0) event that lib/ reads, so it does not depend on aws-lambda's types. */
export interface ApiEvent {
  routeKey: string;
  rawPath: string;
  rawQueryString?: string;
  headers: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
  pathParameters?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded: boolean;
  requestContext: { requestId: string; http: { method: string; path: string; sourceIp?: string } };
}

export interface ApiResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}
