import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  OPENAPI_FILE,
  ROUTE_TEMPLATES_MODULE,
  generateOpenApiDocument,
  renderOpenApiFile,
  renderRouteTemplatesModule,
} from './openapi.ts';

/** `npm run openapi`: regenerates the OpenAPI document api-docs serves, and api-fallback's route templates. */
const document = generateOpenApiDocument();
mkdirSync(dirname(OPENAPI_FILE), { recursive: true });
writeFileSync(OPENAPI_FILE, renderOpenApiFile(document));
writeFileSync(ROUTE_TEMPLATES_MODULE, renderRouteTemplatesModule());
console.log(`wrote ${OPENAPI_FILE} and ${ROUTE_TEMPLATES_MODULE}`);
