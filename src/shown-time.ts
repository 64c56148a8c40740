import { defaultConfig } from './config/defaults.js';

/**
 * Times and durations as people read them: on the bureau's clock (operation.timezone), not the
 * container's UTC; machines get ISO 8601 UTC in --json instead.
 */
export { localTime as shownTime } from './heartbeat.js';

export const DEFAULT_TIME_ZONE: string = defaultConfig.operation.timezone;

/**
 * Seconds to one decimal. A run's start is the database's clock and its end the process's: a
 * few milliseconds apart they can disagree in sign, and `-0.0 s` is no duration anyone took.
 */
export function shownDuration(seconds: number): string {
  const tenths = Math.round(Math.max(0, seconds) * 10) / 10;
  return tenths === 0 ? '0 s' : `${tenths.toFixed(1)} s`;
}
