/**
 * Plain progress lines for a non-interactive run (pipes, CI): one line per phase change and one
 * per interval while clients connect or messages flow. No colours, no cursor movement.
 */
import type { EngineEvent, Snapshot } from '../engine/events.js';
import { fmtInt, fmtMs } from './format.js';

export function plainProgressLine(event: EngineEvent): string | null {
  const at = `[${(elapsedOf(event) / 1000).toFixed(1)}s]`;
  switch (event.type) {
    case 'phase':
      return `${at} ${event.phase}${event.transport ? ` (${event.transport})` : ''}${event.detail ? `: ${event.detail}` : ''}`;
    case 'warning':
      return `${at} warning: ${event.message}`;
    case 'incident':
      return `${at} incident ${event.incident.kind}: ${event.incident.detail}`;
    case 'snapshot':
      return snapshotLine(at, event.snapshot);
    case 'interval':
    case 'agents':
      // The snapshot lines already say how it goes (and incidents when an agent is lost); these are for NDJSON and the dashboard.
      return null;
  }
}

function elapsedOf(event: EngineEvent): number {
  if (event.type === 'snapshot') return event.snapshot.elapsedMs;
  if (event.type === 'incident') return event.incident.atMs;
  return event.elapsedMs;
}

function snapshotLine(at: string, s: Snapshot): string | null {
  const c = s.connections;
  if (s.phase === 'connecting' || s.phase === 'waiting-ready') {
    return `${at} connections ${fmtInt(c.opened)}/${fmtInt(c.target)} open, ${fmtInt(c.failed)} failed, ${fmtInt(c.inFlight)} in flight`;
  }
  if (s.phase === 'warmup' || s.phase === 'publishing' || s.phase === 'draining') {
    const d = s.delivery;
    const ratio = d.expectedSoFar > 0 ? ` (${((100 * d.delivered) / d.expectedSoFar).toFixed(2)}%)` : '';
    const lat = s.latencyMs ? ` · p50 ${fmtMs(s.latencyMs.p50)} p99 ${fmtMs(s.latencyMs.p99)} max ${fmtMs(s.latencyMs.max)} ms` : '';
    const tool = s.tool.bottleneck ? ` · TOOL BUSY: ${s.tool.reason}` : '';
    const failures = s.publish.errors > 0 ? ` (${fmtInt(s.publish.errors)} failed)` : '';
    return `${at} published ${fmtInt(s.publish.sent)}/${fmtInt(s.publish.total)}${failures} · delivered ${fmtInt(d.delivered)}${ratio} · ${fmtInt(d.perSec)}/s${lat}${tool}`;
  }
  return null;
}
