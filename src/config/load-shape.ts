/**
 * The load's shape over the publishing period, as plain data for every process that follows it
 * (the publisher thread, the workers, the coordinator): the publish rate and the connections
 * wanted, each a piecewise-linear curve from message 0's intended time. Warm-up holds the
 * scenario's `publish.rate` and `clients.connections`; each stage then ramps linearly from the
 * previous value to its own (k6-style), holding the previous value when it names none. A scenario
 * without stages is one constant segment of warm-up + duration.
 *
 * The arithmetic on these curves (value, integral and its inverse) is the schedule's
 * (engine/pacer.ts); this module only says what the scenario asks for. Pure.
 */

/** One piece of a curve: a linear ramp from `from` to `to` over `durationMs`. */
export interface CurveSegment {
  durationMs: number;
  from: number;
  to: number;
}

/** A scenario stage as validated (durations in ms, rates per second). */
export interface StageInput {
  duration: number;
  connections?: number | undefined;
  rate?: number | undefined;
}

export interface LoadShape {
  /** Publishes per second over time from message 0 (warm-up first). */
  rate: CurveSegment[];
  /** Connections wanted over the same axis and the same segments. */
  connections: CurveSegment[];
  /** The highest number of connections the curve asks for (clients to provide for). */
  maxConnections: number;
  /** The publishing period's length: warm-up + the measured part, ms. */
  spanMs: number;
  /** Start of each stage on the same axis (ms from message 0), in order; empty without stages. */
  stageStartsMs: number[];
}

/** The load's shape of a scenario: its warm-up, then its stages (or its one constant period). */
export function loadShapeOf(s: {
  warmup: number;
  publish: { rate: number; duration?: number | undefined };
  clients: { connections: number };
  stages?: readonly StageInput[] | undefined;
}): LoadShape {
  const rate: CurveSegment[] = [];
  const connections: CurveSegment[] = [];
  let r = s.publish.rate;
  let c = s.clients.connections;
  let max = c;
  const stageStartsMs: number[] = [];
  let at = 0;
  const push = (durationMs: number, toRate: number, toConnections: number) => {
    if (!(durationMs > 0)) return;
    rate.push({ durationMs, from: r, to: toRate });
    connections.push({ durationMs, from: c, to: toConnections });
    r = toRate;
    c = toConnections;
    max = Math.max(max, c);
    at += durationMs;
  };
  push(s.warmup, r, c);
  if (s.stages && s.stages.length > 0) {
    for (const stage of s.stages) {
      stageStartsMs.push(at);
      push(stage.duration, stage.rate ?? r, stage.connections ?? c);
    }
  } else {
    push(s.publish.duration ?? 0, r, c);
  }
  return { rate, connections, maxConnections: max, spanMs: at, stageStartsMs };
}

/** The integral of a curve over its segments (per second × s): a rate curve's message count. */
export function areaOf(segments: readonly CurveSegment[]): number {
  return segments.reduce((sum, s) => sum + ((s.from + s.to) / 2) * (s.durationMs / 1000), 0);
}

/** Whether the load changes at all after warm-up (stages that ramp or step). */
export function isConstant(shape: LoadShape): boolean {
  const same = (segments: CurveSegment[]) => segments.every((x) => x.from === segments[0]!.from && x.to === segments[0]!.from);
  return same(shape.rate) && same(shape.connections);
}
