import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STACK_OUTPUTS } from '../infra/stack-outputs.ts';
import { CliError } from './errors.ts';
import { stackOutput } from './stack-output.ts';

/** MX's Platform API hosts, where its onboarding API keeps the client's IP allow-list. */
export const PLATFORM_HOSTS = { integration: 'https://int-api.mx.com', production: 'https://api.mx.com' } as const;

export interface PartnerCredentials {
  clientId: string;
  apiKey: string;
}

/** One address as MX's allow-list holds it: its status (`PENDING` until MX approves it), or absent. */
export interface AllowListEntry {
  address: string;
  status: string | 'absent';
  guid?: string;
}

/** The addresses a deployed stack calls MX from: its `MxEgressAddresses` output (the operator's AWS credentials). */
export async function egressAddresses(env: string, region: string | undefined): Promise<string[]> {
  const list = await stackOutput(env, region, STACK_OUTPUTS.mxEgressAddresses, {
    title: 'No egress addresses',
    code: 'no_egress',
  });
  return list.split(',').map((address) => address.trim());
}

/** The partner's credentials from a deployed stack's secret (`nexus-relay/<env>/mx-credentials`). */
export async function stackCredentials(env: string, region: string | undefined): Promise<PartnerCredentials> {
  const client = new SecretsManagerClient(region ? { region } : {});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: `nexus-relay/${env}/mx-credentials` }));
    const { client_id: clientId, api_key: apiKey } = JSON.parse(SecretString ?? '{}') as Record<string, unknown>;
    if (typeof clientId !== 'string' || typeof apiKey !== 'string') throw new Error('no client_id and api_key in it');
    return { clientId, apiKey };
  } catch (error) {
    throw new CliError(
      { title: 'No MX credentials', detail: `nexus-relay/${env}/mx-credentials: ${(error as Error).message}`, code: 'no_target' },
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}

/**
 * MX's onboarding API (docs.mx.com/other/onboarding-api): `GET /ip_addresses?ip_address=` reads an address's entry,
 * `POST /ip_addresses` adds one (`PENDING` until MX approves it: up to 15 minutes in the U.S., days elsewhere). MX's
 * reason is kept in every error; the credentials never are.
 */
export class MxAllowList {
  constructor(
    private readonly baseUrl: string,
    private readonly credentials: PartnerCredentials,
  ) {}

  async entry(address: string): Promise<AllowListEntry> {
    const body = (await this.#call('GET', `/ip_addresses?ip_address=${encodeURIComponent(address)}`)) as {
      ip_addresses?: { ip_address?: string; status?: string; guid?: string }[];
    };
    const found = body.ip_addresses?.find((entry) => entry.ip_address === address);
    return found
      ? { address, status: found.status ?? 'unknown', ...(found.guid ? { guid: found.guid } : {}) }
      : { address, status: 'absent' };
  }

  async add(address: string): Promise<AllowListEntry> {
    const body = (await this.#call('POST', '/ip_addresses', { ip_address: { ip_address: address } })) as {
      ip_address?: { status?: string; guid?: string };
    };
    return {
      address,
      status: body.ip_address?.status ?? 'unknown',
      ...(body.ip_address?.guid ? { guid: body.ip_address.guid } : {}),
    };
  }

  async #call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const { clientId, apiKey } = this.credentials;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/vnd.mx.api.v1+json',
          authorization: `Basic ${Buffer.from(`${clientId}:${apiKey}`).toString('base64')}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new CliError(
        { title: 'MX unreachable', detail: `${this.baseUrl}: ${(error as Error).message}`, code: 'mx_unreachable' },
        { cause: error },
      );
    }
    const text = await response.text();
    if (!response.ok) {
      throw new CliError({
        title: 'MX refused',
        detail: `${method} ${this.baseUrl}/ip_addresses answered ${response.status}: ${mxReason(text)}`,
        code: response.status === 401 || response.status === 403 ? 'mx_credentials_refused' : 'mx_refused',
      });
    }
    return text ? (JSON.parse(text) as unknown) : {};
  }
}

/** MX's own message from an error body (`{"error":{"message":…}}`), else its first 200 characters. */
function mxReason(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 200) || '(no body)';
}
