import * as z from 'zod';
import type { Operations } from '../http/http-handler.ts';
import openApiDocument from '../http/openapi/openapi.generated.json' with { type: 'json' };
import type { OperationsDocs } from '../http/openapi/operation-docs.ts';

export const docs: OperationsDocs = {
  'GET /openapi.json': {
    responses: {
      200: {
        description: 'This document (OpenAPI 3.1)',
        body: z.looseObject({}),
        headers: { 'cache-control': 'Cacheable for 5 minutes' },
      },
    },
  },
};

/** The api-docs function: the OpenAPI document, generated from every function's docs (`npm run openapi`). */
export const operations = (): Operations => ({
  'GET /openapi.json': {
    auth: 'none',
    async handle() {
      return { status: 200, body: openApiDocument, headers: { 'cache-control': 'public, max-age=300' } };
    },
  },
});
