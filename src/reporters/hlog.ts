/**
 * HdrHistogram interval log (format v1.3, `.hlog`) from a report, readable by HdrHistogram's own
 * tools (Java HistogramLogProcessor / HistogramLogReader, hdr-histogram-js HistogramLogReader).
 *
 * One interval per run (each `--repeat` run is its own interval, at its own time), covering the
 * measured publishing and draining phases. Every histogram is written with a tag
 * `<transport>.<histogram>` (e.g. `websocket.fanout`, `longpoll.lastRecipient`); the first
 * transport's fan-out histogram is also written untagged, which is what tools read by default.
 * Values are microseconds; Interval_Max is in milliseconds (max value unit ratio 1000), so use
 * `HistogramLogProcessor -outputValueUnitRatio 1000` for percentiles in ms.
 */
import * as hdr from 'hdr-histogram-js';
import { decodeHistogram } from '../metrics/histogram.js';
import type { EncodedHistograms, RunReport, TransportName } from '../results/types.js';

const HISTOGRAMS: (keyof EncodedHistograms)[] = ['fanout', 'firstRecipient', 'lastRecipient', 'connect', 'publisherLag'];

export function hlogText(report: RunReport): string {
  const runs = report.repeats && report.repeats.length > 0 ? report.repeats : [{ run: report.run, transports: report.transports }];
  const startMs = Date.parse(runs[0]!.run.startedAt);
  const lines: string[] = [];
  const writer = new hdr.HistogramLogWriter((text) => lines.push(text));
  writer.outputLogFormatVersion();
  lines.push(`#[StartTime: ${(startMs / 1000).toFixed(3)} (seconds since epoch), ${new Date(startMs).toISOString()}]\n`);
  lines.push(`#[BaseTime: ${(startMs / 1000).toFixed(3)} (seconds since epoch)]\n`);
  writer.outputComment(
    `[wsbench ${report.tool.version} run ${report.run.id}${report.run.name ? ` "${report.run.name}"` : ''}; values in microseconds; tags <transport>.<histogram>; untagged = ${firstTransport(report) ?? 'none'}.fanout]`,
  );
  writer.outputLegend();

  const defaultTransport = firstTransport(report);
  for (const r of runs) {
    const runStart = (Date.parse(r.run.startedAt) - startMs) / 1000;
    for (const [name, t] of Object.entries(r.transports) as [TransportName, NonNullable<RunReport['transports'][TransportName]>][]) {
      const window = measuredWindow(t.phases, r.run.durationMs);
      const start = runStart + window.startMs / 1000;
      const end = runStart + window.endMs / 1000;
      for (const key of HISTOGRAMS) {
        const encoded = t.histograms[key];
        if (!encoded) continue;
        const histogram = decodeHistogram(encoded);
        if (name === defaultTransport && key === 'fanout') {
          histogram.tag = NO_TAG;
          writer.outputIntervalHistogram(histogram, start, end, 1000);
        }
        histogram.tag = `${name}.${key}`;
        writer.outputIntervalHistogram(histogram, start, end, 1000);
      }
    }
  }
  return lines.join('');
}

/** hdr-histogram-js's marker for an untagged histogram. */
const NO_TAG = 'NO TAG';

function firstTransport(report: RunReport): TransportName | undefined {
  return (Object.keys(report.transports) as TransportName[])[0];
}

/** From the start of publishing (or warm-up) to the end of draining; the whole run if unknown. */
export function measuredWindow(
  phases: { name: string; startMs: number; endMs: number }[],
  durationMs: number,
): { startMs: number; endMs: number } {
  const publishing = phases.find((p) => p.name === 'publishing');
  const draining = phases.find((p) => p.name === 'draining');
  if (!publishing) return { startMs: 0, endMs: Math.max(durationMs, 1) };
  return { startMs: publishing.startMs, endMs: Math.max((draining ?? publishing).endMs, publishing.startMs + 1) };
}
