import { writeFileSync } from 'node:fs';
import { OPENAPI_MODULE, generateOpenApiDocument, renderOpenApiModule } from './openapi.ts';

/** `npm run openapi`: regenerates the OpenAPI document (the module api-docs serves) from the route table's docs. */
writeFileSync(OPENAPI_MODULE, renderOpenApiModule(generateOpenApiDocument()));
console.log(`wrote ${OPENAPI_MODULE}`);
