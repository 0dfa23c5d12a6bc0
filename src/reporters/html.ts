/**
 * The HTML report: one self-contained file — styles, the chart library (uPlot, passed in by the
 * caller, which reads it from the npm package) and the data inline — that works offline from
 * file:// and fetches nothing (its Content-Security-Policy forbids every request and allows only
 * its own scripts and style, by hash). Overlays several reports on the same axes with a legend.
 *
 * A pure string builder: everything taken from a report is escaped for HTML (text and attributes)
 * or, for the chart data, for a JSON block inside <script> (no `<` survives). The scenario is
 * shown as the report stores it, already redacted; nothing else from any environment is read.
 */
import { compressionText, tlsText } from './connection-text.js';
import { connectionFacts } from '../gate/scenario-diff.js';
import { createHash } from 'node:crypto';
import { formatDuration } from '../config/units.js';
import type { LatencySummary } from '../metrics/histogram.js';
import type { GateReport, RunReport, TransportReport } from '../results/types.js';
import { fmtBytes, fmtInt, fmtMs, fmtPercent } from './format.js';
import { distributionCharts, seriesSources, timeCharts, type ChartModel, type HtmlReportInput, type SeriesSource } from './html-data.js';
import { HTML_SCRIPT } from './html-script.js';
import { HTML_STYLE } from './html-style.js';
import { WsbenchError } from '../errors.js';
import { websocketAdvantageText } from './advantage-text.js';

export type { HtmlReportInput } from './html-data.js';

/** The chart library's files, as text (uPlot's IIFE build and its stylesheet). */
export interface HtmlAssets {
  uplotJs: string;
  uplotCss: string;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside <script type="application/json">: no `<`, `>`, `&` or line separators survive as such. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A script's text, made unable to close its <script> element early. */
function scriptText(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export function htmlReport(inputs: readonly HtmlReportInput[], assets: HtmlAssets): string {
  if (inputs.length === 0) throw new WsbenchError('INTERNAL', 'htmlReport: no reports');
  const sources = seriesSources(inputs);
  const over = timeCharts(inputs, sources);
  const distribution = distributionCharts(sources);
  const charts = [...over, ...distribution];

  const style = `${assets.uplotCss}\n${HTML_STYLE}`;
  const library = scriptText(assets.uplotJs);
  const app = scriptText(HTML_SCRIPT);
  const data = jsonForScript({ charts: charts.map(({ title: _t, caption: _c, ...model }) => model) });
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(library)} ${sha256(app)}`,
    `style-src ${sha256(style)}`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');

  const title = `wsbench report — ${inputs.map((i) => i.label).join(' vs ')}`;
  const body = [
    summarySection(inputs, sources),
    overTimeSection(over, sources),
    section('distribution', 'Latency distribution', `<div class="charts">${distribution.map((c) => figure(c)).join('')}</div>`),
    figuresSection(inputs, sources),
    ledgerSection(sources),
    errorsSection(sources),
    incidentsSection(inputs, sources),
    toolSection(sources),
    runsSection(inputs),
  ].join('\n');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="generator" content="wsbench ${escapeHtml(inputs[0]!.report.tool.version)}">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
<header>
<h1>wsbench report</h1>
<span class="sub">${inputs.map((i) => escapeHtml(i.label)).join(' · ')}</span>
<label class="controls"><input type="checkbox" id="log-scale"> log latency axis</label>
</header>
<main>
${body}
</main>
<script type="application/json" id="wsbench-data">${data}</script>
<script>${library}</script>
<script>${app}</script>
</body>
</html>
`;
}

function section(id: string, heading: string, content: string): string {
  return `<section id="${id}"><h2>${escapeHtml(heading)}</h2>${content}</section>`;
}

function figure(c: ChartModel, extra = ''): string {
  return `<figure class="chart" data-chart="${escapeHtml(c.id)}"><h3>${escapeHtml(c.title)}</h3><figcaption>${escapeHtml(c.caption)}</figcaption>${extra}<div class="plot"></div></figure>`;
}

/** A table: `head` and `rows` are cell HTML (already escaped); the first column is a label. */
function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const tr = (cells: readonly string[], tag: 'th' | 'td') =>
    `<tr>${cells.map((c, i) => (i === 0 && tag === 'td' ? `<th>${c}</th>` : `<${tag}>${c}</${tag}>`)).join('')}</tr>`;
  return `<div class="scroll"><table><thead>${tr(head, 'th')}</thead><tbody>${rows.map((r) => tr(r, 'td')).join('')}</tbody></table></div>`;
}

const ms = (v: number) => `${fmtMs(v)} ms`;
const latencyCell = (s: LatencySummary, key: keyof LatencySummary) => (s.count > 0 ? ms(s[key]) : '—');

function gateBadge(gate: GateReport | undefined): string {
  if (!gate) return '<span class="badge muted">not gated</span>';
  return gate.passed ? '<span class="badge pass">PASSED</span>' : '<span class="badge fail">FAILED</span>';
}

function gateList(gate: GateReport | undefined): string {
  if (!gate) return '<p class="note">No thresholds or baseline were checked for this run.</p>';
  const items: string[] = [];
  if (gate.abortedBy) items.push(`<li class="fail">✗ stopped by --abort-on-fail: ${escapeHtml(gate.abortedBy)}</li>`);
  for (const t of gate.thresholds) {
    items.push(
      `<li class="${t.passed ? 'pass' : 'fail'}">${t.passed ? '✓' : '✗'} <code>${escapeHtml(t.expression)}</code> — ${escapeHtml(t.message)}</li>`,
    );
  }
  const b = gate.baseline;
  if (b) {
    items.push(
      `<li class="${b.passed ? 'pass' : 'fail'}">${b.passed ? '✓ no regression' : '✗ regression'} against ${escapeHtml(b.source)} (${b.runs.current} vs ${b.runs.baseline} run${b.runs.baseline === 1 ? '' : 's'})</li>`,
    );
    for (const c of b.checks) {
      items.push(
        `<li class="${c.passed ? 'pass' : 'fail'}">&nbsp;&nbsp;${c.passed ? '✓' : '✗'} <code>${escapeHtml(c.metric)}</code> ${escapeHtml(c.verdict)} — ${escapeHtml(c.message)}</li>`,
      );
    }
  }
  if (items.length === 0) return '<p class="note">Gated, with nothing to check.</p>';
  return `<ul class="checks">${items.join('')}</ul>`;
}

function runLine(report: RunReport): string {
  const run = report.run;
  const status = run.completed
    ? '<span class="pass">completed</span>'
    : `<span class="fail">NOT COMPLETED</span> (${escapeHtml(run.stopReason ?? 'stopped')})`;
  const repeats = report.repeats && report.repeats.length > 1 ? ` · merged from ${report.repeats.length} runs (--repeat)` : '';
  return `${escapeHtml(run.name ?? 'run')} <span class="muted">${escapeHtml(run.id)}</span> · ${escapeHtml(run.startedAt)} · ${escapeHtml(formatDuration(run.durationMs))} · ${status}${escapeHtml(repeats)}`;
}

function warningsFor(s: SeriesSource): string[] {
  const t = s.t;
  const out: string[] = [];
  if (t.tool.bottleneck) out.push(`${s.name}: the tool may have been the bottleneck — ${t.tool.bottleneckReasons.join('; ')}`);
  if (t.delivery.lost > 0) out.push(`${s.name}: ${fmtInt(t.delivery.lost)} messages lost (${fmtPercent(t.delivery.lostRatio)})`);
  if (t.clampedSamples > 0) out.push(`${s.name}: ${fmtInt(t.clampedSamples)} latency samples outside the histogram range were clamped`);
  if (t.connections.failed > 0) out.push(`${s.name}: ${fmtInt(t.connections.failed)} connections failed`);
  return out;
}

/** TLS in a table cell: the version, or "off"; "—" for reports from before it was recorded. */
function tlsCell(t: TransportReport): string {
  if (t.tls === undefined) return '—';
  if (t.tls === null) return 'off';
  return `${[...new Set(Object.keys(t.tls.negotiated).map((k) => k.split(' ')[0]))].join(', ')}${t.tls.resumedSessions > 0 ? ` (${fmtInt(t.tls.resumedSessions)} resumed)` : ''}`;
}

/** Compression in a table cell: off, or the share of connections that negotiated permessage-deflate. */
function compressionCell(t: TransportReport): string {
  const c = t.compression;
  if (!c) return '—';
  return c.connections === 0 ? 'off' : `deflate ${fmtPercent(c.share, 0)} · ×${c.ratio.toFixed(2)} on the wire`;
}

/** Series that differ in TLS or compression: not like for like. */
function connectionMismatch(sources: readonly SeriesSource[]): string[] {
  const facts = sources.map((s) => connectionFacts({ [s.t.transport]: s.t }));
  const keys = new Set(facts.flatMap((f) => Object.keys(f).map((k) => k.slice(k.indexOf('.') + 1))));
  const out: string[] = [];
  for (const key of keys) {
    const values = new Set(facts.map((f, i) => f[`${sources[i]!.t.transport}.${key}`]).filter((v) => v !== undefined));
    if (values.size > 1) {
      out.push(
        `${key === 'tls' ? 'TLS' : 'compression'} differs between the series (${sources.map((s, i) => `${s.name}: ${facts[i]![`${s.t.transport}.${key}`] ?? '—'}`).join('; ')}): not like for like`,
      );
    }
  }
  return out;
}

function summarySection(inputs: readonly HtmlReportInput[], sources: readonly SeriesSource[]): string {
  const cards = inputs
    .map(
      (input) =>
        `<div class="card"><h3>${escapeHtml(input.label)}${gateBadge(input.report.gate)}</h3><div>${runLine(input.report)}</div>${gateList(input.report.gate)}</div>`,
    )
    .join('');
  const headline = table(
    [
      '',
      'fan-out p50',
      'p99',
      'max',
      'deliveries/s',
      'delivery ratio',
      'lost',
      'connections',
      'TLS',
      'compression',
      'tool CPU µs / delivery',
      'tool',
    ],
    sources.map((s) => [
      escapeHtml(s.name),
      latencyCell(s.t.fanoutLatencyMs, 'p50'),
      latencyCell(s.t.fanoutLatencyMs, 'p99'),
      latencyCell(s.t.fanoutLatencyMs, 'max'),
      fmtInt(s.t.throughput.deliveriesPerSec),
      fmtPercent(s.t.delivery.deliveryRatio),
      fmtInt(s.t.delivery.lost),
      `${fmtInt(s.t.connections.opened)} / ${fmtInt(s.t.connections.target)}`,
      escapeHtml(tlsCell(s.t)),
      escapeHtml(compressionCell(s.t)),
      s.t.toolCpuUsPerDelivery.toFixed(2),
      s.t.tool.bottleneck ? '<span class="warn">bottleneck?</span>' : '<span class="pass">ok</span>',
    ]),
  );
  const warnings = [...sources.flatMap(warningsFor), ...connectionMismatch(sources)];
  const warningList = warnings.length
    ? `<ul class="warnings">${warnings.map((w) => `<li class="warn">${escapeHtml(w)}</li>`).join('')}</ul>`
    : '';
  return section('summary', 'Summary', `<div class="cards">${cards}</div>${headline}${warningList}`);
}

function overTimeSection(charts: readonly ChartModel[], sources: readonly SeriesSource[]): string {
  const without = sources.filter((s) => !s.t.timeline || s.t.timeline.intervals.length === 0);
  const notes: string[] = [];
  if (without.length > 0) {
    notes.push(
      `<p class="note">No timeline for ${without.map((s) => escapeHtml(s.name)).join(', ')}: ${without.length === sources.length ? 'the report was' : 'those reports were'} written by a wsbench that did not record results over time, so ${without.length === sources.length ? 'there are no charts over time; everything else is below' : 'they are left out of the charts over time'}.</p>`,
    );
  }
  const figures = charts.map((c) => figure(c, c.id === 'tool-over-time' ? verdicts(sources) : '')).join('');
  return section('over-time', 'Over time', `${notes.join('')}${figures ? `<div class="charts">${figures}</div>` : ''}`);
}

function verdicts(sources: readonly SeriesSource[]): string {
  return sources
    .map((s) => {
      const label = sources.length > 1 ? `${escapeHtml(s.name)}: ` : '';
      return s.t.tool.bottleneck
        ? `<p class="verdict warn">⚠ ${label}the tool may have been the bottleneck — ${escapeHtml(s.t.tool.bottleneckReasons.join('; '))}. These figures may measure wsbench, not the target.</p>`
        : `<p class="verdict pass">✓ ${label}the tool was not the bottleneck (CPU max ${s.t.tool.maxCpuPercent} %, event-loop p99 ${escapeHtml(fmtMs(s.t.tool.maxEventLoopDelayP99Ms))} ms).</p>`;
    })
    .join('');
}

function figuresSection(inputs: readonly HtmlReportInput[], sources: readonly SeriesSource[]): string {
  const row = (label: string, f: (t: TransportReport) => string) => [escapeHtml(label), ...sources.map((s) => f(s.t))];
  const opt = (v: number | null, f: (n: number) => string) => (v === null ? '—' : f(v));
  const rows = [
    row('fan-out p50', (t) => latencyCell(t.fanoutLatencyMs, 'p50')),
    row('fan-out p90', (t) => latencyCell(t.fanoutLatencyMs, 'p90')),
    row('fan-out p99', (t) => latencyCell(t.fanoutLatencyMs, 'p99')),
    row('fan-out p99.9', (t) => latencyCell(t.fanoutLatencyMs, 'p999')),
    row('fan-out max', (t) => latencyCell(t.fanoutLatencyMs, 'max')),
    row('fan-out mean', (t) => latencyCell(t.fanoutLatencyMs, 'mean')),
    row('fan-out samples', (t) => fmtInt(t.fanoutLatencyMs.count)),
    row('first recipient p99', (t) => latencyCell(t.firstRecipientLatencyMs, 'p99')),
    row('last recipient p99', (t) => latencyCell(t.lastRecipientLatencyMs, 'p99')),
    row('connect p50 / p99', (t) => `${latencyCell(t.connectLatencyMs, 'p50')} / ${latencyCell(t.connectLatencyMs, 'p99')}`),
    row('deliveries/s', (t) => fmtInt(t.throughput.deliveriesPerSec)),
    row('publishes/s (target)', (t) => `${fmtInt(t.throughput.publishesPerSec)} (${fmtInt(t.throughput.targetPublishesPerSec)})`),
    row('publisher lag p99', (t) => latencyCell(t.throughput.publisherLagMs, 'p99')),
    row('delivery ratio', (t) => fmtPercent(t.delivery.deliveryRatio)),
    row('bytes / delivery', (t) => t.bytesPerDelivery.toFixed(1)),
    row('HTTP requests / delivery', (t) => t.requestsPerDelivery.toFixed(4)),
    row('wire in / out', (t) => `${fmtBytes(t.wire.bytesIn)} / ${fmtBytes(t.wire.bytesOut)}`),
    row('tool CPU µs / delivery', (t) => t.toolCpuUsPerDelivery.toFixed(2)),
    row('server CPU µs / delivery', (t) => opt(t.serverCpuUsPerDelivery, (v) => v.toFixed(2))),
    row('TLS', (t) => escapeHtml(tlsText(t) ?? '—')),
    row('compression', (t) => escapeHtml(compressionText(t) ?? '—')),
    // Clients sent the messages (publish.via websocket): fan-out is then the chat round trip.
    ...(sources.some((s) => s.t.upstream)
      ? [
          row('senders: sent / failed', (t) => (t.upstream ? `${fmtInt(t.upstream.sent)} / ${fmtInt(t.upstream.sendFailures)}` : '—')),
          row('echo p50 / p99', (t) =>
            t.echoLatencyMs ? `${latencyCell(t.echoLatencyMs, 'p50')} / ${latencyCell(t.echoLatencyMs, 'p99')}` : '—',
          ),
          row('sender bufferedAmount p99 / max', (t) =>
            t.upstream ? `${fmtBytes(t.upstream.bufferedAmountBytes.p99)} / ${fmtBytes(t.upstream.bufferedAmountBytes.max)}` : '—',
          ),
        ]
      : []),
  ];
  const advantages = inputs.flatMap((input) =>
    Object.entries(input.report.comparison?.websocketAdvantage ?? {}).flatMap(([name, adv]) => {
      if (!adv) return [];
      const prefix = inputs.length > 1 ? `${input.label}: ` : '';
      return [`<li>${escapeHtml(`${prefix}${websocketAdvantageText(name, adv)}`)}</li>`];
    }),
  );
  const advantage = advantages.length
    ? `<p class="note">WebSocket's advantage (other ÷ WebSocket per delivery; above 1 = WebSocket did better):</p><ul>${advantages.join('')}</ul>`
    : '';
  return section(
    'figures',
    sources.length > 1 ? 'Comparison' : 'Figures',
    table(['', ...sources.map((s) => escapeHtml(s.name))], rows) + advantage,
  );
}

function ledgerSection(sources: readonly SeriesSource[]): string {
  const row = (label: string, f: (t: TransportReport) => string) => [escapeHtml(label), ...sources.map((s) => f(s.t))];
  const n = (f: (t: TransportReport) => number) => (t: TransportReport) => fmtInt(f(t));
  return section(
    'ledger',
    'Delivery ledger',
    `<p class="note">Each client knows which messages it is owed: delivered counts distinct messages, lost what never came by the end of the drain, duplicated repeated receipts, reordered messages that arrived after a later one; ignored messages were not this run's.</p>` +
      table(
        ['', ...sources.map((s) => escapeHtml(s.name))],
        [
          row(
            'expected',
            n((t) => t.delivery.expected),
          ),
          row(
            'delivered',
            n((t) => t.delivery.delivered),
          ),
          row(
            'lost',
            n((t) => t.delivery.lost),
          ),
          row(
            'duplicated',
            n((t) => t.delivery.duplicated),
          ),
          row(
            'reordered',
            n((t) => t.delivery.reordered),
          ),
          row(
            'ignored',
            n((t) => t.delivery.ignored),
          ),
          row(
            '… other runs (foreign)',
            n((t) => t.delivery.ignoredBy.foreign),
          ),
          row(
            '… unstamped',
            n((t) => t.delivery.ignoredBy.unstamped),
          ),
          row(
            '… protocol control',
            n((t) => t.delivery.ignoredBy.control),
          ),
          row(
            '… misrouted',
            n((t) => t.delivery.ignoredBy.misrouted),
          ),
          row('lost ratio', (t) => fmtPercent(t.delivery.lostRatio)),
          row('delivery ratio', (t) => fmtPercent(t.delivery.deliveryRatio)),
          row(
            'publishes that missed a client',
            n((t) => t.incompletePublishes),
          ),
          row('connections target / opened', (t) => `${fmtInt(t.connections.target)} / ${fmtInt(t.connections.opened)}`),
          row('connections failed / dropped early', (t) => `${fmtInt(t.connections.failed)} / ${fmtInt(t.connections.closedEarly)}`),
          row(
            'clamped latency samples',
            n((t) => t.clampedSamples),
          ),
        ],
      ),
  );
}

function errorsSection(sources: readonly SeriesSource[]): string {
  const kinds = [...new Set(sources.flatMap((s) => Object.keys(s.t.errors)))].sort();
  if (kinds.length === 0) return section('errors', 'Errors', '<p class="note">No errors.</p>');
  const counts = table(
    ['kind', ...sources.map((s) => escapeHtml(s.name))],
    kinds.map((k) => [`<code>${escapeHtml(k)}</code>`, ...sources.map((s) => (s.t.errors[k] ? fmtInt(s.t.errors[k]) : '—'))]),
  );
  const samples = sources.flatMap((s) =>
    Object.entries(s.t.errorSamples).map(([k, sample]) => [
      escapeHtml(s.name),
      `<code>${escapeHtml(k)}</code>`,
      `<span class="text">${escapeHtml(sample)}</span>`,
    ]),
  );
  return section(
    'errors',
    'Errors',
    counts + (samples.length ? `<p class="note">One example message per kind:</p>${table(['', 'kind', 'example'], samples)}` : ''),
  );
}

function incidentsSection(inputs: readonly HtmlReportInput[], sources: readonly SeriesSource[]): string {
  const rows = inputs.flatMap((input, i) =>
    (input.report.run.incidents ?? []).map((incident) => {
      const during = sources.find(
        (s) =>
          s.input === i &&
          s.t.phases.length > 0 &&
          incident.atMs >= s.t.phases[0]!.startMs &&
          incident.atMs <= s.t.phases[s.t.phases.length - 1]!.endMs,
      );
      return [
        escapeHtml(input.label),
        `${(incident.atMs / 1000).toFixed(3)} s`,
        during ? `${((incident.atMs - during.originMs) / 1000).toFixed(3)} s (${escapeHtml(during.transport)})` : '—',
        `<code>${escapeHtml(incident.kind)}</code>`,
        `<span class="text">${escapeHtml(incident.detail)}</span>`,
      ];
    }),
  );
  const recorded = inputs.some((i) => i.report.run.incidents !== undefined);
  const content = rows.length
    ? table(['', 'at (since run start)', 'since first publish', 'kind', 'detail'], rows) +
      (sources.some((s) => (s.t.timeline?.intervals.length ?? 0) > 0)
        ? '<p class="note">Incidents are marked on the charts over time (⚠).</p>'
        : '<p class="note">The report has no timeline: there are no charts over time to mark them on.</p>')
    : `<p class="note">${recorded ? 'No incidents.' : 'No incidents recorded (the report has no incident list).'}</p>`;
  return section('incidents', 'Incidents', content);
}

function toolSection(sources: readonly SeriesSource[]): string {
  const blocks = sources.map((s) => {
    const rows = s.t.tool.processes.map((p) => [
      escapeHtml(`${p.role} ${p.pid}`),
      `${p.cpuPercent} %`,
      fmtInt(p.cpuMs),
      `${escapeHtml(fmtMs(p.eventLoopDelayMs.p50))} / ${escapeHtml(fmtMs(p.eventLoopDelayMs.p99))} / ${escapeHtml(fmtMs(p.eventLoopDelayMs.max))} ms`,
      fmtBytes(p.rssBytes),
      fmtBytes(p.peakRssBytes),
    ]);
    return `<h3>${escapeHtml(s.name)}</h3>${verdicts([s])}${rows.length ? table(['process', 'CPU (of a core)', 'CPU ms', 'event-loop delay p50 / p99 / max', 'RSS at end', 'peak RSS'], rows) : ''}`;
  });
  return section(
    'tool',
    "The tool's own load",
    '<p class="note">A tool process above 85 % CPU, an event-loop delay p99 above 20 ms or a publisher lag p99 above 10 ms flags the run: it may measure wsbench, not the target. The server row (when wsbench ran the reference server) is not the tool.</p>' +
      blocks.join(''),
  );
}

function runsSection(inputs: readonly HtmlReportInput[]): string {
  const blocks = inputs.map((input) => {
    const { run, tool } = input.report;
    const host = run.host;
    const items: [string, string][] = [
      ['run', `${run.name ?? '—'} (${run.id})`],
      ['started / ended', `${run.startedAt} / ${run.endedAt}`],
      ['duration', formatDuration(run.durationMs)],
      ['completed', run.completed ? 'yes' : `no — ${run.stopReason ?? 'stopped'}`],
      ['clock', run.clock],
      ['machine', `${host.platform} ${host.arch}, ${host.cpus} × ${host.cpuModel}, ${fmtBytes(host.totalMemoryBytes)} memory`],
      ...(host.loadAverage
        ? ([['load average (1/5/15 min)', `start ${host.loadAverage.start.join(' / ')} · end ${host.loadAverage.end.join(' / ')}`]] as [
            string,
            string,
          ][])
        : []),
      ['versions', `wsbench ${tool.version}, Node ${tool.node}`],
    ];
    const phases = Object.values(input.report.transports)
      .filter((t): t is TransportReport => t !== undefined)
      .map(
        (t) =>
          `<tr><th>${escapeHtml(t.transport)}</th><td class="text">${t.phases.map((p) => escapeHtml(`${p.name} ${(p.startMs / 1000).toFixed(2)}–${(p.endMs / 1000).toFixed(2)} s`)).join(' · ')}${t.timeline ? escapeHtml(` · timeline: ${t.timeline.intervals.length} intervals of ${t.timeline.intervalMs / 1000} s`) : ''}</td></tr>`,
      )
      .join('');
    return `<div class="card"><h3>${escapeHtml(input.label)}</h3><dl>${items.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl><div class="scroll"><table><tbody>${phases}</tbody></table></div><details open><summary>scenario as run (secrets redacted)</summary><pre>${escapeHtml(JSON.stringify(input.report.scenario, null, 2) ?? 'null')}</pre></details></div>`;
  });
  return section('runs', 'Runs: scenario, machine, versions', `<div class="cards">${blocks.join('')}</div>`);
}
