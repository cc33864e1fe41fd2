import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';

/** What a deployed function gets besides `valid`: its environment, the SSO host and MDX Real Time. */
const deployed = {
  NEXUS_RELAY_ENV: 'prod',
  MX_SSO_BASE_URL: 'https://sso.moneydesktop.com',
  MX_REALTIME_BASE_URL: 'https://live.moneydesktop.com',
};

const valid = {
  TABLE_NAME: 'nexus-relay-dev',
  POLL_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/poll',
  MEMBER_REPORTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/member-reports',
  RECONCILE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/reconcile',
  DELIVERY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/delivery',
  MX_BASE_URL: 'https://int-data.moneydesktop.com',
  MX_USE_CASES_ENABLED: 'true',
  MX_CLIENT_ID: 'client',
  MX_API_KEY: 'key',
};

describe('parseConfig', () => {
  it('applies documented defaults', () => {
    const config = parseConfig(valid);
    expect(config.env).toBe('local');
    expect(config.mx.aggregateMethod).toBe('GET');
    expect(config.mx.ssoBaseUrl).toBe(valid.MX_BASE_URL);
    expect(config.aggregation.deadlineSeconds).toBe(1200);
    expect(config.webhooks.allowInsecureUrls).toBe(false);
    expect(parseConfig({ ...valid, WEBHOOK_ALLOW_LOOPBACK: 'true' }).webhooks.allowInsecureUrls).toBe(true);
  });

  it('requires the SSO host and MDX Real Time outside local mode, naming each (no silent fallback to the data host)', () => {
    const live = { MX_REALTIME_BASE_URL: 'https://int-live.moneydesktop.com' };
    const sso = { MX_SSO_BASE_URL: 'https://int-sso.moneydesktop.com' };
    for (const env of ['dev', 'staging', 'prod']) {
      expect(() => parseConfig({ ...valid, ...live, NEXUS_RELAY_ENV: env })).toThrow(
        /MX_SSO_BASE_URL .* is required outside local mode/,
      );
      expect(() => parseConfig({ ...valid, ...sso, NEXUS_RELAY_ENV: env })).toThrow(
        /MX_REALTIME_BASE_URL .* is required outside local mode/,
      );
      const config = parseConfig({ ...valid, ...sso, ...live, NEXUS_RELAY_ENV: env });
      expect(config.mx).toMatchObject({ ssoBaseUrl: sso.MX_SSO_BASE_URL, realtimeBaseUrl: live.MX_REALTIME_BASE_URL });
    }
  });

  it('names every missing or invalid variable', () => {
    const attempt = () =>
      parseConfig({ ...valid, TABLE_NAME: undefined, MX_AGGREGATE_METHOD: 'PATCH', AGGREGATION_DEADLINE_SECONDS: 'soon' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const configError = error as ConfigError;
      expect(configError.variables.sort()).toEqual(['AGGREGATION_DEADLINE_SECONDS', 'MX_AGGREGATE_METHOD', 'TABLE_NAME']);
      expect(configError.message).toContain('TABLE_NAME is required');
      expect(configError.message).toContain('MX_AGGREGATE_METHOD is invalid');
    }
  });

  it('has no default for use cases: MX opts a client in, so the deployment states it', () => {
    expect(() => parseConfig({ ...valid, MX_USE_CASES_ENABLED: undefined })).toThrow(/MX_USE_CASES_ENABLED is required/);
    expect(parseConfig({ ...valid, MX_USE_CASES_ENABLED: 'false' }).mx.useCasesEnabled).toBe(false);
  });

  it('treats empty strings as unset and never echoes secret values', () => {
    try {
      parseConfig({ ...valid, MX_API_KEY: '' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe('Invalid configuration: MX_API_KEY is required');
    }
  });

  it('refuses the local dev key outside local mode and relaxes webhook URLs only locally', () => {
    expect(() => parseConfig({ ...valid, ...deployed, LOCAL_API_KEY: 'x'.repeat(20) })).toThrow(/LOCAL_API_KEY/);
    expect(parseConfig({ ...valid, ...deployed }).webhooks.allowInsecureUrls).toBe(false);
    expect(() => parseConfig({ ...valid, ...deployed, WEBHOOK_ALLOW_LOOPBACK: 'true' })).toThrow(/WEBHOOK_ALLOW_LOOPBACK/);
  });
});

describe('MX credentials', () => {
  const { MX_CLIENT_ID: _id, MX_API_KEY: _key, ...withoutCredentials } = valid;
  const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nexus-relay/mx-AbCdEf';

  it('come from the environment or from a secret', () => {
    expect(parseConfig(valid).mx.credentials).toEqual({ clientId: 'client', apiKey: 'key' });
    expect(parseConfig({ ...withoutCredentials, MX_CREDENTIALS_SECRET_ARN: secretArn }).mx.credentials).toEqual({ secretArn });
  });

  it('may be absent in functions that never call MX', () => {
    expect(parseConfig(withoutCredentials).mx.credentials).toBeUndefined();
  });

  it('refuse half a pair, a malformed ARN, or both sources at once', () => {
    expect(() => parseConfig({ ...withoutCredentials, MX_CLIENT_ID: 'client' })).toThrow(/MX_API_KEY is required/);
    expect(() => parseConfig({ ...withoutCredentials, MX_CREDENTIALS_SECRET_ARN: 'nexus-relay/mx' })).toThrow(
      /MX_CREDENTIALS_SECRET_ARN is invalid/,
    );
    expect(() => parseConfig({ ...valid, MX_CREDENTIALS_SECRET_ARN: secretArn })).toThrow(/not both/);
  });
});

describe('reading each kind of variable', () => {
  const read = (name: string, raw: string) => {
    try {
      return { config: parseConfig({ ...valid, [name]: raw }) };
    } catch (error) {
      return { error: error as ConfigError };
    }
  };

  it('an integer: any way Number writes a whole number in range, nothing else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 3600 }), fc.constantFrom('', ' ', '\t'), (seconds, pad) => {
        expect(read('POLL_STALLED_AFTER_SECONDS', `${pad}${seconds}${pad}`).config?.aggregation.stalledAfterMs).toBe(
          seconds * 1000,
        );
      }),
    );
    for (const raw of ['9', '3601', '12.5', 'twelve', '1e9', 'NaN', '  ']) {
      expect(read('POLL_STALLED_AFTER_SECONDS', raw).error?.message, raw).toBe(
        'Invalid configuration: POLL_STALLED_AFTER_SECONDS is invalid: must be an integer from 10 to 3600',
      );
    }
  });

  it('an http(s) URL: absolute, with //, trimmed; no other scheme', () => {
    expect(read('MX_BASE_URL', ' https://mx.example.com/api ').config?.mx.baseUrl).toBe('https://mx.example.com/api');
    expect(read('MX_BASE_URL', 'HTTP://mx.example.com').config?.mx.baseUrl).toBe('HTTP://mx.example.com');
    for (const raw of ['mx.example.com', 'http:mx.example.com', 'ftp://mx.example.com', 'https://', 'javascript:alert(1)']) {
      expect(read('MX_BASE_URL', raw).error?.variables, raw).toEqual(['MX_BASE_URL']);
    }
    // A user name or password in it would be printed wherever the URL is: refused, and not echoed.
    for (const raw of ['https://partner:s3cr3t@mx.example.com', 'https://partner@mx.example.com/api']) {
      const { error } = read('MX_BASE_URL', raw);
      expect(error?.message, raw).toBe('Invalid configuration: MX_BASE_URL is invalid: must not carry a user name or password');
    }
  });

  it('an option, a flag and a pattern: exactly the values allowed', () => {
    expect(read('MX_AGGREGATE_METHOD', 'POST').config?.mx.aggregateMethod).toBe('POST');
    expect(read('MX_AGGREGATE_METHOD', 'post').error?.message).toContain('must be one of GET, POST');
    expect(read('WEBHOOK_ALLOW_LOOPBACK', 'true').config?.webhooks.allowInsecureUrls).toBe(true);
    expect(read('WEBHOOK_ALLOW_LOOPBACK', 'yes').error?.message).toContain('must be `true` or `false`');
    expect(read('TABLE_NAME', 'ab').error?.message).toContain('TABLE_NAME is invalid: must be at least 3 characters');
  });

  it('never puts the refused value in the error: it may be a secret', () => {
    // Each variable with what makes its value refused (MX_API_KEY takes any text: refused beside the secret's ARN).
    const refusals: Record<string, Record<string, string>> = {
      MX_API_KEY: { MX_CREDENTIALS_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:mx-AbCdEf' },
      LOCAL_SECRETS_KEY: {},
      MX_CREDENTIALS_SECRET_ARN: {},
      WEBHOOK_SECRETS_KEY_ARN: {},
      MX_BASE_URL: {},
    };
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(refusals)), fc.string({ minLength: 6, maxLength: 40 }), (name, raw) => {
        const value = `secret-${raw}`;
        let error: unknown;
        try {
          parseConfig({ ...valid, ...refusals[name], [name]: value });
        } catch (caught) {
          error = caught;
        }
        expect(error, name).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).message).not.toContain(value);
      }),
    );
  });
});

describe('parsing only the sections a function reads (api-docs and api-fallback: the environment and the log level)', () => {
  /** Every variable a deployed function may get, each well formed. */
  const everything = {
    ...valid,
    ...deployed,
    MX_CLIENT_ID: undefined,
    MX_API_KEY: undefined,
    MX_CREDENTIALS_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nexus-relay/mx-AbCdEf',
    MX_WEBHOOK_CREDENTIALS_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nexus-relay/mxw-AbCdEf',
    WEBHOOK_SECRETS_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-0908-0706-050403020100',
    SESSION_TOKENS_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/1f1e1d1c-1b1a-1918-1716-151413121110',
    SYNC_CURSOR_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nexus-relay/sync-AbCdEf',
    POLL_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/1/poll-dlq',
    REFRESH_REQUESTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/refresh-requests',
    API_KEY_REQUESTS_PER_MINUTE: '600',
    LOG_LEVEL: 'WARN',
  };

  it('gives exactly those sections, and reads no other variable: none of the others needs to be set or well formed', () => {
    const env = { NEXUS_RELAY_ENV: 'prod', LOG_LEVEL: 'WARN', MX_AGGREGATE_METHOD: 'PATCH', LOCAL_API_KEY: 'x'.repeat(20) };
    expect(parseConfig(env, ['env', 'logLevel'])).toEqual({ env: 'prod', logLevel: 'WARN' });
  });

  it('names a variable of its sections that is missing or refused, as the whole parse does', () => {
    expect(() => parseConfig({ LOG_LEVEL: 'LOUD' }, ['env', 'logLevel'])).toThrow(
      'Invalid configuration: LOG_LEVEL is invalid: must be one of DEBUG, INFO, WARN, ERROR',
    );
    expect(() => parseConfig({ ...everything, TABLE_NAME: undefined }, ['aws', 'tableName'])).toThrow(/TABLE_NAME is required/);
    // A rule over several variables holds for the section that reads them.
    expect(() => parseConfig({ ...everything, MX_SSO_BASE_URL: undefined }, ['mx'])).toThrow(/MX_SSO_BASE_URL/);
    expect(() => parseConfig({ ...everything, LOCAL_SECRETS_KEY: 'A'.repeat(43) + '=' }, ['webhooks'])).toThrow(
      /LOCAL_SECRETS_KEY is only allowed when NEXUS_RELAY_ENV=local/,
    );
  });

  it('builds each section as the whole parse builds it', () => {
    const whole = parseConfig(everything);
    for (const section of Object.keys(whole) as (keyof typeof whole)[]) {
      expect(parseConfig(everything, [section]), section).toEqual({ [section]: whole[section] });
    }
  });
});
