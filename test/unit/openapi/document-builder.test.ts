import * as z from '../../../lib/zod.ts';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../../lib/http/openapi/document.ts';
import type { OperationDocs } from '../../../lib/http/openapi/operation-docs.ts';
import type { DocumentedRoute } from '../../../lib/http/openapi/route-problems.ts';
import { jobViewSchema as job } from '../../../lib/aggregation/job-view.ts';
import { booleanFlag } from '../../../lib/http/validation.ts';
import { params } from '../../../lib/identifiers.ts';

const info = { title: 'test', version: '1', description: 'test' };
const thingDocs: OperationDocs = {
  path: z.object({ thing_id: params.userId }),
  query: z.object({ loud: booleanFlag }),
  body: z.strictObject({ count: z.pipe(z.string(), z.transform(Number)) }),
  responses: { 202: { description: 'Done', body: z.object({ job }), headers: { location: 'Where' } } },
  problems: ['not_found'],
};
const documented = (docs: OperationDocs): DocumentedRoute & { docs(): OperationDocs } => ({
  method: 'POST',
  path: '/things/{thing_id}',
  auth: 'api_key',
  summary: 'Do a thing',
  docs: () => docs,
});
const route = documented(thingDocs);

describe('buildOpenApiDocument', () => {
  it('refuses two routes with one method and path', () => {
    expect(() => buildOpenApiDocument(info, [route, route])).toThrow('POST /things/{thing_id} is declared twice');
  });

  it('refuses a path schema that does not name exactly the path’s parameters', () => {
    const docs = { ...thingDocs, path: z.object({ id: z.string() }) };
    expect(() => buildOpenApiDocument(info, [documented(docs)])).toThrow('must require exactly thing_id');
  });

  it('describes inputs before their transforms and answers as written, naming shared shapes once', () => {
    const document = buildOpenApiDocument(info, [route]) as any;
    const operation = document.paths['/things/{thing_id}'].post;
    expect(operation.operationId).toBe('post_things_thing_id');
    expect(operation.parameters.map((p: any) => [p.in, p.name, p.required])).toEqual([
      ['path', 'thing_id', true],
      ['query', 'loud', false],
      ['header', 'idempotency-key', false],
    ]);
    expect(operation.requestBody.content['application/json'].schema.properties.count).toEqual({ type: 'string' });
    expect(operation.responses['202'].content['application/json'].schema.properties.job).toEqual({
      $ref: '#/components/schemas/Job',
    });
    expect(Object.keys(operation.responses['202'].headers).sort()).toEqual(['idempotent-replayed', 'location', 'x-request-id']);
    expect(Object.keys(document.components.schemas).sort()).toEqual(['Challenge', 'Job', 'Problem']);
    expect(operation.responses['404'].content['application/problem+json'].schema.allOf[1].properties.code.enum).toEqual([
      'not_found',
    ]);
  });
});
