import { ConfigError } from '../../lib/errors.ts';

/** What the local stack talks to: its MX simulator, or the MX the environment names (all three settings given). */
export type MxTarget = { kind: 'simulator' } | { kind: 'mx'; baseUrl: string; ssoBaseUrl: string };

/** The settings that name an MX; all three or none. */
const REQUIRED = ['MX_BASE_URL', 'MX_CLIENT_ID', 'MX_API_KEY'] as const;
/** Settings that only make sense against a real MX: any of them set means the user meant one. */
const MEANS_REAL_MX = [...REQUIRED, 'MX_SSO_BASE_URL'] as const;

/**
 * The MX a local stack talks to. Nothing set: the simulator. Some set but not all: refused with one line naming what
 * is missing — someone testing against MX must never be talking to the simulator without knowing it.
 */
export function mxTargetOf(env: Record<string, string | undefined>): MxTarget {
  const given = (name: string) => (env[name] ?? '') !== '';
  const set = MEANS_REAL_MX.filter(given);
  if (set.length === 0) return { kind: 'simulator' };
  const missing = REQUIRED.filter((name) => !given(name));
  if (missing.length > 0) {
    throw new ConfigError(
      [...missing],
      `MX settings are partial: ${list(set)} ${set.length === 1 ? 'is' : 'are'} set but ${list(missing)} ${
        missing.length === 1 ? 'is' : 'are'
      } not. Set ${list(missing)} to talk to that MX, or unset ${list(set)} to run against the simulator.`,
    );
  }
  return {
    kind: 'mx',
    baseUrl: env.MX_BASE_URL!,
    ssoBaseUrl: given('MX_SSO_BASE_URL') ? env.MX_SSO_BASE_URL! : env.MX_BASE_URL!,
  };
}

/** The banner's line saying which MX the stack talks to. */
export function describeMxTarget(target: MxTarget, simulatorUrl: string | undefined): string {
  return target.kind === 'simulator'
    ? `MX: the simulator at ${simulatorUrl} (control API under /_sim/; set MX_BASE_URL, MX_CLIENT_ID and MX_API_KEY for a real MX)`
    : // Never the client id: it is half of the partner's credentials.
      `MX: ${target.baseUrl} (SSO ${target.ssoBaseUrl}) — a real MX, not the simulator`;
}

const list = (names: readonly string[]): string =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
