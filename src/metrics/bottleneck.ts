/**
 * Was the tool itself the limit? A run where wsbench's own processes were saturated measures
 * wsbench, not the target; such runs are flagged, never presented as the target's limit.
 */
import type { ProcessStats } from '../results/types.js';

/** A tool process above this CPU % (of one core) was likely saturated. */
export const CPU_LIMIT_PERCENT = 85;
/** Event-loop delay p99 above this (ms) distorts receipt timestamps noticeably. */
export const EVENT_LOOP_DELAY_LIMIT_MS = 20;
/** Publisher lag p99 above this (ms) means the publisher could not hold the schedule. */
export const PUBLISHER_LAG_LIMIT_MS = 10;

export interface BottleneckVerdict {
  bottleneck: boolean;
  reasons: string[];
}

/**
 * The verdict over a transport's run. A run with no measured publishing window (it failed to
 * connect, or was stopped before publishing) measured nothing the tool could have distorted: busy
 * handshakes then are no verdict on the figures, so none is given.
 */
export function assessBottleneck(
  toolProcesses: readonly ProcessStats[],
  publisherLagP99Ms: number,
  measuredWindowMs: number,
  /** Who sent the schedule: wsbench's publisher, or the client senders (publish.via websocket). */
  sender = 'publisher',
): BottleneckVerdict {
  if (!(measuredWindowMs > 0)) return { bottleneck: false, reasons: [] };
  const reasons: string[] = [];
  for (const p of toolProcesses) {
    if (p.cpuPercent >= CPU_LIMIT_PERCENT) reasons.push(`${p.role} ${p.pid} used ${p.cpuPercent}% CPU (limit ${CPU_LIMIT_PERCENT}%)`);
    if (p.eventLoopDelayMs.p99 >= EVENT_LOOP_DELAY_LIMIT_MS) {
      reasons.push(`${p.role} ${p.pid} event-loop delay p99 ${p.eventLoopDelayMs.p99} ms (limit ${EVENT_LOOP_DELAY_LIMIT_MS} ms)`);
    }
  }
  if (publisherLagP99Ms >= PUBLISHER_LAG_LIMIT_MS) {
    reasons.push(`${sender} fell behind schedule: lag p99 ${publisherLagP99Ms} ms (limit ${PUBLISHER_LAG_LIMIT_MS} ms)`);
  }
  return { bottleneck: reasons.length > 0, reasons };
}
