import { UsageError } from './output.js';

const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** "7d", "12h", "30m", "90s" or a number of seconds -> seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhdw]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`"${text}" is not a duration; use e.g. 7d, 12h, 30m`);
  const seconds = Number(m[1]) * units[m[2] || 's']!;
  if (seconds < 1) throw new UsageError('a duration must be at least one second');
  return seconds;
}

export function parsePositiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} must be a whole number of at least 1 (got "${text}")`);
  return n;
}
