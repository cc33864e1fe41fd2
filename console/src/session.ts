import { createRelayClient, type RelayClient } from '@nexus-relay/client';

/**
 * The API key lives in sessionStorage only (gone when the tab closes): never in a URL, a cookie or the page.
 * The API is the origin that served the console, under the same path prefix (an API Gateway stage, say).
 */
const KEY = 'nexus-relay.console.api-key';

export const apiBase = (): string => `${location.origin}${location.pathname.replace(/\/console\/?$/, '')}`;

export const storedKey = (): string | undefined => sessionStorage.getItem(KEY) ?? undefined;
export const storeKey = (key: string): void => sessionStorage.setItem(KEY, key);
export const forgetKey = (): void => sessionStorage.removeItem(KEY);

export const clientFor = (apiKey: string): RelayClient =>
  createRelayClient({ baseUrl: apiBase(), apiKey, retry: { attempts: 2 } });
