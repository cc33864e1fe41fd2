import { writeFileSync } from 'node:fs';

/** `npm run openapi`: regenerates lib/http/openapi/openapi.generated.json from the functions' docs. */

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

const { OPENAPI_JSON, generateOpenApiDocument, renderOpenApiJson } = await import('./openapi.ts');
writeFileSync(OPENAPI_JSON, renderOpenApiJson(await generateOpenApiDocument()));
console.log(`wrote ${OPENAPI_JSON}`);
