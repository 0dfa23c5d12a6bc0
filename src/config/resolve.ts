/**
 * A validated scenario made ready for the engine: defaults that depend on other fields, channel
 * names, and the publish schedule's size. Also the redacted copy that goes into reports.
 */
import type { ParsedScenario } from './schema.js';
import type { StampEncoding } from '../metrics/stamp.js';

export interface Scenario extends ParsedScenario {
  /** The file it came from ("<flags>" when built from flags only). */
  source: string;
  channelNames: string[];
  encoding: StampEncoding;
  /** The raw scenario (after flags) with secrets redacted, for the report. */
  asRun: unknown;
}

export function channelNamesOf(channels: number | string[]): string[] {
  if (Array.isArray(channels)) return [...channels];
  if (channels === 1) return ['bench'];
  return Array.from({ length: channels }, (_, i) => `bench-${i}`);
}

export function resolveScenario(parsed: ParsedScenario, source: string, raw: unknown): Scenario {
  return {
    ...parsed,
    source,
    channelNames: channelNamesOf(parsed.publish.channels),
    encoding: parsed.publish.encoding ?? (parsed.target.kind === 'builtin' ? 'binary' : 'text'),
    asRun: redactSecrets(raw),
  };
}

/** Number of messages the publisher sends in the warm-up and the measured period. */
export function publishCounts(s: Pick<Scenario, 'publish' | 'warmup'>): { warmup: number; measured: number; total: number } {
  const warmup = Math.round((s.publish.rate * s.warmup) / 1000);
  const measured = Math.max(1, Math.round((s.publish.rate * s.publish.duration) / 1000));
  return { warmup, measured, total: warmup + measured };
}

const SECRET_KEY = /pass(word)?|secret|token|auth|cookie|api[-_]?key/i;

/** Deep copy with passwords in URLs and secret-looking keys replaced by "***". */
export function redactSecrets(value: unknown): unknown {
  if (typeof value === 'string') return redactUrlPassword(value);
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && typeof v === 'string' ? '***' : redactSecrets(v);
    return out;
  }
  return value;
}

export function redactUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/i, (_, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon >= 0 ? `${scheme}${userinfo.slice(0, colon)}:***@` : `${scheme}${userinfo}@`;
  });
}
