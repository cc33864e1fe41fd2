import type { MetricsSink } from '../metrics.ts';
import { MxError } from './errors.ts';

/**
 * `call` to one of MX's partner APIs (SSO, MDX Real Time: `MD-API-KEY`, IP allow-listed), with their 401/403 told
 * apart: the partner's key, client id or allow-list, not the user — no retry fixes it. Counted as MxCredentialsRefused.
 */
export async function partnerCall<T>(
  api: string,
  site: { route: string; method: 'GET' | 'POST' | 'DELETE' },
  metrics: MetricsSink,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof MxError && (error.status === 401 || error.status === 403)) {
      throw credentialsRefused(api, site, metrics, error, 'refused the partner credentials');
    }
    throw error;
  }
}

/** MX_CREDENTIALS_REFUSED for `error`, counted: `why` ends the message. */
export function credentialsRefused(
  api: string,
  site: { route: string; method: 'GET' | 'POST' | 'DELETE' },
  metrics: MetricsSink,
  error: MxError,
  why: string,
): MxError {
  metrics.add('MxCredentialsRefused', 1, {});
  return new MxError('MX_CREDENTIALS_REFUSED', `MX's ${api} ${why} (HTTP ${error.status})`, {
    ...site,
    status: error.status,
    mxCode: error.mxCode,
    cause: error,
  });
}
