import { writeFileSync } from 'node:fs';

/** `npm run openapi`: regenerates the OpenAPI document (the module api-docs serves) from the functions' docs. */

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

const { OPENAPI_MODULE, generateOpenApiDocument, renderOpenApiModule } = await import('./openapi.ts');
writeFileSync(OPENAPI_MODULE, renderOpenApiModule(await generateOpenApiDocument()));
console.log(`wrote ${OPENAPI_MODULE}`);
