/**
 * Slow consumers in the text summary: each client class on a line of its own (`classes.normal`,
 * `classes.slow`), and what the reference server held over time (the timeline's `server`
 * samples). Pure.
 */
import type { ClientClassReport, TransportReport } from '../results/types.js';
import { describeReadThrottle } from '../results/client-classes.js';
import { fmtBytes, fmtInt, fmtMs, fmtPercent } from './format.js';

function classLine(name: string, c: ClientClassReport): string {
  const d = c.delivery;
  const l = c.fanoutLatencyMs;
  const closes = Object.entries(c.closesByCode).sort((a, b) => b[1] - a[1]);
  const errors = Object.values(c.errors).reduce((a, n) => a + n, 0);
  return [
    `  ${`class ${name}`.padEnd(14)}${fmtInt(c.clients)} clients${c.readThrottle ? ` (${describeReadThrottle(c.readThrottle)})` : ''}`,
    `${fmtInt(d.delivered)}/${fmtInt(d.expected)} (${fmtPercent(d.deliveryRatio)}) · lost ${fmtInt(d.lost)}`,
    l.count > 0 ? `fan-out p50 ${fmtMs(l.p50)} p99 ${fmtMs(l.p99)} max ${fmtMs(l.max)}` : 'no latency samples',
    `errors ${fmtInt(errors)}`,
    `closes ${closes.length ? closes.map(([code, n]) => `${code} ×${fmtInt(n)}`).join(', ') : 'none'}`,
  ].join(' · ');
}

/** The class lines and the server's memory line, when the report has them. */
export function classLines(t: Pick<TransportReport, 'classes' | 'timeline'>): string[] {
  const lines: string[] = [];
  if (t.classes) lines.push(classLine('normal', t.classes.normal), classLine('slow', t.classes.slow));
  const samples = (t.timeline?.intervals ?? []).flatMap((i) => (i.server ? [i.server] : []));
  if (samples.length > 0) {
    const max = (f: (s: (typeof samples)[number]) => number) => Math.max(...samples.map(f));
    lines.push(
      `  ${'server memory'.padEnd(14)}RSS max ${fmtBytes(max((s) => s.rssBytes))} · heap max ${fmtBytes(max((s) => s.heapUsedBytes))} · queued for clients max ${fmtBytes(max((s) => s.bufferedBytes))} (one client ${fmtBytes(max((s) => s.maxClientBufferedBytes))})${samples[samples.length - 1]!.slowClientsDropped ? ` · ${fmtInt(samples[samples.length - 1]!.slowClientsDropped)} dropped as too slow` : ''}`,
    );
  }
  return lines;
}
