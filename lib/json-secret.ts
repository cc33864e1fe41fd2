import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type * as z from './zod.ts';

/** Credentials are rarely rotated, and their counterpart must be told first: re-read a secret at most every 15 minutes. */
const SECRET_MAX_AGE_SECONDS = 15 * 60;

export type SecretsSource = Pick<SecretsProvider, 'get'>;

/** Bytes that are not UTF-8 are refused rather than read with U+FFFD in place of a credential's characters. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export interface JsonSecretOptions<S extends z.ZodMiniType> {
  /** How messages name the secret: "the MX webhook credentials". */
  name: string;
  /** The expected shape as shown in messages: `{"username","password"}`. */
  shape: string;
  /** The secret's schema. */
  schema: S;
  /** The error thrown when the secret is unreadable or badly shaped; its message never carries the value. */
  toError: (message: string, options?: { cause?: unknown }) => Error;
  /** Where the secret is read: the function's one Powertools SecretsProvider (lib/compositions/secrets.ts). */
  secrets: SecretsSource;
}

/**
 * A reader of the JSON secret `secretArn`, validated by `schema`: read on first use and cached per container
 * (Powertools' SecretsProvider). A badly shaped secret is reported by field names, never by value.
 */
export function jsonSecretReader<S extends z.ZodMiniType>(secretArn: string, options: JsonSecretOptions<S>) {
  return async (): Promise<z.output<S>> => {
    let text: unknown;
    try {
      text = await options.secrets.get(secretArn, { maxAge: SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      throw options.toError(`The ${options.name} secret could not be read.`, { cause: error });
    }
    // Parsed here rather than by the provider's JSON transform: a parse error's message quotes the text it could not
    // read, the secret itself, and is dropped instead of kept as the cause of an error that gets logged.
    let value: unknown;
    try {
      // A binary secret (SecretBinary) comes as bytes: read as UTF-8 text, as the provider's transform would.
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
