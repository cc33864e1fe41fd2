/** The kinds a configuration variable can be, read without zod to keep it out of start-up (decision 0010). */

/** A variable's value, or why it is refused (never the value: it may be a secret). */
export type Reading<T> = { value: T } | { invalid: string };

/** Whether a variable must be set, may be unset, or has a default when unset. */
export type Presence = 'required' | 'optional' | 'defaulted';

/** One environment variable: how it is read, whether it must be set, and what the docs say about it. */
export interface Variable<T = unknown, P extends Presence = Presence> {
  readonly presence: P;
  readonly default?: T;
  readonly description: string;
  /** The accepted values, for the docs, when the kind restricts them. */
  readonly values?: string;
  read(raw: string): Reading<T>;
}

/** A kind of value, made into a variable by saying whether it must be set. */
export class Kind<T> {
  constructor(
    readonly read: (raw: string) => Reading<T>,
    readonly values?: string,
  ) {}

  required(description: string): Variable<T, 'required'> {
    return this.#variable('required', description);
  }

  optional(description: string): Variable<T, 'optional'> {
    return this.#variable('optional', description);
  }

  withDefault(value: T, description: string): Variable<T, 'defaulted'> {
    return { ...this.#variable('defaulted', description), default: value };
  }

  #variable<P extends Presence>(presence: P, description: string): Variable<T, P> {
    return { presence, description, read: this.read, ...(this.values === undefined ? {} : { values: this.values }) };
  }
}

/** One of `options`, exactly as written. */
export const oneOf = <const V extends string>(options: readonly V[]) =>
  new Kind<V>(
    (raw) =>
      (options as readonly string[]).includes(raw) ? { value: raw as V } : { invalid: `must be one of ${options.join(', ')}` },
    options.map((option) => `\`${option}\``).join(', '),
  );

/** A whole number within [min, max] (`Number`: surrounding spaces allowed). */
export const integer = (min: number, max: number) =>
  new Kind<number>((raw) => {
    const value = Number(raw);
    return Number.isSafeInteger(value) && value >= min && value <= max
      ? { value }
      : { invalid: `must be an integer from ${min} to ${max}` };
  }, `integer ${min}–${max}`);

/** Text under a rule, refused with `message`. */
export const text = (rule: { minLength?: number; pattern?: RegExp; message?: string }) =>
  new Kind<string>((raw) => {
    if (rule.minLength !== undefined && raw.length < rule.minLength) {
      return { invalid: `must be at least ${rule.minLength} characters` };
    }
    if (rule.pattern && !rule.pattern.test(raw)) return { invalid: rule.message ?? `must match ${rule.pattern}` };
    return { value: raw };
  });

/** An absolute http(s) URL, trimmed. */
export const httpUrl = new Kind<string>((raw) => {
  const value = raw.trim().replace(/[\t\n\r]/g, '');
  const url = /^https?:\/\//i.test(value) && URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return { invalid: 'must be an http(s) URL' };
  // A user or password in it would be printed wherever the URL is (start-up banner, mx check, logs).
  return url.username || url.password ? { invalid: 'must not carry a user name or password' } : { value };
}, 'http(s) URL');

/** `true` or `false`, exactly. */
export const flag = new Kind<boolean>(
  (raw) => (raw === 'true' ? { value: true } : raw === 'false' ? { value: false } : { invalid: 'must be `true` or `false`' }),
  '`true`, `false`',
);

export const nonEmpty = text({ minLength: 1 });
/** A Secrets Manager secret's ARN, with or without the random suffix (the service accepts both). */
export const secretsManagerArn = text({
  pattern: /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
  message: 'must be a Secrets Manager secret ARN',
});
/** A KMS key's ARN, or an alias's. */
export const kmsKeyArn = text({
  pattern: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/,
  message: 'must be a KMS key ARN',
});
