/**
 * Command-line flags that override scenario fields. They are applied to the raw scenario before
 * validation, so a bad flag value gets the same checks as a bad file value, reported by flag name.
 */
import { ConfigError } from '../errors.js';

export interface Override {
  /** The flag as typed, for messages: `--rate`. */
  flag: string;
  /** Where it lands in the scenario. */
  path: string[];
  /** The new value, or a function of the value the file had there. */
  value: unknown;
}

/** Flag name → scenario path, for the simple one-to-one flags. */
export const FIELD_FLAGS = {
  connections: ['clients', 'connections'],
  'ramp-up': ['clients', 'rampUp'],
  'max-handshakes': ['clients', 'maxHandshakesInFlight'],
  rate: ['publish', 'rate'],
  duration: ['publish', 'duration'],
  'payload-size': ['publish', 'payloadSize'],
  channels: ['publish', 'channels'],
  encoding: ['publish', 'encoding'],
  warmup: ['warmup'],
  drain: ['drain'],
  redis: ['redis', 'url'],
  workers: ['clients', 'workers'],
  'local-address': ['clients', 'localAddresses'],
  'ws-client': ['clients', 'wsClient'],
  churn: ['clients', 'churn'],
} as const satisfies Record<string, readonly string[]>;

export type FieldFlag = keyof typeof FIELD_FLAGS;

/** Overrides for the field flags that were given (undefined values are skipped). */
export function fieldOverrides(values: Partial<Record<FieldFlag, unknown>>): Override[] {
  const out: Override[] = [];
  for (const [flag, path] of Object.entries(FIELD_FLAGS) as [FieldFlag, readonly string[]][]) {
    const value = values[flag];
    // yargs turns a number flag's text that is not a number into NaN; the text itself is gone.
    if (typeof value === 'number' && Number.isNaN(value)) throw new ConfigError('is not a number', { key: `--${flag}` });
    // A flag given twice arrives as a list (only --local-address is one).
    if (Array.isArray(value) && flag !== 'local-address') throw new ConfigError('given more than once', { key: `--${flag}` });
    if (value !== undefined) out.push({ flag: `--${flag}`, path: [...path], value: coerceFlagValue(value) });
  }
  return out;
}

/**
 * `--target builtin` switches to the built-in server; `--target ws://…` points the run at the
 * user's own server: a stack adapter of the scenario (socketio, channels …) keeps its protocol,
 * readiness and injector and gets this as its `target.url`; otherwise the target becomes `raw`,
 * keeping the scenario's other raw settings when it had them. (Replacing a stack adapter by `raw`
 * silently would run the wrong protocol and injector against the stack.)
 */
export function targetOverride(value: string): Override {
  if (value === 'builtin') return { flag: '--target', path: ['target'], value: { kind: 'builtin' } };
  return {
    flag: '--target',
    path: ['target'],
    value: (current: unknown) => {
      const kind = isRecord(current) ? current['kind'] : undefined;
      if (isRecord(current) && typeof kind === 'string' && kind !== 'builtin' && kind !== 'raw') return { ...current, url: value };
      return { ...(isRecord(current) && kind === 'raw' ? current : {}), kind: 'raw', url: value };
    },
  };
}

/**
 * `--stage 20s:connections=2000:rate=500/s` (repeatable): the stages replace the scenario's, in
 * the order given. A stage is a duration, then `connections=N` and/or `rate=R` (either may be left
 * out: the previous value holds). The values are checked by the scenario's own rules afterwards.
 */
export function stagesOverride(values: readonly string[]): Override {
  const stages = values.map((text, n) => {
    const [duration = '', ...parts] = text.split(':');
    const where = `--stage ${n + 1} ("${text}")`;
    if (duration.trim() === '')
      throw new ConfigError(`${where}: starts with a duration, e.g. 20s:connections=2000:rate=500/s`, { key: '--stage' });
    const stage: Record<string, unknown> = { duration: coerceFlagValue(duration.trim()) };
    for (const part of parts) {
      const match = /^\s*(connections|rate)\s*=\s*(.+?)\s*$/.exec(part);
      if (!match) throw new ConfigError(`${where}: "${part}" is not connections=N or rate=R`, { key: '--stage' });
      if (match[1]! in stage) throw new ConfigError(`${where}: ${match[1]} given twice`, { key: '--stage' });
      stage[match[1]!] = coerceFlagValue(match[2]!);
    }
    return stage;
  });
  return { flag: '--stage', path: ['stages'], value: stages };
}

/** Numbers typed as flags arrive as strings or numbers; keep numeric text numeric. */
function coerceFlagValue(value: unknown): unknown {
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return value;
}

export function applyOverrides(raw: Record<string, unknown>, overrides: Override[]): Record<string, unknown> {
  const out = structuredClone(raw);
  for (const { path, value } of overrides) {
    let node: Record<string, unknown> = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (!isRecord(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    const key = path[path.length - 1]!;
    node[key] = typeof value === 'function' ? (value as (current: unknown) => unknown)(node[key]) : value;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
