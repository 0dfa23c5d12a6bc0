/**
 * The human summary printed at the end of a run (the same text after the dashboard and in plain
 * mode): per-transport figures, each transport's fan-out latency by percentile as a chart, and the
 * comparison when several transports ran. A pure string builder over the RunReport.
 */
import type { LatencySummary } from '../metrics/histogram.js';
import type { AgentReport, Comparison, Incident, RunReport, TransportReport } from '../results/types.js';
import { incidentLine, isDegraded } from '../results/incidents.js';
import { clockBoundNote } from './clock-note.js';
import { formatDuration } from '../config/units.js';
import { latencyPointsFromEncoded, percentileChart } from './charts.js';
import { fmtBytes, fmtInt, fmtMs, fmtNum, fmtPerDelivery, fmtPercent, plural } from './format.js';
import { NO_STYLE, type Style } from './style.js';
import { compressionText, tlsText } from './connection-text.js';
import { classLines } from './class-text.js';
import { websocketAdvantageText } from './advantage-text.js';

export interface TextSummaryOptions {
  /** Colours (default none). */
  style?: Style;
  /** Block characters for the chart (default true); false gives ASCII. */
  unicode?: boolean;
  /** Width the chart may use (default 80). */
  width?: number;
  /** Break long lines at separators to fit `width` (for a terminal; default false). */
  wrap?: boolean;
}

export function textSummary(report: RunReport, options: TextSummaryOptions = {}): string {
  const style = options.style ?? NO_STYLE;
  const width = Math.max(40, Math.min(options.width ?? 80, 120));
  const fit = (l: string) => (options.wrap ? wrapLine(l, width) : [l]);
  const lines: string[] = [];
  const run = report.run;
  const degraded = isDegraded(report);
  const statusText = `${run.completed ? 'completed' : `NOT COMPLETED (${run.stopReason ?? 'stopped'})`}${degraded ? ' DEGRADED' : ''} in ${formatDuration(run.durationMs)}`;
  const status = run.completed && !degraded ? style.green(statusText) : style.yellow(statusText);
  const head = `wsbench ${report.tool.version} · ${run.name ?? 'run'} ${run.id}`;
  if (options.wrap && head.length + 3 + statusText.length > width) lines.push(style.bold(head), `  ${status}`);
  else lines.push(`${style.bold(head)} · ${status}`);
  lines.push(
    ...incidentLines(run.incidents ?? [])
      .flatMap(fit)
      .map((l) => style.red(l)),
  );
  lines.push(...agentLines(run.agents ?? []).flatMap(fit));
  for (const t of Object.values(report.transports)) {
    if (!t) continue;
    const [title, ...rest] = transportLines(t);
    lines.push('', style.bold(title!), ...rest.flatMap(fit).map((l) => (l.startsWith('  !') ? style.yellow(l) : l)));
    const note =
      run.latencyErrorBoundMs === undefined
        ? null
        : clockBoundNote(run.latencyErrorBoundMs, t.fanoutLatencyMs.count ? t.fanoutLatencyMs.p50 : null, `${t.transport} fan-out`);
    if (note) lines.push(...fit(`  ! ${note}`).map((l) => style.yellow(l)));
    const chart = percentileChart(latencyPointsFromEncoded(t.histograms.fanout), {
      width,
      indent: 4,
      unicode: options.unicode ?? true,
      paintBar: style.cyan,
    });
    if (chart.length) lines.push('', `  ${t.upstream ? 'round-trip' : 'fan-out'} latency by percentile (ms, linear from 0)`, ...chart);
  }
  if (report.comparison) {
    const [title, ...rest] = comparisonLines(report.comparison);
    lines.push('', style.bold(title!), ...rest.flatMap(fit));
  }
  return lines.join('\n') + '\n';
}

const CONTINUATION = 16;

/**
 * Breaks a summary line longer than `width` at its separators (" · " or a double space; else at a
 * space), going on under the value column; a word longer than the room left stays whole.
 */
export function wrapLine(line: string, width: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    let cut = -1;
    for (const sep of [' · ', '  ']) {
      let at = rest.lastIndexOf(sep, width);
      if (at > 0 && rest.slice(0, at).trim() === '') at = -1;
      if (at > CONTINUATION && at > cut) cut = at;
    }
    if (cut < 0) cut = rest.lastIndexOf(' ', width);
    if (cut <= CONTINUATION) break;
    out.push(rest.slice(0, cut).trimEnd());
    const sepLength = rest.startsWith(' · ', cut) ? 3 : rest.startsWith('  ', cut) ? 2 : 1;
    rest = ' '.repeat(CONTINUATION) + (rest.startsWith(' · ', cut) ? '· ' : '') + rest.slice(cut + sepLength).trimStart();
  }
  out.push(rest);
  return out;
}

/** The transports side by side, then WebSocket's advantage as "N× better". */
export function comparisonLines(c: Comparison): string[] {
  const rows = c.rows;
  const cell = (text: string) => text.padStart(13);
  const line = (label: string, values: string[]) => `  ${label.padEnd(24)}${values.map(cell).join('')}`;
  const opt = (v: number | null, f: (n: number) => string) => (v === null ? '—' : f(v));
  const out = [
    'comparison',
    line(
      '',
      rows.map((r) => r.transport),
    ),
  ];
  out.push(
    line(
      'fan-out p50 (ms)',
      rows.map((r) => fmtMs(r.fanoutP50Ms)),
    ),
  );
  out.push(
    line(
      'fan-out p99 (ms)',
      rows.map((r) => fmtMs(r.fanoutP99Ms)),
    ),
  );
  out.push(
    line(
      'fan-out max (ms)',
      rows.map((r) => fmtMs(r.fanoutMaxMs)),
    ),
  );
  out.push(
    line(
      'deliveries/s',
      rows.map((r) => fmtInt(r.deliveriesPerSec)),
    ),
  );
  out.push(
    line(
      'delivery ratio',
      rows.map((r) => fmtPercent(r.deliveryRatio, 2)),
    ),
  );
  out.push(
    line(
      'bytes / delivery',
      rows.map((r) => fmtNum(r.bytesPerDelivery)),
    ),
  );
  out.push(
    line(
      'HTTP requests / delivery',
      rows.map((r) => fmtNum(r.requestsPerDelivery)),
    ),
  );
  out.push(
    line(
      'tool CPU µs / delivery',
      rows.map((r) => r.toolCpuUsPerDelivery.toFixed(2)),
    ),
  );
  out.push(
    line(
      'server CPU µs / delivery',
      rows.map((r) => opt(r.serverCpuUsPerDelivery, (v) => v.toFixed(2))),
    ),
  );
  for (const [name, adv] of Object.entries(c.websocketAdvantage)) {
    if (!adv) continue;
    out.push(`  ${websocketAdvantageText(name, adv)} (other ÷ websocket per delivery; > 1 = websocket better)`);
  }
  return out;
}

/** A distributed run's agents: one row each (name, host, clients, clock, how its part ended). */
export function agentLines(agents: readonly AgentReport[]): string[] {
  if (agents.length === 0) return [];
  const clock = (a: AgentReport) =>
    a.clock.mode === 'exact'
      ? 'clock exact (same host)'
      : `clock ${a.clock.offsetMs >= 0 ? '+' : ''}${fmtMs(a.clock.offsetMs)} ±${fmtMs(a.clock.errorBoundMs)} ms, drift ${a.clock.driftPpm.toFixed(1)} ppm${a.clock.consistent ? '' : ' (inconsistent estimates)'}`;
  return [
    '',
    `agents (${agents.length})`,
    ...agents.map((a) => `  ${a.name.padEnd(14)}${a.host} · ${plural(a.clients, 'client')} · ${clock(a)} · ${a.status}`),
  ];
}

/** What happened to the run, in time order (every incident: the report is where they are all kept). */
export function incidentLines(incidents: readonly Incident[]): string[] {
  if (incidents.length === 0) return [];
  return ['', `incidents (${incidents.length}; s since the run started)`, ...incidents.map((i) => `  ${incidentLine(i)}`)];
}

function latencyLine(label: string, s: LatencySummary, extra = ''): string {
  if (s.count === 0) return `  ${label.padEnd(14)}no samples${extra}`;
  return `  ${label.padEnd(14)}p50 ${fmtMs(s.p50)}  p90 ${fmtMs(s.p90)}  p99 ${fmtMs(s.p99)}  p99.9 ${fmtMs(s.p999)}  max ${fmtMs(s.max)}  mean ${fmtMs(s.mean)}  (n=${fmtInt(s.count)})${extra}`;
}

export function transportLines(t: TransportReport): string[] {
  const d = t.delivery;
  const lines = [`${t.transport} (latency in ms)`];
  const c = t.connections;
  lines.push(
    `  ${'connections'.padEnd(14)}${fmtInt(c.opened)}/${fmtInt(c.target)} opened · ${fmtInt(c.failed)} failed · ${fmtInt(c.closedEarly)} dropped early · connect p50 ${fmtMs(t.connectLatencyMs.p50)} p99 ${fmtMs(t.connectLatencyMs.p99)}`,
  );
  if (c.churn)
    lines.push(
      `  ${'churn'.padEnd(14)}${fmtInt(c.churn.closed)} closed · ${fmtInt(c.churn.opened)} fresh opened · ${fmtInt(c.churn.failed)} failed opens`,
    );
  const r = t.reconnects;
  if (r)
    lines.push(
      `  ${'reconnects'.padEnd(14)}${fmtInt(r.count)}/${fmtInt(r.dropped)} back · ${fmtInt(r.failed)} failed attempts · time to reconnect p50 ${fmtMs(r.timeToReconnectMs.p50)} p99 ${fmtMs(r.timeToReconnectMs.p99)} max ${fmtMs(r.timeToReconnectMs.max)} · all back ${r.allReconnectedMs === null ? 'never' : `after ${fmtMs(r.allReconnectedMs)}`}`,
    );
  const ignoredParts = Object.entries(d.ignoredBy)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${fmtInt(n)}`);
  lines.push(
    `  ${'delivery'.padEnd(14)}${fmtInt(d.delivered)}/${fmtInt(d.expected)} (${fmtPercent(d.deliveryRatio)}) · lost ${fmtInt(d.lost)}${d.unpublished ? ` · unpublished ${fmtInt(d.unpublished)}` : ''}${d.notOwed ? ` · not owed ${fmtInt(d.notOwed)}` : ''}${d.unobserved ? ` · unobserved ${fmtInt(d.unobserved)} (agent lost)` : ''} · duplicated ${fmtInt(d.duplicated)} · reordered ${fmtInt(d.reordered)} · ignored ${fmtInt(d.ignored)}${ignoredParts.length ? ` (${ignoredParts.join(', ')})` : ''}`,
  );
  // Clients sent the messages (publish.via websocket): fan-out is the chat round trip, the sender's own copy apart.
  lines.push(latencyLine(t.upstream ? 'round trip' : 'fan-out', t.fanoutLatencyMs));
  if (t.echoLatencyMs) lines.push(latencyLine('echo (own)', t.echoLatencyMs));
  lines.push(latencyLine('first recip.', t.firstRecipientLatencyMs));
  lines.push(
    latencyLine(
      'last recip.',
      t.lastRecipientLatencyMs,
      t.incompletePublishes ? `  · ${plural(t.incompletePublishes, 'publish', 'publishes')} missed someone` : '',
    ),
  );
  const up = t.upstream;
  if (up)
    lines.push(
      `  ${'senders'.padEnd(14)}${fmtInt(up.senders)} · ${fmtInt(up.sent)} sent${up.sendFailures ? ` · ${fmtInt(up.sendFailures)} could not be sent (unpublished)` : ''} · bufferedAmount p50 ${fmtBytes(up.bufferedAmountBytes.p50)} p99 ${fmtBytes(up.bufferedAmountBytes.p99)} max ${fmtBytes(up.bufferedAmountBytes.max)}`,
    );
  const tp = t.throughput;
  lines.push(
    `  ${'throughput'.padEnd(14)}${fmtInt(tp.deliveriesPerSec)} deliveries/s · ${fmtInt(tp.publishesPerSec)} publishes/s (target ${fmtInt(tp.targetPublishesPerSec)}/s)${tp.publishFailures ? ` · ${plural(tp.publishFailures, 'publish', 'publishes')} failed` : ''} · ${up ? 'sender' : 'publisher'} lag p99 ${fmtMs(tp.publisherLagMs.p99)} max ${fmtMs(tp.publisherLagMs.max)}`,
  );
  const server = t.tool.processes.find((p) => p.role === 'server');
  const workers = t.tool.processes.filter((p) => p.role === 'worker');
  const peakRss = workers.reduce((a, p) => a + p.peakRssBytes, 0);
  lines.push(
    `  ${'tool'.padEnd(14)}CPU max ${t.tool.maxCpuPercent}% of a core · event-loop p99 ${fmtMs(t.tool.maxEventLoopDelayP99Ms)} · ${plural(workers.length, 'worker')} (${fmtBytes(peakRss)} peak RSS)${server ? ` · server CPU ${server.cpuPercent}%` : ''}`,
  );
  lines.push(
    `  ${'wire'.padEnd(14)}${fmtBytes(t.wire.bytesIn)} in · ${fmtBytes(t.wire.bytesOut)} out · ${plural(t.wire.requests, 'HTTP request')} · ${fmtNum(t.bytesPerDelivery)} B per delivery · ${fmtPerDelivery(t.wire.requests, t.delivery.delivered, 'HTTP request')}`,
  );
  const tls = tlsText(t);
  if (tls !== null) lines.push(`  ${'tls'.padEnd(14)}${tls}`);
  const compression = compressionText(t);
  if (compression !== null)
    lines.push(`  ${'compression'.padEnd(14)}${compression} · tool CPU ${fmtNum(t.toolCpuUsPerDelivery)} µs per delivery`);
  const errors = Object.entries(t.errors).sort((a, b) => b[1] - a[1]);
  lines.push(`  ${'errors'.padEnd(14)}${errors.length ? errors.map(([k, n]) => `${k} ×${fmtInt(n)}`).join(', ') : 'none'}`);
  for (const [k] of errors.slice(0, 3)) if (t.errorSamples[k]) lines.push(`  ${''.padEnd(14)}${k}: ${t.errorSamples[k]}`);
  lines.push(...classLines(t));
  if (t.tool.bottleneck) {
    lines.push(`  ! the tool may have been the bottleneck: ${t.tool.bottleneckReasons.join('; ')}`);
  }
  if (d.lost > 0) lines.push(`  ! ${plural(d.lost, 'message')} lost (${fmtPercent(d.lostRatio)})`);
  if (d.unpublished > 0)
    lines.push(
      up
        ? `  ! ${plural(tp.publishFailures, 'message')} could not be sent (a sender was not connected, or the run stopped first): ${plural(d.unpublished, 'delivery', 'deliveries')} unpublished (not lost, not delivered)`
        : `  ! ${plural(tp.publishFailures, 'publish', 'publishes')} never reached Redis: ${plural(d.unpublished, 'delivery', 'deliveries')} unpublished (not lost, not delivered)`,
    );
  if (t.clampedSamples > 0) lines.push(`  ! ${plural(t.clampedSamples, 'latency sample')} outside the histogram range were clamped`);
  return lines;
}
