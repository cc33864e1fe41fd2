import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SIM_SETTINGS,
  MAX_SETTING_MINUTES,
  checkedSettings,
  minutesToMs,
  parseSettings,
  settingsFromEnvironment,
  settingsView,
} from '../../sim-settings.ts';

describe('sim settings', () => {
  it('are off by default', () => {
    expect(DEFAULT_SIM_SETTINGS).toEqual({ backgroundAggregationMinutes: 0, throttleWindowMinutes: 0 });
    expect(checkedSettings({})).toEqual(DEFAULT_SIM_SETTINGS);
  });

  it('POST /_sim/settings sets the ones named and restores the others to the start-up settings', () => {
    const startedWith = { backgroundAggregationMinutes: 5, throttleWindowMinutes: 0 };
    expect(parseSettings({ throttle_window_minutes: 180 }, startedWith)).toEqual({
      backgroundAggregationMinutes: 5,
      throttleWindowMinutes: 180,
    });
    expect(parseSettings({ background_aggregation_minutes: 0.05 }, startedWith)).toEqual({
      backgroundAggregationMinutes: 0.05,
      throttleWindowMinutes: 0,
    });
    expect(parseSettings({}, startedWith)).toEqual(startedWith);
    expect(parseSettings(undefined, startedWith)).toEqual(startedWith);
  });

  it.each([
    [{ throttle_window_minutes: -1 }, 'throttle_window_minutes'],
    [{ background_aggregation_minutes: '5' }, 'background_aggregation_minutes'],
    [{ background_aggregation_minutes: MAX_SETTING_MINUTES + 1 }, 'background_aggregation_minutes'],
    [{ throttle_minutes: 5 }, 'throttle_minutes is not a setting'],
    [[], 'body'],
  ])('refuses %j naming %s', (body, field) => {
    expect(() => parseSettings(body, DEFAULT_SIM_SETTINGS)).toThrow(field);
  });

  it('reads the environment, leaving out what is unset or empty', () => {
    expect(settingsFromEnvironment({})).toEqual({});
    expect(settingsFromEnvironment({ MX_SIM_BACKGROUND_AGGREGATION_MINUTES: '', MX_SIM_THROTTLE_MINUTES: '180' })).toEqual({
      throttleWindowMinutes: 180,
    });
    expect(settingsFromEnvironment({ MX_SIM_BACKGROUND_AGGREGATION_MINUTES: '0.5' })).toEqual({
      backgroundAggregationMinutes: 0.5,
    });
  });

  it.each(['x', '-1', 'Infinity', String(MAX_SETTING_MINUTES + 1)])(
    'refuses %s in the environment, naming the variable',
    (raw) => {
      expect(() => settingsFromEnvironment({ MX_SIM_THROTTLE_MINUTES: raw })).toThrow('MX_SIM_THROTTLE_MINUTES');
    },
  );

  it('checks options as the environment is checked', () => {
    expect(checkedSettings({ throttleWindowMinutes: 3 })).toEqual({ backgroundAggregationMinutes: 0, throttleWindowMinutes: 3 });
    expect(() => checkedSettings({ backgroundAggregationMinutes: -2 })).toThrow('backgroundAggregationMinutes');
  });

  it('shows them in the control API’s names, and converts minutes to milliseconds', () => {
    expect(settingsView({ backgroundAggregationMinutes: 1, throttleWindowMinutes: 2 })).toEqual({
      background_aggregation_minutes: 1,
      throttle_window_minutes: 2,
    });
    expect(minutesToMs(0.05)).toBe(3_000);
  });
});
