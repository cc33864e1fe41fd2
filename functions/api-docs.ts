import * as z from 'zod';
import { ROUTES } from '../infra/routes.ts';
import type { Operations } from '../lib/http/http-handler.ts';
import { buildOpenApiDocument } from '../lib/http/openapi/document.ts';
import type { OperationsDocs } from '../lib/http/openapi/operation-docs.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';
import packageJson from '../package.json' with { type: 'json' };
import { docs as jobsDocs } from './api-jobs.ts';
import { docs as readDocs } from './api-read.ts';
import { docs as refreshDocs } from './api-refresh.ts';
import { docs as webhooksDocs } from './api-webhooks.ts';
import { docs as mxEventsDocs } from './mx-events.ts';

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

/** Built once per container: the route table, described by the docs each function declares next to its operations. */
export const openApiDocument = buildOpenApiDocument(
  {
    title: 'nexus-relay',
    version: packageJson.version,
    description: packageJson.description,
  },
  ROUTES,
  { ...refreshDocs, ...jobsDocs, ...readDocs, ...webhooksDocs, ...mxEventsDocs, ...docs },
);

export const operations: Operations = {
  'GET /openapi.json': {
    auth: 'none',
    async handle() {
      return { status: 200, body: openApiDocument, headers: { 'cache-control': 'public, max-age=300' } };
    },
  },
};

export const handler = httpHandler(services, operations);
