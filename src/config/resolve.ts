/**
 * A validated scenario made ready for the engine: defaults that depend on other fields, channel
 * names, and the publish schedule's size. Also the redacted copy that goes into reports.
 */
import type { ParsedScenario } from './schema.js';
import type { StampEncoding } from '../metrics/stamp.js';
import { redactSecrets } from '../secrets.js';
import { areaOf, loadShapeOf, type LoadShape } from './load-shape.js';
import { targetAdapter } from '../targets/registry.js';
import { senderCount } from './senders.js';
import { channelNamesOf } from './membership.js';

export { channelNamesOf };

export interface Scenario extends Omit<ParsedScenario, 'publish'> {
  /** `duration` filled in: with stages, the measured part of publishing (the stages together). */
  publish: ParsedScenario['publish'] & { duration: number };
  /** The publish rate and the connections over the publishing period (load-shape.ts). */
  load: LoadShape;
  /** The file it came from ("<flags>" when built from flags only). */
  source: string;
  channelNames: string[];
  encoding: StampEncoding;
  /** Clients that send the schedule's messages (publish.via websocket); 0 when wsbench publishes into Redis. */
  senders: number;
  /** The raw scenario (after flags) with secrets redacted, for the report. */
  asRun: unknown;
}

export function resolveScenario(parsed: ParsedScenario, source: string, raw: unknown): Scenario {
  const load = loadShapeOf(parsed);
  return {
    ...parsed,
    publish: { ...parsed.publish, duration: parsed.publish.duration ?? load.spanMs - parsed.warmup },
    load,
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
export function publishCounts(s: Pick<Scenario, 'publish' | 'warmup'> & { stages?: Scenario['stages']; load?: LoadShape }): {
  warmup: number;
  measured: number;
  total: number;
} {
  const warmup = Math.round((s.publish.rate * s.warmup) / 1000);
  // With stages: the area under the stages' rate curve (the warm-up is its first segment when it has one).
  const stageSegments = s.stages && s.load ? s.load.rate.slice(s.warmup > 0 ? 1 : 0) : null;
  const measured = Math.max(1, Math.round(stageSegments ? areaOf(stageSegments) : (s.publish.rate * s.publish.duration) / 1000));
  return { warmup, measured, total: warmup + measured };
}
