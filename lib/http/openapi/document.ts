import { IDEMPOTENCY_KEY_HEADER, KEY_FORMAT, REPLAYED_HEADER } from '../idempotency.ts';
import { isIdempotentWrite } from '../route.ts';
import { PROBLEMS, type ProblemCode } from '../problem.ts';
import { type JsonSchema, JsonSchemas } from './json-schemas.ts';
import type { OperationDocs, ResponseDocs, Zod } from './operation-docs.ts';
import { problemSchema } from './response-schemas.ts';
import { type DocumentedRoute, problemsOf } from './route-problems.ts';
import { parameterNames } from '../../path-template.ts';
import * as z from '../../zod.ts';

export interface ApiInfo {
  title: string;
  version: string;
  description: string;
}

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

/** What one event's deliveries POST: its summary and body. */
export interface WebhookEventDocs {
  summary: string;
  body: z.ZodMiniType;
}

const SECURITY_SCHEMES = {
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    description: '`Authorization: Bearer <api key>`: a server key (any user) or a key bound to one `user_id`',
  },
  mxWebhooks: { type: 'http', scheme: 'basic', description: 'The credentials MX was given to send its webhooks' },
};

const REQUEST_ID = { $ref: '#/components/headers/RequestId' };
const HEADERS = {
  RequestId: {
    description: "The request's id (the caller's `x-request-id` when well formed): the same id is in the logs",
    schema: { type: 'string' },
  },
};

/** The OpenAPI 3.1 document: one operation per route, and the events webhooks deliver. Throws on a duplicate route. */
export function buildOpenApiDocument(
  info: ApiInfo,
  routes: readonly (DocumentedRoute & { docs(z: Zod): OperationDocs })[],
  events: Readonly<Record<string, WebhookEventDocs>> = {},
): OpenApiDocument {
  const schemas = new JsonSchemas();
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    const method = route.method.toLowerCase();
    if (item[method]) throw new Error(`${route.method} ${route.path} is declared twice`);
    item[method] = operation(route, route.docs(z), schemas);
  }
  const webhooks = Object.fromEntries(
    Object.entries(events).map(([type, event]) => [type, { post: webhookOperation(type, event, schemas) }]),
  );
  return {
    openapi: '3.1.0',
    info,
    paths,
    webhooks,
    components: {
      schemas: schemas.named(),
      securitySchemes: SECURITY_SCHEMES,
      headers: HEADERS,
    },
  };
}

function operation(route: DocumentedRoute, docs: OperationDocs, schemas: JsonSchemas) {
  const idempotent = isIdempotentWrite(route);
  const parameters = [
    ...pathParameters(route, docs, schemas),
    ...(docs.query ? parametersOf(schemas.request(docs.query), 'query') : []),
    ...(idempotent ? [IDEMPOTENCY_KEY_PARAMETER] : []),
  ];
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(docs.responses)) {
    responses[status] = answer(response, idempotent, schemas);
  }
  for (const [status, codes] of byStatus(problemsOf(route, docs))) responses[status] = problemAnswer(status, codes, schemas);
  return {
    operationId: operationIdOf(route),
    summary: route.summary,
    ...(docs.description ? { description: docs.description } : {}),
    ...(docs.deprecated ? { deprecated: true } : {}),
    security: securityOf(route, docs),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(docs.body ? { requestBody: requestBody(docs.body, schemas) } : {}),
    responses,
  };
}

const operationIdOf = (route: DocumentedRoute): string =>
  `${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+/g, '_')}`.replace(/_+$/, '');

function securityOf(route: DocumentedRoute, docs: OperationDocs) {
  if (route.auth === 'api_key') return [{ apiKey: [] }];
  return docs.security === 'http_basic' ? [{ mxWebhooks: [] }] : [];
}

function pathParameters(route: DocumentedRoute, docs: OperationDocs, schemas: JsonSchemas) {
  const placeholders = parameterNames(route.path);
  const parameters = docs.path ? parametersOf(schemas.request(docs.path), 'path') : [];
  const named = parameters.map((parameter) => parameter.name);
  if (named.join() !== placeholders.join() || parameters.some((parameter) => !parameter.required)) {
    throw new Error(
      `${route.method} ${route.path}: the path schema must require exactly ${placeholders.join(', ') || 'nothing'}`,
    );
  }
  return parameters;
}

/** One parameter per property of an object schema. */
function parametersOf(objectSchema: JsonSchema, location: 'path' | 'query') {
  const properties = (objectSchema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((objectSchema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, schema]) => ({ name, in: location, required: required.has(name), schema }));
}

const IDEMPOTENCY_KEY_PARAMETER = {
  name: IDEMPOTENCY_KEY_HEADER,
  in: 'header',
  required: false,
  description:
    'The same key with the same request within 24 h replays the first answer byte for byte (marked ' +
    `\`${REPLAYED_HEADER}: true\`); with a different request it is refused (422 idempotency_key_reused)`,
  schema: { type: 'string', pattern: KEY_FORMAT.source },
};

function requestBody(body: NonNullable<OperationDocs['body']>, schemas: JsonSchemas) {
  return { required: !body.safeParse(undefined).success, content: { 'application/json': { schema: schemas.request(body) } } };
}

function answer(response: ResponseDocs, idempotent: boolean, schemas: JsonSchemas) {
  const headers: Record<string, unknown> = { 'x-request-id': REQUEST_ID };
  for (const [name, description] of Object.entries(response.headers ?? {}))
    headers[name] = { description, schema: { type: 'string' } };
  if (idempotent) {
    headers[REPLAYED_HEADER] = {
      description: 'Present (`true`) when the answer replays an earlier one',
      schema: { type: 'string' },
    };
  }
  return {
    description: response.description,
    headers,
    ...(response.body ? { content: { 'application/json': { schema: schemas.response(response.body) } } } : {}),
    ...(response.mediaTypes
      ? { content: Object.fromEntries(response.mediaTypes.map((type) => [type, { schema: { type: 'string' } }])) }
      : {}),
  };
}

function byStatus(codes: readonly ProblemCode[]): Map<string, ProblemCode[]> {
  const grouped = new Map<string, ProblemCode[]>();
  for (const code of [...codes].sort((a, b) => PROBLEMS[a].status - PROBLEMS[b].status)) {
    const status = String(PROBLEMS[code].status);
    grouped.set(status, [...(grouped.get(status) ?? []), code]);
  }
  return grouped;
}

function problemAnswer(status: string, codes: readonly ProblemCode[], schemas: JsonSchemas) {
  return {
    description: codes.map((code) => `\`${code}\`: ${PROBLEMS[code].title}`).join('; '),
    headers: { 'x-request-id': REQUEST_ID },
    content: {
      'application/problem+json': {
        schema: {
          allOf: [schemas.response(problemSchema), { properties: { status: { const: Number(status) }, code: { enum: codes } } }],
        },
      },
    },
  };
}

const SIGNATURE_HEADERS = [
  { name: 'webhook-id', description: 'The message id: the same on every attempt and replay, for deduplication' },
  { name: 'webhook-timestamp', description: 'Seconds since the epoch when this attempt was signed' },
  {
    name: 'webhook-signature',
    description: '`v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>`; two, space-separated, while a rotated secret retires',
  },
].map((header) => ({ ...header, in: 'header', required: true, schema: { type: 'string' } }));

/** An event as the receiving endpoint sees it (Standard Webhooks). */
function webhookOperation(type: string, event: WebhookEventDocs, schemas: JsonSchemas) {
  return {
    operationId: `event_${type.replace(/[^A-Za-z0-9]+/g, '_')}`,
    summary: event.summary,
    security: [],
    parameters: SIGNATURE_HEADERS,
    requestBody: { required: true, content: { 'application/json': { schema: schemas.response(event.body) } } },
    responses: {
      '2XX': { description: 'Delivered' },
      '410': { description: 'The endpoint is gone: the webhook is disabled' },
      default: {
        description: 'Not delivered: retried after about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, then failed (replayable)',
      },
    },
  };
}
