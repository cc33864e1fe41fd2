import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import {
  OPENAPI_FILE,
  ROUTE_TEMPLATES_MODULE,
  generateOpenApiDocument,
  renderOpenApiFile,
  renderRouteTemplatesModule,
} from '../../../infra/openapi.ts';
import { isIdempotentWrite, routeKey } from '../../../lib/http/route.ts';
import { ROUTES } from '../../../lib/route-table.ts';
import { problemsOf } from '../../../lib/http/openapi/route-problems.ts';
import { PROBLEMS, type ProblemCode } from '../../../lib/http/problem.ts';
import * as z from '../../../lib/zod.ts';
import { EVENT_TYPES, TEST_EVENT_TYPE } from '../../../lib/notify/events.ts';

type Json = Record<string, any>;
const document: Json = generateOpenApiDocument();

const operationsOf = (doc: Json): [string, Json][] =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]): [string, Json] => [`${method.toUpperCase()} ${path}`, operation]),
  );
const documented = (route: (typeof ROUTES)[number]): Json => document.paths[route.path][route.method.toLowerCase()];

describe('the OpenAPI document api-docs serves', () => {
  it('is the committed lib/api-docs/public/openapi.json, and api-fallback’s route templates are its operations', () => {
    expect(
      readFileSync(OPENAPI_FILE, 'utf8') === renderOpenApiFile(generateOpenApiDocument()),
      `${OPENAPI_FILE} is out of date: run \`npm run openapi\` and commit the file`,
    ).toBe(true);
    expect(
      readFileSync(ROUTE_TEMPLATES_MODULE, 'utf8') === renderRouteTemplatesModule(),
      `${ROUTE_TEMPLATES_MODULE} is out of date: run \`npm run openapi\` and commit the file`,
    ).toBe(true);
  });
});

describe('route table ⇄ OpenAPI document', () => {
  it('has one operation per route and no operation without a route', () => {
    const keys = operationsOf(document).map(([key]) => key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it('documents a text body exactly where the route takes its body as text', () => {
    for (const route of ROUTES) expect(route.docs(z).bodyAsText === true, routeKey(route)).toBe(route.body === 'text');
  });
});

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('resolves every $ref inside itself', () => {
    const refs: string[] = [];
    JSON.stringify(document, (key, value: unknown) => {
      if (key === '$ref') refs.push(value as string);
      return value;
    });
    expect(refs.length).toBeGreaterThan(100);
    for (const ref of new Set(refs)) {
      const target = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<Json | undefined>((node, segment) => node?.[segment.replaceAll('~1', '/').replaceAll('~0', '~')], document);
      expect(target, ref).toBeDefined();
    }
  });

  it('asks for the bearer API key exactly on api_key routes, HTTP Basic on MX’s webhooks, nothing elsewhere', () => {
    for (const route of ROUTES) {
      const security = documented(route).security;
      if (route.auth === 'api_key') expect(security, routeKey(route)).toEqual([{ apiKey: [] }]);
      else if (route.path === '/mx/webhooks') expect(security).toEqual([{ mxWebhooks: [] }]);
      else expect(security, routeKey(route)).toEqual([]);
    }
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('declares every path parameter of every route as required, and the Idempotency-Key header on authenticated POST/PUT', () => {
    for (const route of ROUTES) {
      const parameters: Json[] = documented(route).parameters ?? [];
      const placeholders = [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      const pathParameters = parameters.filter((parameter) => parameter.in === 'path');
      expect(
        pathParameters.map((parameter) => parameter.name),
        routeKey(route),
      ).toEqual(placeholders);
      expect(pathParameters.every((parameter) => parameter.required && parameter.schema.type === 'string')).toBe(true);
      const takesKey = parameters.some((parameter) => parameter.in === 'header' && /^idempotency-key$/i.test(parameter.name));
      expect(takesKey, routeKey(route)).toBe(isIdempotentWrite(route));
    }
  });

  it('describes query parameters and bodies from the validation schemas, as clients send them', () => {
    const refresh = document.paths['/users/{user_id}/members/{member_guid}/refresh'].post;
    expect(refresh.parameters.find((p: Json) => p.name === 'include_holdings')).toEqual({
      name: 'include_holdings',
      in: 'query',
      required: false,
      schema: { type: 'boolean' }, // parsed strictly from `true` or `false`, described as what it carries
    });
    const transactions = document.paths['/users/{user_id}/transactions'].get.parameters;
    expect(transactions.map((p: Json) => p.name)).toEqual([
      'user_id',
      'page',
      'records_per_page',
      'use_case',
      'from_date',
      'to_date',
      'account_guid',
      'account_guids',
      'user_transaction_rule_guid',
    ]);
    expect(transactions.find((p: Json) => p.name === 'records_per_page').schema).toEqual({
      type: 'integer',
      minimum: 10,
      maximum: 1000,
    });
    const subscribe = document.paths['/webhooks'].post.requestBody;
    expect(subscribe.required).toBe(true);
    expect(subscribe.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['url'],
      additionalProperties: false,
      properties: { event_types: { type: 'array', minItems: 1, maxItems: 32 } },
    });
  });

  it('answers every problem a route can give as problem+json under its catalogue status, listing the codes', () => {
    for (const route of ROUTES) {
      const codes = problemsOf(route, route.docs(z));
      const responses = documented(route).responses as Record<string, Json>;
      const listed: ProblemCode[] = [];
      for (const [status, response] of Object.entries(responses)) {
        const problem = response.content?.['application/problem+json'];
        if (!problem) continue;
        const [, narrowing] = problem.schema.allOf;
        expect(narrowing.properties.status.const).toBe(Number(status));
        for (const code of narrowing.properties.code.enum as ProblemCode[]) {
          expect(PROBLEMS[code].status, `${routeKey(route)} ${code}`).toBe(Number(status));
          listed.push(code);
        }
      }
      expect(listed.sort(), routeKey(route)).toEqual([...codes].sort());
      expect(listed, routeKey(route)).toContain('internal_error');
      if (route.auth === 'api_key') expect(listed, routeKey(route)).toContain('unauthorized');
    }
  });

  it('gives every operation a success answer (2xx, or a redirect) carrying x-request-id', () => {
    for (const [key, operation] of operationsOf(document)) {
      const successes = Object.entries(operation.responses as Record<string, Json>).filter(([status]) => /^[23]/.test(status));
      expect(successes.length, key).toBeGreaterThan(0);
      for (const [, response] of successes) expect(response.headers['x-request-id'], key).toBeDefined();
    }
  });

  it('describes, in `webhooks`, the body of every event type and of the test event, with the signature headers', () => {
    expect(Object.keys(document.webhooks).sort()).toEqual([...EVENT_TYPES, TEST_EVENT_TYPE].sort());
    for (const [type, item] of Object.entries(document.webhooks as Record<string, Json>)) {
      const schema = item.post.requestBody.content['application/json'].schema;
      expect(schema.properties.type.const, type).toBe(type);
      expect(item.post.parameters.map((p: Json) => p.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    }
    expect(
      document.webhooks['aggregation.succeeded'].post.requestBody.content['application/json'].schema.properties.data,
    ).toMatchObject({
      properties: { job: { $ref: '#/components/schemas/Job' }, member: { $ref: '#/components/schemas/MemberSnapshot' } },
    });
  });
});
