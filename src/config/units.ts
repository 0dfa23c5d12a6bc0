/**
 * Human units in scenario files and flags: durations ("10s", "250ms", "2m", bare number = seconds),
 * rates ("1000/s", "5k/s", "60/min", bare number = per second) and sizes ("64", "1KiB", "2kb").
 * Pure functions; each returns undefined for text it does not understand so the caller can say
 * where the bad value is.
 */

/**
 * The largest values a scenario may ask for (documented in the README). A run longer than a week
 * is a mistake (and Node's timers cannot wait past 24.8 days); sequence numbers are 32-bit.
 */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;
export const MAX_RATE_PER_SEC = 10_000_000;
export const MAX_MESSAGES = 1_000_000_000;

const durationUnitsMs: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
};

const multipliers: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6 };

/** Milliseconds for a duration, or undefined when it is not one. Bare numbers are seconds. */
export function parseDurationMs(value: string | number): number | undefined {
  if (typeof value === 'number') return finite(value * 1000);
  const text = value.trim();
  if (text === '') return undefined;
  // A sign is accepted so that "-5s" is reported as negative rather than as gibberish.
  if (text.startsWith('-')) {
    const positive = parseDurationMs(text.slice(1));
    return positive === undefined ? undefined : -positive;
  }
  // Allow compound durations like "1m30s".
  const part = /(\d+(?:\.\d+)?)\s*(ms|sec|min|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = part.exec(text)) !== null) {
    total += Number(match[1]) * durationUnitsMs[match[2]!]!;
    consumed = part.lastIndex;
  }
  if (consumed === text.length && consumed > 0) return finite(total);
  const bare = Number(text);
  return text !== '' && Number.isFinite(bare) ? finite(bare * 1000) : undefined;
}

const ratePeriodsPerSecond: Record<string, number> = {
  ms: 1000,
  s: 1,
  sec: 1,
  m: 1 / 60,
  min: 1 / 60,
  h: 1 / 3600,
};

/** Events per second for a rate, or undefined. "5k/s", "60/min", "200" (per second). */
export function parseRatePerSec(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*([kKmM]?)\s*(?:\/\s*(ms|sec|min|s|m|h))?\s*$/.exec(value);
  if (!match) return undefined;
  const count = Number(match[1]) * multipliers[match[2] ?? '']!;
  const perSecond = match[3] ? ratePeriodsPerSecond[match[3]]! : 1;
  return finite(count * perSecond);
}

const sizeUnits: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1_000_000,
  mib: 1024 * 1024,
};

/** Bytes for a size, or undefined. "64", "64B", "1KiB", "2kb", "1MiB". */
export function parseSizeBytes(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!match) return undefined;
  const unit = sizeUnits[match[2]!.toLowerCase()];
  return unit === undefined ? undefined : finite(Number(match[1]) * unit);
}

/** Bytes per second for a byte rate, or undefined. "16KiB/s", "1MB/s", "64kb/min", "2048" (per second). */
export function parseByteRatePerSec(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const match = /^\s*(.*?)\s*(?:\/\s*(ms|sec|min|s|m|h))?\s*$/.exec(value);
  if (!match || match[1] === '') return undefined;
  const bytes = parseSizeBytes(match[1]!);
  if (bytes === undefined) return undefined;
  return finite(bytes * (match[2] ? ratePeriodsPerSecond[match[2]]! : 1));
}

/** A fraction in [0, 1] from "5%" or 0.05, or undefined. */
export function parseFraction(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*%\s*$/.exec(value);
  return match ? Number(match[1]) / 100 : undefined;
}

/** A number too large to be finite (`1e308` seconds) is as unreadable as text. */
function finite(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}

/** Compact duration for humans: 950 ms → "950ms", 90_000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds ? `${minutes}m${seconds}s` : `${minutes}m`;
}
