import { CONFIG_VARIABLES } from '../../lib/config/variables.ts';
import { ConfigError } from '../../lib/errors.ts';

/** What a local tool (the local stack, `nexus-relay mx check`) talks to: its MX simulator, or the MX the environment names. */
export type MxTarget =
  | { kind: 'simulator' }
  | {
      kind: 'mx';
      baseUrl: string;
      ssoBaseUrl: string;
      realtimeBaseUrl: string;
      credentials: { clientId: string; apiKey: string };
    };

/**
 * The settings that name a real MX: all five or none. A real MX has its SSO and MDX Real Time hosts apart from its
 * data host, so both are among them; only the simulator answers all three on one origin.
 */
const NAMES_MX = ['MX_BASE_URL', 'MX_SSO_BASE_URL', 'MX_REALTIME_BASE_URL', 'MX_CLIENT_ID', 'MX_API_KEY'] as const;

/**
 * The MX a local tool talks to. Nothing set: the simulator. Some set but not all: refused with one line naming what
 * is missing — someone testing against MX must never be talking to the simulator without knowing it. Each value is
 * checked as the relay's configuration checks it (lib/config/variables.ts).
 */
export function mxTargetOf(env: Record<string, string | undefined>): MxTarget {
  const given = (name: string) => (env[name] ?? '') !== '';
  const set = NAMES_MX.filter(given);
  if (set.length === 0) return { kind: 'simulator' };
  const missing = NAMES_MX.filter((name) => !given(name));
  if (missing.length > 0) {
    throw new ConfigError(
      [...missing],
      `MX settings are partial: ${list(set)} ${set.length === 1 ? 'is' : 'are'} set but ${list(missing)} ${
        missing.length === 1 ? 'is' : 'are'
      } not. Set ${list(missing)} to talk to that MX, or unset ${list(set)} to run against the simulator.`,
    );
  }
  const [baseUrl, ssoBaseUrl, realtimeBaseUrl, clientId, apiKey] = NAMES_MX.map((name) => {
    const reading = CONFIG_VARIABLES[name].read(env[name]!);
    // Never the value: MX_API_KEY is a secret, MX_CLIENT_ID half of the partner's credentials.
    if ('invalid' in reading) throw new ConfigError([name], `${name} is invalid: ${reading.invalid}`);
    return reading.value;
  }) as [string, string, string, string, string];
  return { kind: 'mx', baseUrl, ssoBaseUrl, realtimeBaseUrl, credentials: { clientId, apiKey } };
}

/** The banner's line saying which MX the stack talks to. */
export function describeMxTarget(target: MxTarget, simulatorUrl: string | undefined): string {
  return target.kind === 'simulator'
    ? `MX: the simulator at ${simulatorUrl} (control API under /_sim/; set ${list(NAMES_MX)} for a real MX)`
    : // Never the client id: it is half of the partner's credentials.
      `MX: ${target.baseUrl} (SSO ${target.ssoBaseUrl}, MDX Real Time ${target.realtimeBaseUrl}) — a real MX, not the simulator`;
}

const list = (names: readonly string[]): string =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
