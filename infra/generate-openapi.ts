import { writeFileSync } from 'node:fs';

/** `npm run openapi`: regenerates the OpenAPI document (JSON for tools, a module for api-docs) from the functions' docs. */

// Function modules compose their services (and so parse the configuration) when loaded; any valid one will do.
const placeholderEnv = {
  TABLE_NAME: 'openapi-generator',
  POLL_QUEUE_URL: 'http://127.0.0.1:1/000000000000/poll',
  DELIVERY_QUEUE_URL: 'http://127.0.0.1:1/000000000000/delivery',
  MX_BASE_URL: 'http://127.0.0.1:1',
  LOG_LEVEL: 'ERROR',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
for (const [name, value] of Object.entries(placeholderEnv)) process.env[name] ??= value;

const { OPENAPI_JSON, OPENAPI_MODULE, generateOpenApiDocument, renderOpenApiJson, renderOpenApiModule } =
  await import('./openapi.ts');
const document = await generateOpenApiDocument();
writeFileSync(OPENAPI_JSON, renderOpenApiJson(document));
writeFileSync(OPENAPI_MODULE, renderOpenApiModule(document));
console.log(`wrote ${OPENAPI_JSON} and ${OPENAPI_MODULE}`);
