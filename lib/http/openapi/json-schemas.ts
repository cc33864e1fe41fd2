import * as z from '../../zod.ts';

export type JsonSchema = Record<string, unknown>;

const COMPONENT_REF = '#/components/schemas/';

/**
 * Query parameters arrive as text and are parsed by strict patterns (`^\d{1,7}$`, `true|false`); the document
 * describes what they carry instead (`type: integer` with bounds, `type: boolean`), as clients send them.
 * `.meta(describedAs(json))` marks such a schema.
 */
const DESCRIBED_AS = 'x-described-as';
export const describedAs = (json: JsonSchema) => ({ [DESCRIBED_AS]: json });

/**
 * zod → JSON Schema (2020-12, as OpenAPI 3.1 uses). Schemas carrying an `id` (response-schemas.ts) are collected
 * once as named components and referenced; requests are described as clients send them (`io: 'input'`: before
 * transforms and defaults), answers as the service writes them.
 */
export class JsonSchemas {
  readonly #named = new Map<string, string>();

  request(schema: z.ZodMiniType): JsonSchema {
    return this.#convert(schema, 'input');
  }

  response(schema: z.ZodMiniType): JsonSchema {
    return this.#convert(schema, 'output');
  }

  /** Every named schema met so far, for `components.schemas`. */
  named(): Record<string, JsonSchema> {
    return Object.fromEntries(
      [...this.#named].sort(([a], [b]) => a.localeCompare(b)).map(([id, json]) => [id, JSON.parse(json)]),
    );
  }

  #convert(schema: z.ZodMiniType, io: 'input' | 'output'): JsonSchema {
    const converted = z.toJSONSchema(schema, {
      io,
      override: ({ jsonSchema }) => {
        const described = jsonSchema[DESCRIBED_AS];
        if (described === undefined) return;
        for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
        Object.assign(jsonSchema, described);
      },
    });
    const {
      $schema: _dialect,
      $defs: defs = {},
      ...json
    } = JSON.parse(JSON.stringify(converted).replaceAll('"#/$defs/', `"${COMPONENT_REF}`)) as JsonSchema & {
      $defs?: Record<string, JsonSchema>;
    };
    for (const [id, definition] of Object.entries(defs)) this.#name(id, JSON.stringify(definition));
    return json;
  }

  #name(id: string, json: string): void {
    const known = this.#named.get(id);
    if (known !== undefined && known !== json) throw new Error(`Schema ${id} converts differently in two places`);
    this.#named.set(id, json);
  }
}
