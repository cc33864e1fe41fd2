import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type * as z from './zod.ts';

/** Credentials are rarely rotated, and their counterpart must be told first. */
const SECRET_MAX_AGE_SECONDS = 15 * 60;

export type SecretsSource = Pick<SecretsProvider, 'get'>;

/** Refuses non-UTF-8 bytes rather than read U+FFFD in place of a credential's characters. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export interface JsonSecretOptions<S extends z.ZodMiniType> {
  /** How messages name the secret: "the MX webhook credentials". */
  name: string;
  /** The expected shape as shown in messages: `{"username","password"}`. */
  shape: string;
  schema: S;
  /** Its message never carries the value. */
  toError: (message: string, options?: { cause?: unknown }) => Error;
  /** The function's one SecretsProvider. */
  secrets: SecretsSource;
}

/** A cached reader of the JSON secret `secretArn`. A badly shaped secret is reported by field names, never by value. */
export function jsonSecretReader<S extends z.ZodMiniType>(secretArn: string, options: JsonSecretOptions<S>) {
  return async (): Promise<z.output<S>> => {
    let text: unknown;
    try {
      text = await options.secrets.get(secretArn, { maxAge: SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      throw options.toError(`The ${options.name} secret could not be read.`, { cause: error });
    }
    // Not the provider's JSON transform: a parse error's message quotes the secret, and must not become a logged cause.
    let value: unknown;
    try {
      // A binary secret comes as bytes.
      value = JSON.parse(text instanceof Uint8Array ? strictUtf8.decode(text) : String(text));
    } catch {
      value = undefined;
    }
    const parsed = options.schema.safeParse(value);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      throw options.toError(`The ${options.name} secret must be JSON ${options.shape}; check: ${fields}.`);
    }
    return parsed.data;
  };
}
