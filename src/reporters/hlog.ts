/**
 * HdrHistogram interval log (format v1.3, `.hlog`) from a report, readable by HdrHistogram's own
 * tools (Java HistogramLogProcessor / HistogramLogReader, HistogramLogAnalyzer, hdr-histogram-js
 * HistogramLogReader).
 *
 * A true interval log: for a transport with a timeline, one line per timeline interval and tag —
 * `<transport>.fanout` (every interval, empty ones included, so the lines match the timeline one to
 * one), `<transport>.firstRecipient` / `.lastRecipient` (intervals with measured publishes) and
 * `<transport>.connect` (intervals in which handshakes completed, so these lines sit in the connect
 * phase at their own times). `<transport>.publisherLag` has no per-interval data and is one line
 * over the measured window. A report without a timeline (written before timelines) gets one line
 * per histogram over its measured window, connect over the connecting phase. The first transport's
 * fan-out is also written untagged, which is what the tools read by default.
 *
 * StartTime and BaseTime are the (first) run's start; interval timestamps are seconds relative to
 * it (each `--repeat` run at its own time). Lines are in time order. Values are microseconds;
 * Interval_Max is in milliseconds (max value unit ratio 1000), so use
 * `HistogramLogProcessor -outputValueUnitRatio 1000` for percentiles in ms.
 */
import * as hdr from 'hdr-histogram-js';
import { decodeHistogram } from '../metrics/histogram.js';
import type { EncodedHistograms, RunReport, TransportName, TransportReport } from '../results/types.js';

/** hdr-histogram-js's marker for an untagged histogram. */
const NO_TAG = 'NO TAG';

interface LogLine {
  /** Seconds since the log's base time. */
  start: number;
  end: number;
  tag: string;
  encoded: string;
}

export function hlogText(report: RunReport): string {
  const runs = report.repeats && report.repeats.length > 0 ? report.repeats : [{ run: report.run, transports: report.transports }];
  const baseMs = Date.parse(runs[0]!.run.startedAt);
  const defaultTransport = (Object.keys(report.transports) as TransportName[])[0];
  const entries: LogLine[] = [];
  for (const r of runs) {
    const runStart = (Date.parse(r.run.startedAt) - baseMs) / 1000;
    for (const [name, t] of Object.entries(r.transports) as [TransportName, TransportReport][]) {
      const lines = t.timeline ? intervalLines(name, t, r.run.durationMs) : wholeRunLines(name, t, r.run.durationMs);
      for (const line of lines) {
        const shifted = { ...line, start: runStart + line.start, end: runStart + line.end };
        if (name === defaultTransport && line.tag === `${name}.fanout`) entries.push({ ...shifted, tag: NO_TAG });
        entries.push(shifted);
      }
    }
  }
  // Stable: lines of one moment keep their order (untagged first, then the transport's tags).
  entries.sort((a, b) => a.start - b.start);

  const out: string[] = [];
  const writer = new hdr.HistogramLogWriter((text) => out.push(text));
  writer.outputLogFormatVersion();
  out.push(`#[StartTime: ${(baseMs / 1000).toFixed(3)} (seconds since epoch), ${new Date(baseMs).toISOString()}]\n`);
  out.push(`#[BaseTime: ${(baseMs / 1000).toFixed(3)} (seconds since epoch)]\n`);
  writer.outputComment(
    `[wsbench ${report.tool.version} run ${report.run.id}${report.run.name ? ` "${report.run.name}"` : ''}; values in microseconds; tags <transport>.<histogram>; untagged = ${defaultTransport ?? 'none'}.fanout; ${timelineNote(report)}]`,
  );
  writer.outputLegend();
  for (const e of entries) {
    const histogram = decodeHistogram(e.encoded);
    histogram.tag = e.tag;
    writer.outputIntervalHistogram(histogram, e.start, e.end, 1000);
  }
  return out.join('');
}

function timelineNote(report: RunReport): string {
  const lengths = [...new Set(Object.values(report.transports).flatMap((t) => (t?.timeline ? [t.timeline.intervalMs] : [])))];
  return lengths.length > 0 ? `one line per ${lengths.map((ms) => `${ms / 1000} s`).join('/')} interval` : 'one interval per run';
}

/** Per timeline interval; publisher lag over the measured window. Times in seconds since run start. */
function intervalLines(name: TransportName, t: TransportReport, durationMs: number): LogLine[] {
  const timeline = t.timeline!;
  const length = timeline.intervalMs / 1000;
  const lines: LogLine[] = [];
  for (const i of timeline.intervals) {
    const start = i.startMs / 1000;
    const end = start + length;
    lines.push({ start, end, tag: `${name}.fanout`, encoded: i.histogram });
    if (i.recipientHistograms) {
      lines.push({ start, end, tag: `${name}.firstRecipient`, encoded: i.recipientHistograms.first });
      lines.push({ start, end, tag: `${name}.lastRecipient`, encoded: i.recipientHistograms.last });
    }
    if (i.connect) lines.push({ start, end, tag: `${name}.connect`, encoded: i.connect.histogram });
    if (i.echo) lines.push({ start, end, tag: `${name}.echo`, encoded: i.echo.histogram });
  }
  const window = measuredWindow(t.phases, durationMs);
  lines.push({ start: window.startMs / 1000, end: window.endMs / 1000, tag: `${name}.publisherLag`, encoded: t.histograms.publisherLag });
  return lines;
}

/** Latency histograms every report has (bufferedAmount counts bytes: not for a latency log). */
const WHOLE_RUN: Exclude<keyof EncodedHistograms, 'echo' | 'bufferedAmount'>[] = [
  'fanout',
  'firstRecipient',
  'lastRecipient',
  'connect',
  'publisherLag',
];

/** A report without a timeline: one line per histogram, connect over the connect phase, the rest over the measured window. */
function wholeRunLines(name: TransportName, t: TransportReport, durationMs: number): LogLine[] {
  const measured = measuredWindow(t.phases, durationMs);
  const connecting = t.phases.find((p) => p.name === 'connecting');
  return WHOLE_RUN.filter((key) => t.histograms[key]).map((key) => {
    const window =
      key === 'connect' && connecting
        ? { startMs: connecting.startMs, endMs: Math.max(connecting.endMs, connecting.startMs + 1) }
        : measured;
    return { start: window.startMs / 1000, end: window.endMs / 1000, tag: `${name}.${key}`, encoded: t.histograms[key] };
  });
}

/** From the start of measured publishing (after warm-up) to the end of draining; the whole run if unknown. */
export function measuredWindow(
  phases: { name: string; startMs: number; endMs: number }[],
  durationMs: number,
): { startMs: number; endMs: number } {
  const publishing = phases.find((p) => p.name === 'publishing');
  const draining = phases.find((p) => p.name === 'draining');
  if (!publishing) return { startMs: 0, endMs: Math.max(durationMs, 1) };
  return { startMs: publishing.startMs, endMs: Math.max((draining ?? publishing).endMs, publishing.startMs + 1) };
}
