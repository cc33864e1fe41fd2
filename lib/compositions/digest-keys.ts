import { DigestKeys } from '../digest-keys.ts';
import { NexusRelayError } from '../errors.ts';
import { jsonSecretReader } from '../json-secret.ts';
import * as z from '../zod.ts';
import type { Runtime } from './runtime.ts';
import { missingKey } from './missing-key.ts';
import { secrets } from './secrets.ts';

class DigestKeyError extends NexusRelayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DIGEST_KEY_INVALID', message, options);
    this.name = 'DigestKeyError';
  }
}

const key = z.base64().check(z.refine((value: string) => Buffer.from(value, 'base64').length >= 32, 'at least 32 bytes'));
const digestKeySecret = z.object({ key, previous: z.optional(z.array(key)) });

const readers = new WeakMap<Runtime, () => Promise<DigestKeys>>();

/** The deployment's secret, reread as Secrets Manager's cache expires (so a rotation reaches every container), or a local key. */
export function digestKeysOf(runtime: Runtime): () => Promise<DigestKeys> {
  let reader = readers.get(runtime);
  if (!reader) {
    reader = readerOf(runtime);
    readers.set(runtime, reader);
  }
  return reader;
}

function readerOf({ config }: Runtime): () => Promise<DigestKeys> {
  const source = config.digests.key;
  if (source && 'localKey' in source) {
    const keys = new DigestKeys(source.localKey);
    return async () => keys;
  }
  if (!source) {
    // Raised at the first digest, not at start: the function's other routes work without it.
    return async () => {
      throw missingKey(config, 'Digests of user input and user ids are keyed', 'DIGEST_KEY_SECRET_ARN');
    };
  }
  const read = jsonSecretReader(source.secretArn, {
    name: 'digest key',
    shape: '{"key","previous"?}',
    schema: digestKeySecret,
    toError: (message, options) => new DigestKeyError(message, options),
    secrets: secrets(),
  });
  let made: { text: string; keys: DigestKeys } | undefined;
  return async () => {
    const { key: current, previous = [] } = await read();
    const text = [current, ...previous].join(',');
    if (made?.text !== text) {
      const bytes = (value: string) => Buffer.from(value, 'base64');
      made = { text, keys: new DigestKeys(bytes(current), previous.map(bytes)) };
    }
    return made.keys;
  };
}
