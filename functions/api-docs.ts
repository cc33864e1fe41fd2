import * as z from 'zod';
import type { Operations } from '../lib/http/http-handler.ts';
import openApiDocument from '../lib/http/openapi/openapi.generated.json' with { type: 'json' };
import type { OperationsDocs } from '../lib/http/openapi/operation-docs.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';

const services = getServices();

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

/** Generated at build time from every function's docs (`npm run openapi`; a test keeps it current). */
export const operations: Operations = {
  'GET /openapi.json': {
    auth: 'none',
    async handle() {
      return { status: 200, body: openApiDocument, headers: { 'cache-control': 'public, max-age=300' } };
    },
  },
};

export const handler = httpHandler(services, operations);
