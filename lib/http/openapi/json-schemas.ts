import * as z from '../../zod.ts';

export type JsonSchema = Record<string, unknown>;

const COMPONENT_REF = '#/components/schemas/';

/** Query parameters are parsed from text by patterns; the document describes what they carry, as clients send them. */
const DESCRIBED_AS = 'x-described-as';
export const describedAs = (json: JsonSchema) => ({ [DESCRIBED_AS]: json });

/** zod → JSON Schema; schemas with an `id` become named components. Requests are described before transforms. */
export class JsonSchemas {
  readonly #named = new Map<string, string>();

  request(schema: z.ZodMiniType): JsonSchema {
    return this.#convert(schema, 'input');
  }

  response(schema: z.ZodMiniType): JsonSchema {
    return this.#convert(schema, 'output');
  }

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
