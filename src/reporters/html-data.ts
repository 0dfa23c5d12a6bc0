/**
 * What the HTML report draws, computed from the reports (pure): the series to show — one per
 * report and transport — and every chart as plain arrays (x values and y values aligned, nulls
 * where a series has no point), so the page's script only hands them to the chart library.
 *
 * Time charts share one x axis: seconds since the series' first publish (warm-up included), so
 * runs and transports that connected for different lengths of time line up where publishing began;
 * the connect phase is negative. Distribution charts use HdrHistogram's x axis: 1/(1−p) on a log
 * scale (50% at 2, 99% at 100, 99.9% at 1000).
 */
import { decodeHistogram, summarizeMs, type Histogram } from '../metrics/histogram.js';
import type { RunReport, TransportName, TransportReport } from '../results/types.js';
import { round3 } from '../metrics/rounding.js';

export interface HtmlReportInput {
  /** How this report is named in legends and tables (e.g. its file name). */
  label: string;
  report: RunReport;
}

/** One line of the report: a transport of one report. */
export interface SeriesSource {
  /** Index into the inputs. */
  input: number;
  /** Legend name: the transport, the input's label, or both when several of each. */
  name: string;
  transport: TransportName;
  t: TransportReport;
  /** ms since run start of the first publish (the time charts' 0). */
  originMs: number;
  /** Palette slot. */
  color: number;
}

export interface ChartSeries {
  label: string;
  /** Palette slot (the page maps it to a colour for the light or dark scheme). */
  color: number;
  dash: boolean;
  /** 0: left axis, 1: right axis. */
  axis: 0 | 1;
  values: (number | null)[];
}

export interface ChartMarker {
  x: number;
  label: string;
  kind: 'incident' | 'phase';
}

export interface ChartModel {
  id: string;
  title: string;
  caption: string;
  xKind: 'seconds' | 'percentile';
  /** Unit of the left axis and of the right one when there is one ('ms', '/s', '%', ''). */
  units: [string, string?];
  /** Offers a log y axis (latencies). */
  logToggle: boolean;
  x: number[];
  series: ChartSeries[];
  markers: ChartMarker[];
}

export function seriesSources(inputs: readonly HtmlReportInput[]): SeriesSource[] {
  const sources: Omit<SeriesSource, 'name' | 'color'>[] = [];
  inputs.forEach((input, i) => {
    for (const [transport, t] of Object.entries(input.report.transports) as [TransportName, TransportReport | undefined][]) {
      if (t) sources.push({ input: i, transport, t, originMs: firstPublishMs(t) });
    }
  });
  const severalInputs = inputs.length > 1;
  const severalTransports =
    new Set(sources.map((s) => s.transport)).size > 1 || inputs.some((x) => Object.keys(x.report.transports).length > 1);
  return sources.map((s, k) => ({
    ...s,
    name: severalInputs ? (severalTransports ? `${inputs[s.input]!.label} · ${s.transport}` : inputs[s.input]!.label) : s.transport,
    color: k,
  }));
}

/** Start of warm-up, else of publishing, else of the first phase (ms since run start). */
export function firstPublishMs(t: TransportReport): number {
  const find = (name: string) => t.phases.find((p) => p.name === name);
  const sending = find('warmup') ?? find('publishing');
  if (sending) return sending.startMs;
  if (t.phases.length > 0) return Math.min(...t.phases.map((p) => p.startMs));
  return t.timeline?.intervals[0]?.startMs ?? 0;
}

/**
 * Lines with their own x values on one shared x axis: the sorted union of every x, each line
 * null where it has no point.
 */
export function alignSeries(lines: readonly { points: readonly (readonly [number, number | null])[] }[]): {
  x: number[];
  values: (number | null)[][];
} {
  const xs = [...new Set(lines.flatMap((l) => l.points.map(([x]) => round3(x))))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const values = lines.map((l) => {
    const row: (number | null)[] = xs.map(() => null);
    for (const [x, y] of l.points) row[index.get(round3(x))!] = y;
    return row;
  });
  return { x: xs, values };
}

interface LineSpec {
  label: string;
  color: number;
  dash?: boolean;
  axis?: 0 | 1;
  points: [number, number | null][];
}

function chart(base: Omit<ChartModel, 'x' | 'series'>, lines: readonly LineSpec[]): ChartModel {
  const { x, values } = alignSeries(lines);
  return {
    ...base,
    x,
    series: lines.map((l, i) => ({ label: l.label, color: l.color, dash: l.dash ?? false, axis: l.axis ?? 0, values: values[i]! })),
  };
}

/** The incidents (and, for a single series, the phase starts) on a series' time axis. */
function markersFor(inputs: readonly HtmlReportInput[], sources: readonly SeriesSource[]): ChartMarker[] {
  const markers: ChartMarker[] = [];
  for (const s of sources) {
    const incidents = inputs[s.input]!.report.run.incidents ?? [];
    const start = Math.min(...s.t.phases.map((p) => p.startMs), s.t.timeline?.intervals[0]?.startMs ?? Infinity);
    const end = Math.max(...s.t.phases.map((p) => p.endMs), 0);
    // An incident belongs to the transport that was running when it happened.
    for (const i of incidents) {
      if (i.atMs < start || i.atMs > end) continue;
      markers.push({
        x: round3((i.atMs - s.originMs) / 1000),
        label: `${sources.length > 1 ? `${s.name}: ` : ''}${i.kind} — ${i.detail}`,
        kind: 'incident',
      });
    }
  }
  if (sources.length === 1) {
    for (const p of sources[0]!.t.phases)
      markers.push({ x: round3((p.startMs - sources[0]!.originMs) / 1000), label: p.name, kind: 'phase' });
  }
  return markers.sort((a, b) => a.x - b.x);
}

/** The charts over time, for the sources that have a timeline. */
export function timeCharts(inputs: readonly HtmlReportInput[], sources: readonly SeriesSource[]): ChartModel[] {
  const timed = sources.filter((s) => s.t.timeline && s.t.timeline.intervals.length > 0);
  if (timed.length === 0) return [];
  const markers = markersFor(inputs, timed);
  const single = timed.length === 1;
  const at = (s: SeriesSource, f: (i: NonNullable<TransportReport['timeline']>['intervals'][number], seconds: number) => number | null) =>
    s.t.timeline!.intervals.map((i): [number, number | null] => [(i.startMs - s.originMs) / 1000, f(i, s.t.timeline!.intervalMs / 1000)]);
  const lengths = [...new Set(timed.map((s) => s.t.timeline!.intervalMs / 1000))].map((s) => `${s} s`).join(' / ');
  const axisNote = `x: seconds since the first publish (the connect phase is negative); one point per interval of ${lengths}, at its start.`;
  const latency = (i: { fanoutLatencyMs: { count: number } }, v: number) => (i.fanoutLatencyMs.count > 0 ? v : null);
  // A --repeat report's timeline lays its runs from each one's start: counts are per-run means
  // (the scale of its totals), latencies every run's samples (results/timeline.ts).
  const merged = timed.some((s) => (inputs[s.input]!.report.repeats?.length ?? 0) > 1);
  const meanNote = merged ? ' A report merged from several runs (--repeat) shows the runs’ mean, each run counted from its own start.' : '';
  const samplesNote = merged
    ? ' A report merged from several runs (--repeat) has every run’s deliveries, each run counted from its own start.'
    : '';

  const latencyLines: LineSpec[] = single
    ? (['p50', 'p90', 'p99', 'max'] as const).map((key, k) => ({
        label: key,
        color: k,
        points: at(timed[0]!, (i) => latency(i, i.fanoutLatencyMs[key])),
      }))
    : timed.flatMap((s) => [
        { label: `${s.name} p99`, color: s.color, points: at(s, (i) => latency(i, i.fanoutLatencyMs.p99)) },
        { label: `${s.name} p50`, color: s.color, dash: true, points: at(s, (i) => latency(i, i.fanoutLatencyMs.p50)) },
      ]);
  const name = (s: SeriesSource, what: string) => (single ? what : `${s.name} ${what}`);
  // One series: a colour per metric; several: a colour per series, the metric told by the dash.
  const colour = (s: SeriesSource, metric: number) => (single ? metric : s.color);
  // Client senders (publish.via websocket): their own copies' p99 per interval, dotted apart from the round trip.
  const chats = timed.filter((s) => s.t.timeline!.intervals.some((i) => i.echo));
  const echoLines: LineSpec[] = chats.map((s) => ({
    label: name(s, 'echo p99'),
    color: colour(s, 4),
    dash: true,
    points: at(s, (i) => (i.echo && i.echo.count > 0 ? summarizeMs(decodeHistogram(i.echo.histogram)).p99 : null)),
  }));

  // The reference server's memory, when the report has its samples (the built-in target).
  const withServer = timed.filter((s) => s.t.timeline!.intervals.some((i) => i.server));
  const mib = (bytes: number) => round3(bytes / (1024 * 1024));
  const serverChart = withServer.length
    ? [
        chart(
          {
            id: 'server-memory-over-time',
            title: "The reference server's memory",
            caption: `Read from the server's /stats near the end of each interval, every process summed: resident memory (solid) and the bytes it holds for its WebSocket clients that their sockets have not taken yet (dashed; slow readers make it grow once the kernel's socket buffers are full), in MiB. ${axisNote}`,
            xKind: 'seconds',
            units: ['MiB'],
            logToggle: false,
            markers,
          },
          withServer.flatMap((s) => [
            { label: name(s, 'RSS'), color: colour(s, 0), points: at(s, (i) => (i.server ? mib(i.server.rssBytes) : null)) },
            {
              label: name(s, 'queued for clients'),
              color: colour(s, 3),
              dash: true,
              points: at(s, (i) => (i.server ? mib(i.server.bufferedBytes) : null)),
            },
          ]),
        ),
      ]
    : [];

  return [
    chart(
      {
        id: 'latency-over-time',
        title: chats.length > 0 ? 'Fan-out (chat round trip) latency over time' : 'Fan-out latency over time',
        caption: `Publish (intended time) → each client's receipt, by the interval the message was due in (a stall shows when the affected messages were due). ${single ? 'p50, p90, p99 and max' : 'p99 (solid) and p50 (dashed)'} per interval; measured deliveries only.${chats.length > 0 ? " With client senders: the round trip to the other members; 'echo p99' is the senders' own copies." : ''}${samplesNote} ${axisNote}`,
        xKind: 'seconds',
        units: ['ms'],
        logToggle: true,
        markers,
      },
      [...latencyLines, ...echoLines],
    ),
    chart(
      {
        id: 'throughput-over-time',
        title: 'Deliveries and publishes per second',
        caption: `Distinct deliveries (solid) and publishes (dashed) of the messages due in each interval, per second, warm-up included.${meanNote} ${axisNote}`,
        xKind: 'seconds',
        units: ['/s'],
        logToggle: false,
        markers,
      },
      timed.flatMap((s) => [
        { label: name(s, 'deliveries/s'), color: colour(s, 0), points: at(s, (i, sec) => round3(i.deliveries / sec)) },
        { label: name(s, 'publishes/s'), color: colour(s, 1), dash: true, points: at(s, (i, sec) => round3(i.publishes / sec)) },
      ]),
    ),
    chart(
      {
        id: 'connections-over-time',
        title: 'Connections open',
        caption: `Client connections open at the end of each interval.${meanNote} ${axisNote}`,
        xKind: 'seconds',
        units: [''],
        logToggle: false,
        markers,
      },
      timed.map((s) => ({ label: name(s, 'open'), color: s.color, points: at(s, (i) => i.connectionsOpen) })),
    ),
    chart(
      {
        id: 'errors-over-time',
        title: 'Errors and lost messages',
        caption: `Errors counted during each interval (solid) and deliveries owed for the messages due in it that never arrived (dashed), per interval.${meanNote} ${axisNote}`,
        xKind: 'seconds',
        units: [''],
        logToggle: false,
        markers,
      },
      timed.flatMap((s) => [
        { label: name(s, 'errors'), color: colour(s, 1), points: at(s, (i) => i.errors) },
        { label: name(s, 'lost'), color: colour(s, 3), dash: true, points: at(s, (i) => i.lost) },
      ]),
    ),
    chart(
      {
        id: 'tool-over-time',
        title: "The tool's own load",
        caption: `wsbench's busiest process per interval: CPU % of one core (solid, left) and event-loop delay p99 in ms (dashed, right). Above 85 % CPU or 20 ms delay the tool may be what limits the run. ${axisNote}`,
        xKind: 'seconds',
        units: ['%', 'ms'],
        logToggle: false,
        markers,
      },
      timed.flatMap((s) => [
        { label: name(s, 'CPU %'), color: colour(s, 0), points: at(s, (i) => i.tool.cpuPercent) },
        {
          label: name(s, 'event-loop p99'),
          color: colour(s, 4),
          dash: true,
          axis: 1 as const,
          points: at(s, (i) => i.tool.eventLoopDelayP99Ms),
        },
      ]),
    ),
    ...serverChart,
    // Client senders (publish.via websocket): what a browser's bufferedAmount would show over time.
    ...(timed.some((s) => s.t.timeline!.intervals.some((i) => i.upstream))
      ? [
          chart(
            {
              id: 'senders-over-time',
              title: 'Client senders',
              caption: `The most bytes a sender still held right after a send, per interval (solid, left: its bufferedAmount, growing when the server stops reading), and the messages due in it that could not be sent, while reconnecting included (dashed, right). ${axisNote}`,
              xKind: 'seconds',
              units: ['bytes', 'count'],
              logToggle: false,
              markers,
            },
            timed.flatMap((s) => [
              {
                label: name(s, 'bufferedAmount max'),
                color: colour(s, 0),
                points: at(s, (i) => i.upstream?.bufferedAmountBytes.max ?? null),
              },
              {
                label: name(s, 'not sent'),
                color: colour(s, 1),
                dash: true,
                axis: 1 as const,
                points: at(s, (i) => (i.upstream ? i.upstream.sendFailures + (i.upstream.unsent ?? 0) : null)),
              },
            ]),
          ),
        ]
      : []),
  ];
}

/**
 * Latency by percentile as HdrHistogram plots it: x = 1/(1−p) at ten points per decade while the
 * sample count can resolve it (1/(1−p) ≤ count), then the max at x = count. Empty for an empty
 * histogram.
 */
export function percentileCurve(histogram: Histogram): [number, number][] {
  const count = histogram.totalCount;
  if (count === 0) return [];
  const points: [number, number][] = [];
  for (let k = 0; ; k++) {
    const x = round3(10 ** (k / 10));
    if (x >= count) break;
    const percentile = 100 * (1 - 1 / x);
    points.push([x, round3(histogram.getValueAtPercentile(percentile) / 1000)]);
  }
  points.push([count, round3(histogram.getValueAtPercentile(100) / 1000)]);
  return points;
}

/** The distribution charts: fan-out, first vs last recipient, connect. */
export function distributionCharts(sources: readonly SeriesSource[]): ChartModel[] {
  const curve = (encoded: string) => percentileCurve(decodeHistogram(encoded));
  const single = sources.length === 1;
  const axisNote = 'x: percentile on a log scale of 1/(1−p), so the tail gets the room; the last point of each line is its max.';
  const base = { xKind: 'percentile' as const, units: ['ms'] as [string], logToggle: true, markers: [] };
  return [
    chart(
      {
        ...base,
        id: 'latency-distribution',
        // Clients sent the messages (publish.via websocket): each delivery is a chat round trip.
        title: sources.some((s) => s.t.upstream) ? 'Fan-out (chat round trip) latency by percentile' : 'Fan-out latency by percentile',
        caption: `Every measured delivery of the run${sources.some((s) => s.t.upstream) ? ' (with client senders: to the members other than the sender; its own copy is echo)' : ''}. ${axisNote}`,
      },
      sources.map((s) => ({ label: s.name, color: s.color, points: curve(s.t.histograms.fanout) })),
    ),
    chart(
      {
        ...base,
        id: 'recipient-spread',
        title: 'First vs last recipient (fan-out spread)',
        caption: `Per measured publish: latency of the first client to receive it (dashed) and of the last (solid; publishes that missed a client have no last). ${axisNote}`,
      },
      sources.flatMap((s, k) => [
        { label: single ? 'last recipient' : `${s.name} last`, color: single ? 2 : s.color, points: curve(s.t.histograms.lastRecipient) },
        {
          label: single ? 'first recipient' : `${s.name} first`,
          color: single ? 0 : s.color,
          dash: true,
          points: curve(sources[k]!.t.histograms.firstRecipient),
        },
      ]),
    ),
    chart(
      {
        ...base,
        id: 'connect-distribution',
        title: 'Connect latency by percentile',
        caption: `Every connection's handshake (connectLatencyMs). ${axisNote}`,
      },
      sources.map((s) => ({ label: s.name, color: s.color, points: curve(s.t.histograms.connect) })),
    ),
  ];
}
