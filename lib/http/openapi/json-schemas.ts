import * as z from 'zod';

export type JsonSchema = Record<string, unknown>;

const COMPONENT_REF = '#/components/schemas/';

/**
 * Query parameters parsed from text by a strict pattern are described as what they carry: `queryInteger(min, max)`
 * marks such a schema, and the document says `type: integer` with its bounds instead of the pattern.
 */
const QUERY_INTEGER = 'x-query-integer';
export const queryInteger = (minimum: number, maximum: number) => ({ [QUERY_INTEGER]: { minimum, maximum } });

/**
 * zod → JSON Schema (2020-12, as OpenAPI 3.1 uses). Schemas carrying an `id` (response-schemas.ts) are collected
 * once as named components and referenced; requests are described as clients send them (`io: 'input'`: before
 * transforms and defaults), answers as the service writes them.
 */
export class JsonSchemas {
  readonly #named = new Map<string, string>();

  request(schema: z.ZodType): JsonSchema {
    return this.#convert(schema, 'input');
  }

  response(schema: z.ZodType): JsonSchema {
    return this.#convert(schema, 'output');
  }

  /** Every named schema met so far, for `components.schemas`. */
  named(): Record<string, JsonSchema> {
    return Object.fromEntries(
      [...this.#named].sort(([a], [b]) => a.localeCompare(b)).map(([id, json]) => [id, JSON.parse(json)]),
    );
  }

  #convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const converted = z.toJSONSchema(schema, {
      io,
      override: ({ jsonSchema }) => {
        const integer = jsonSchema[QUERY_INTEGER];
        if (integer === undefined) return;
        for (const key of Object.keys(jsonSchema)) delete jsonSchema[key];
        Object.assign(jsonSchema, { type: 'integer', ...integer });
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
