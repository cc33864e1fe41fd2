import type { MxMetrics } from './mx-metrics.ts';
import { MxError } from './errors.ts';

/** A partner API call whose 401/403 means the partner's key, client id or IP allow-list, not the user: no retry fixes it. */
export async function partnerCall<T>(
  api: string,
  site: { route: string; method: 'GET' | 'POST' | 'DELETE' },
  metrics: MxMetrics,
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

/** MX_CREDENTIALS_REFUSED for `error`, counted. */
export function credentialsRefused(
  api: string,
  site: { route: string; method: 'GET' | 'POST' | 'DELETE' },
  metrics: MxMetrics,
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
