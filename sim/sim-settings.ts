import { MINUTE_MS } from './calendar.ts';
import { InvalidInputError, optionalNumberInRange, requireJsonObject } from './input-validation.ts';

/** MX behaviour that tests switch on: off by default, as `npm start` and the test suites expect. */
export interface SimSettings {
  /** Every this many minutes MX's background aggregation runs a round (background-aggregation.ts); 0: never. */
  backgroundAggregationMinutes: number;
  /** MX's minimum time between standard aggregations: an aggregate call this soon after a success starts nothing; 0: none. */
  throttleWindowMinutes: number;
}

export const DEFAULT_SIM_SETTINGS: SimSettings = { backgroundAggregationMinutes: 0, throttleWindowMinutes: 0 };

/** A week; fractions are allowed (0.05 = 3 s), so a test on the system clock need not wait minutes. */
export const MAX_SETTING_MINUTES = 7 * 24 * 60;

/** Each setting's name in the control API and in the environment. */
const SETTINGS = [
  {
    key: 'backgroundAggregationMinutes',
    field: 'background_aggregation_minutes',
    variable: 'MX_SIM_BACKGROUND_AGGREGATION_MINUTES',
  },
  { key: 'throttleWindowMinutes', field: 'throttle_window_minutes', variable: 'MX_SIM_THROTTLE_MINUTES' },
] as const;

/**
 * Reads `POST /_sim/settings`: each setting named is set, the others go back to `defaults` (what the simulator was
 * started with), so `{}` restores the start-up settings.
 */
export function parseSettings(body: unknown, defaults: SimSettings): SimSettings {
  const input = requireJsonObject(body ?? {}, 'body');
  const settings = { ...defaults };
  for (const name of Object.keys(input)) {
    const setting = SETTINGS.find(({ field }) => field === name);
    if (!setting) throw new InvalidInputError(`${name} is not a setting (${SETTINGS.map(({ field }) => field).join(', ')})`);
    settings[setting.key] = optionalNumberInRange(input[name], name, { min: 0, max: MAX_SETTING_MINUTES }) ?? 0;
  }
  return settings;
}

/** The settings as the control API shows them. */
export const settingsView = (settings: SimSettings) => ({
  background_aggregation_minutes: settings.backgroundAggregationMinutes,
  throttle_window_minutes: settings.throttleWindowMinutes,
});

/**
 * The settings the environment gives (`MX_SIM_BACKGROUND_AGGREGATION_MINUTES`, `MX_SIM_THROTTLE_MINUTES`); unset or
 * empty ones are left out. A value that is not a number of minutes from 0 to a week throws, naming the variable.
 */
export function settingsFromEnvironment(env: Record<string, string | undefined>): Partial<SimSettings> {
  const settings: Partial<SimSettings> = {};
  for (const { key, variable } of SETTINGS) {
    const raw = env[variable];
    if (raw === undefined || raw.trim() === '') continue;
    const minutes = Number(raw);
    if (!Number.isFinite(minutes) || minutes < 0 || minutes > MAX_SETTING_MINUTES) {
      throw new Error(`${variable} must be a number of minutes from 0 to ${MAX_SETTING_MINUTES}, got "${raw}"`);
    }
    settings[key] = minutes;
  }
  return settings;
}

/** Settings given as options (`startMxSimulator`), checked as the environment's are; missing ones are off. */
export function checkedSettings(given: Partial<SimSettings>): SimSettings {
  const settings = { ...DEFAULT_SIM_SETTINGS };
  for (const { key } of SETTINGS) {
    const minutes = given[key] ?? DEFAULT_SIM_SETTINGS[key];
    settings[key] = minutes;
    if (!Number.isFinite(minutes) || minutes < 0 || minutes > MAX_SETTING_MINUTES) {
      throw new Error(`${key} must be a number of minutes from 0 to ${MAX_SETTING_MINUTES}, got ${minutes}`);
    }
  }
  return settings;
}

export const minutesToMs = (minutes: number): number => Math.round(minutes * MINUTE_MS);
