/**
 * A validated scenario made ready for the engine: defaults that depend on other fields, channel
 * names, and the publish schedule's size. Also the redacted copy that goes into reports.
 */
import type { ParsedScenario } from './schema.js';
import type { StampEncoding } from '../metrics/stamp.js';
import { redactSecrets } from '../secrets.js';
import { targetAdapter } from '../targets/registry.js';
import { senderCount } from './senders.js';

export interface Scenario extends ParsedScenario {
  /** The file it came from ("<flags>" when built from flags only). */
  source: string;
  channelNames: string[];
  encoding: StampEncoding;
  /** Clients that send the schedule's messages (publish.via websocket); 0 when wsbench publishes into Redis. */
  senders: number;
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
    encoding: parsed.publish.encoding ?? targetAdapter(parsed.target.kind).defaultEncoding,
    senders:
      parsed.publish.via === 'websocket'
        ? senderCount(parsed.publish.senders, parsed.clients.connections, channelNamesOf(parsed.publish.channels).length)
        : 0,
    asRun: redactSecrets(raw),
  };
}

/** Number of messages the publisher sends in the warm-up and the measured period. */
export function publishCounts(s: Pick<Scenario, 'publish' | 'warmup'>): { warmup: number; measured: number; total: number } {
  const warmup = Math.round((s.publish.rate * s.warmup) / 1000);
  const measured = Math.max(1, Math.round((s.publish.rate * s.publish.duration) / 1000));
  return { warmup, measured, total: warmup + measured };
}
