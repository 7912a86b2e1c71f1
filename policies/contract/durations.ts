// GENERATED from components/contract/ by `npm run sync:contract`: edit the source, not this copy.
/** Duration strings as Keycloak and humans write them: "90s", "5m", "8h", "30d", or combined "1h30m". */

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(?:\d+[smhd])+$/;

export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g)) total += Number(amount) * UNIT_SECONDS[unit];
  return total > 0 ? total : undefined;
}

/** The shortest exact string for a number of seconds, the form Keycloak's provider takes ("300" -> "5m"). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

const GO_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/**
 * Seconds in a duration as Go's time.ParseDuration reads it (the Keycloak
 * provider parses realm durations so): units ns..h, nothing longer. Undefined
 * when Go would refuse it ("1d" fails with `time: unknown unit "d"`).
 */
export function parseGoDuration(text: string): number | undefined {
  if (text.length === 0) return undefined;
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * GO_UNITS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** The shortest Go duration for a number of seconds ("24h", "90m", "45s"): what the Keycloak provider takes for realm lifespans. */
export function formatGoDuration(seconds: number): string {
  for (const [unit, size] of [
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
