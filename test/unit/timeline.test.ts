/**
 * Timelines: the interval-length rule, coarsening and exact merging (src/results/timeline.ts), and
 * mergeReports carrying timelines and incidents through --repeat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHistogram, decodeHistogram, encodeHistogram, recordMs } from '../../src/metrics/histogram.js';
import {
  coarsenTimeline,
  intervalLatency,
  mergeTimelines,
  perRunMeans,
  perRunShares,
  timelineIntervalMs,
  timelineSpanMs,
  MAX_TIMELINE_INTERVALS,
} from '../../src/results/timeline.js';
import { mergeReports } from '../../src/results/merge.js';
import type { Timeline, TimelineInterval } from '../../src/results/types.js';
import { fakeReport, spread } from '../helpers/report.js';
import { round3 } from '../../src/metrics/rounding.js';

function encoded(samples: readonly number[]): string {
  const h = createHistogram();
  for (const ms of samples) recordMs(h, ms);
  return encodeHistogram(h);
}

function latencyOf(samples: readonly number[]) {
  const h = createHistogram();
  for (const ms of samples) recordMs(h, ms);
  return intervalLatency(h);
}

interface Spec {
  startMs: number;
  fanout?: number[];
  phase?: string;
  open?: number;
  publishes?: number;
  lost?: number;
  errors?: number;
  first?: number[];
  last?: number[];
  connect?: number[];
  /** Client senders' own copies (echo latency). */
  echo?: number[];
  /** Client senders: sent, not sent, most bytes held. */
  /** sent, sendFailures, bufferedAmount max, and unsent (absent: a report from before it). */
  upstream?: [number, number, number, number?];
  cpu?: number;
  eld?: number;
}

function interval(s: Spec): TimelineInterval {
  const fanout = s.fanout ?? [];
  return {
    startMs: s.startMs,
    phase: s.phase ?? 'publishing',
    connectionsOpen: s.open ?? 10,
    publishes: s.publishes ?? 1,
    deliveries: fanout.length,
    lost: s.lost ?? 0,
    errors: s.errors ?? 0,
    fanoutLatencyMs: latencyOf(fanout),
    histogram: encoded(fanout),
    ...(s.first ? { recipientHistograms: { first: encoded(s.first), last: encoded(s.last ?? []) } } : {}),
    ...(s.connect ? { connect: { count: s.connect.length, histogram: encoded(s.connect) } } : {}),
    ...(s.echo ? { echo: { count: s.echo.length, histogram: encoded(s.echo) } } : {}),
    ...(s.upstream
      ? {
          upstream: {
            sent: s.upstream[0],
            sendFailures: s.upstream[1],
            ...(s.upstream[3] !== undefined ? { unsent: s.upstream[3] } : {}),
            bufferedAmountBytes: { max: s.upstream[2] },
          },
        }
      : {}),
    tool: { cpuPercent: s.cpu ?? 10, eventLoopDelayP99Ms: s.eld ?? 1 },
  };
}

const countOf = (encodedHistogram: string) => decodeHistogram(encodedHistogram).totalCount;

test('timelineIntervalMs: the requested length, doubled until the span fits in the maximum', () => {
  const cases: [requested: number, spanMs: number, max: number | undefined, expected: number][] = [
    [1000, 600_000, undefined, 1000], // a 10-minute run keeps 1 s
    [1000, 1_000_000, undefined, 1000], // exactly 1000 intervals
    [1000, 1_000_001, undefined, 2000],
    [1000, 3_600_000, undefined, 4000], // an hour: 900 intervals of 4 s
    [250, 3_600_000, undefined, 4000],
    [1000, 86_400_000, undefined, 128_000], // a day: 675 intervals of 128 s
    [1000, 0, undefined, 1000],
    [1000, -5, undefined, 1000],
    [1000, 25_000, 10, 4000],
    [500, 500, 1, 500],
    [500, 501, 1, 1000],
  ];
  for (const [requested, span, max, expected] of cases) {
    assert.equal(timelineIntervalMs(requested, span, max), expected, `${requested} ms over ${span} ms, at most ${max ?? 'default'}`);
  }
  assert.equal(MAX_TIMELINE_INTERVALS, 1000);
  assert.throws(() => timelineIntervalMs(0, 1000), /must be positive/);
  assert.throws(() => timelineIntervalMs(Number.NaN, 1000), /must be positive/);
  assert.throws(() => timelineIntervalMs(1000, 1000, 0), /at least 1/);
});

test('coarsenTimeline: neighbours merge exactly (histograms added), counts add, gauges from the right end', () => {
  const samples = [0, 1, 2, 4, 5, 6].map((k) => spread(50 + k, 1 + k, 10 + 3 * k));
  const t: Timeline = {
    intervalMs: 1000,
    // Interval 3 (3000 ms) is missing: nothing happened then.
    intervals: [0, 1, 2, 4, 5, 6].map((k, i) =>
      interval({
        startMs: 1000 * k,
        fanout: samples[i]!,
        phase: k < 2 ? 'connecting' : 'publishing',
        open: 10 * (k + 1),
        lost: k,
        errors: k % 2,
        cpu: 10 * (k + 1),
        eld: k === 4 ? 25 : 2,
        ...(k === 0 || k === 1 ? { connect: [5 + k, 6 + k] } : {}),
        ...(k === 2 ? { first: [1], last: [9] } : {}),
      }),
    ),
  };
  assert.equal(coarsenTimeline(t, 7), t, 'fits already: unchanged');
  const c = coarsenTimeline(t, 4);
  assert.equal(c.intervalMs, 2000);
  assert.deepEqual(
    c.intervals.map((i) => i.startMs),
    [0, 2000, 4000, 6000],
  );
  const groups = [
    [0, 1],
    [2, 3],
    [4, 5],
    [6, 6],
  ];
  const expected = [
    // startMs, phase, open (right end), lost, errors, cpu (mean), eld (worst), deliveries
    { phase: 'connecting', open: 20, lost: 1, errors: 1, cpu: 15, eld: 2, samples: [...samples[0]!, ...samples[1]!] },
    { phase: 'publishing', open: 30, lost: 2, errors: 0, cpu: 30, eld: 2, samples: samples[2]! },
    { phase: 'publishing', open: 60, lost: 9, errors: 1, cpu: 55, eld: 25, samples: [...samples[3]!, ...samples[4]!] },
    { phase: 'publishing', open: 70, lost: 6, errors: 0, cpu: 70, eld: 2, samples: samples[5]! },
  ];
  c.intervals.forEach((got, g) => {
    const want = expected[g]!;
    const label = `group ${groups[g]!.join('-')}`;
    assert.equal(got.phase, want.phase, label);
    assert.equal(got.connectionsOpen, want.open, label);
    assert.equal(got.lost, want.lost, label);
    assert.equal(got.errors, want.errors, label);
    assert.equal(got.deliveries, want.samples.length, label);
    assert.deepEqual(got.tool, { cpuPercent: want.cpu, eventLoopDelayP99Ms: want.eld }, label);
    // Exact: the merged interval's figures are those of one histogram holding every sample.
    assert.deepEqual(got.fanoutLatencyMs, latencyOf(want.samples), label);
    assert.equal(countOf(got.histogram), want.samples.length, label);
  });
  assert.deepEqual(c.intervals[0]!.connect && { count: c.intervals[0]!.connect.count, n: countOf(c.intervals[0]!.connect.histogram) }, {
    count: 4,
    n: 4,
  });
  assert.equal(c.intervals[1]!.connect, undefined, 'no handshakes: no connect entry');
  assert.equal(countOf(c.intervals[1]!.recipientHistograms!.last), 1);
  const total = (tl: Timeline) => tl.intervals.reduce((a, i) => a + i.fanoutLatencyMs.count, 0);
  assert.equal(total(c), total(t));

  // Coarsening repeats until it fits: 7 s of 1 s intervals into at most 2 → 4 s.
  const c2 = coarsenTimeline(t, 2);
  assert.equal(c2.intervalMs, 4000);
  assert.equal(c2.intervals.length, 2);
  assert.equal(total(c2), total(t));
  assert.equal(timelineSpanMs(c2), 8000);
  assert.deepEqual(coarsenTimeline({ intervalMs: 1000, intervals: [] }, 1), { intervalMs: 1000, intervals: [] });
});

test('echo (client senders’ own copies): coarsening and merging add the counts and histograms exactly; none stays none', () => {
  const t: Timeline = {
    intervalMs: 1000,
    intervals: [
      interval({ startMs: 0, echo: [1, 2] }),
      interval({ startMs: 1000, echo: [3] }),
      interval({ startMs: 2000 }),
      interval({ startMs: 3000 }),
    ],
  };
  const echoOf = (i: TimelineInterval) => i.echo && { count: i.echo.count, n: countOf(i.echo.histogram) };
  const c = coarsenTimeline(t, 2);
  assert.deepEqual(c.intervals.map(echoOf), [{ count: 3, n: 3 }, undefined]);
  const other: Timeline = { intervalMs: 1000, intervals: [interval({ startMs: 0, echo: [4] }), interval({ startMs: 3000 })] };
  const m = mergeTimelines([t, other], 'concurrent');
  assert.deepEqual(m.intervals.map(echoOf), [{ count: 3, n: 3 }, { count: 1, n: 1 }, undefined, undefined]);
  assert.ok(decodeHistogram(m.intervals[0]!.echo!.histogram).maxValue >= 4000, 'the other part’s 4 ms sample (µs) is in');
});

test('upstream (client senders): sends, failures and unsent add (absent unsent: 0), the largest bufferedAmount is the largest; none stays none', () => {
  const t: Timeline = {
    intervalMs: 1000,
    intervals: [
      interval({ startMs: 0, upstream: [4, 1, 100, 2] }),
      interval({ startMs: 1000, upstream: [5, 0, 2048] }),
      interval({ startMs: 2000 }),
      interval({ startMs: 3000 }),
    ],
  };
  const c = coarsenTimeline(t, 2);
  assert.deepEqual(
    c.intervals.map((i) => i.upstream),
    [{ sent: 9, sendFailures: 1, unsent: 2, bufferedAmountBytes: { max: 2048 } }, undefined],
  );
  const other: Timeline = { intervalMs: 1000, intervals: [interval({ startMs: 0, upstream: [2, 3, 4096, 1] })] };
  const m = mergeTimelines([t, other], 'concurrent');
  assert.deepEqual(m.intervals[0]!.upstream, { sent: 6, sendFailures: 4, unsent: 3, bufferedAmountBytes: { max: 4096 } });
  // An interval from a report before unsent, alone in its place, stays as it was.
  assert.deepEqual(m.intervals[1]!.upstream, { sent: 5, sendFailures: 0, bufferedAmountBytes: { max: 2048 } });
  assert.equal(m.intervals[2]!.upstream, undefined);
});

test('mergeTimelines concurrent (workers): same moments add up, connections add, tool is the busiest, lengths brought together', () => {
  const a: Timeline = {
    intervalMs: 1000,
    intervals: [
      interval({ startMs: 500, fanout: [1, 2], open: 5, cpu: 40, eld: 3, phase: 'warmup' }),
      interval({ startMs: 1500, fanout: [3], open: 5, cpu: 50, eld: 1 }),
      interval({ startMs: 2500, fanout: [4, 40], open: 4, cpu: 60, eld: 1, lost: 1 }),
    ],
  };
  const b: Timeline = {
    intervalMs: 2000,
    intervals: [
      interval({ startMs: 500, fanout: [5, 6, 7], open: 7, cpu: 30, eld: 9, phase: 'warmup' }),
      interval({ startMs: 2500, fanout: [8], open: 6, cpu: 90, eld: 2 }),
    ],
  };
  const m = mergeTimelines([a, b], 'concurrent');
  assert.equal(m.intervalMs, 2000);
  assert.deepEqual(
    m.intervals.map((i) => [i.startMs, i.phase, i.connectionsOpen, i.deliveries, i.lost, i.tool.cpuPercent, i.tool.eventLoopDelayP99Ms]),
    [
      // a's first two 1 s intervals make one 2 s interval (CPU mean 45, open at its end 5), then b adds.
      [500, 'warmup', 5 + 7, 6, 0, 45, 9],
      [2500, 'publishing', 4 + 6, 3, 1, 90, 2],
    ],
  );
  assert.deepEqual(m.intervals[0]!.fanoutLatencyMs, latencyOf([1, 2, 3, 5, 6, 7]));
  assert.deepEqual(m.intervals[1]!.fanoutLatencyMs, latencyOf([4, 40, 8]));
  assert.equal(mergeTimelines([a], 'concurrent'), a, 'one part: itself');
  assert.throws(
    () => mergeTimelines([a, { intervalMs: 1500, intervals: [] }], 'concurrent'),
    /1000 ms and 1500 ms cannot be merged exactly/,
  );
  assert.throws(
    () => mergeTimelines([a, { intervalMs: 1000, intervals: [interval({ startMs: 700 })] }], 'concurrent'),
    /not on the 1000 ms grid/,
  );
  assert.throws(() => mergeTimelines([], 'concurrent'), /no timelines/);
  assert.deepEqual(
    mergeTimelines(
      [
        { intervalMs: 1000, intervals: [] },
        { intervalMs: 2000, intervals: [] },
      ],
      'concurrent',
    ),
    {
      intervalMs: 2000,
      intervals: [],
    },
  );
});

test('mergeTimelines sequential (--repeat): each run counted from its own start, laid on the first run’s axis', () => {
  const run1: Timeline = {
    intervalMs: 1000,
    intervals: [interval({ startMs: 3456, fanout: [1], open: 200 }), interval({ startMs: 4456, fanout: [2, 3], open: 200 })],
  };
  const run2: Timeline = {
    intervalMs: 1000,
    intervals: [
      interval({ startMs: 3912, fanout: [10], open: 180, cpu: 70 }),
      interval({ startMs: 4912, fanout: [20], open: 150 }),
      interval({ startMs: 5912, fanout: [30], open: 0, phase: 'draining' }),
    ],
  };
  const m = mergeTimelines([run1, run2], 'sequential');
  assert.deepEqual(
    m.intervals.map((i) => [i.startMs, i.connectionsOpen, i.deliveries, i.publishes, i.tool.cpuPercent, i.phase]),
    [
      // Per-run means (run 1 has no third interval: it counts 0 there); the tool is the busiest run.
      [3456, 190, 1, 1, 70, 'publishing'],
      [4456, 175, 1.5, 1, 10, 'publishing'],
      [5456, 0, 0.5, 0.5, 10, 'draining'],
    ],
  );
  // Histograms keep every run's samples.
  assert.deepEqual(m.intervals[1]!.fanoutLatencyMs, latencyOf([2, 3, 20]));
  // Too many intervals after the merge: coarsened like any timeline.
  assert.equal(mergeTimelines([run1, run2], 'sequential', 2).intervalMs, 2000);
});

test('mergeReports: the merged timeline adds the runs’ intervals; incidents keep their run; no timeline unless every run has one', () => {
  const withTimeline = (id: string, samples: number[][], incidents: { atMs: number; kind: string; detail: string }[] = []) => {
    const r = fakeReport({ websocket: { fanoutMs: samples.flat(), expected: samples.flat().length } }, id);
    r.transports.websocket!.timeline = {
      intervalMs: 1000,
      intervals: samples.map((s, k) => interval({ startMs: 200 + 1000 * k, fanout: s })),
    };
    if (incidents.length) r.run.incidents = incidents;
    return r;
  };
  const a = withTimeline('a', [spread(100, 1, 5), spread(50, 2, 80)], [{ atMs: 900, kind: 'redis-down', detail: 'connection refused' }]);
  const b = withTimeline('b', [spread(70, 1, 3), spread(90, 1, 9)], [{ atMs: 400, kind: 'redis-up', detail: 'back' }]);
  const merged = mergeReports([a, b]);
  const ws = merged.transports.websocket!;
  const counts = ws.timeline!.intervals.map((i) => i.fanoutLatencyMs.count);
  assert.deepEqual(counts, [170, 140]);
  assert.equal(
    counts.reduce((x, y) => x + y, 0),
    ws.fanoutLatencyMs.count,
    'the intervals add up to the merged fan-out count',
  );
  // The counts are per-run means, like the merged totals: (100 + 70) / 2 and (50 + 90) / 2.
  assert.deepEqual(
    ws.timeline!.intervals.map((i) => i.deliveries),
    [85, 70],
  );
  assert.equal(ws.delivery.delivered, 155);
  assert.equal(ws.timeline!.intervals[0]!.connectionsOpen, 10, 'both runs held 10: the mean is 10, not 20');
  assert.deepEqual(ws.timeline!.intervals[1]!.fanoutLatencyMs, latencyOf([...spread(50, 2, 80), ...spread(90, 1, 9)]));
  assert.deepEqual(merged.run.incidents, [
    { atMs: 400, kind: 'redis-up', detail: 'run 2 of 2: back' },
    { atMs: 900, kind: 'redis-down', detail: 'run 1 of 2: connection refused' },
  ]);
  assert.deepEqual(merged.repeats![0]!.run.incidents, a.run.incidents, 'each run keeps its own incidents as they were');
  const partly = mergeReports([a, fakeReport({ websocket: {} }, 'old')]);
  assert.equal(partly.transports.websocket!.timeline, undefined);
  assert.equal(partly.run.incidents?.length, 1);
  assert.equal(mergeReports([fakeReport(), fakeReport()]).run.incidents, undefined);
});

test('the server’s samples: neighbours keep the latest, runs side by side the highest of each figure', () => {
  const sample = (rss: number, buffered: number, dropped = 0) => ({
    rssBytes: rss,
    heapUsedBytes: rss / 10,
    bufferedBytes: buffered,
    maxClientBufferedBytes: buffered,
    slowClientsDropped: dropped,
  });
  const at = (startMs: number, server?: ReturnType<typeof sample>) => ({ ...interval({ startMs }), ...(server ? { server } : {}) });
  const coarse = coarsenTimeline(
    { intervalMs: 1000, intervals: [at(0, sample(100, 5)), at(1000, sample(300, 1, 1)), at(2000), at(3000, sample(200, 9))] },
    2,
  );
  assert.deepEqual(
    coarse.intervals.map((i) => i.server),
    [sample(300, 1, 1), sample(200, 9)],
    'the later sample of each pair',
  );
  assert.equal(coarsenTimeline({ intervalMs: 1000, intervals: [at(0), at(1000)] }, 1).intervals[0]!.server, undefined, 'none: none');
  const runs = mergeTimelines(
    [
      { intervalMs: 1000, intervals: [at(0, sample(100, 50)), at(1000, sample(100, 0))] },
      { intervalMs: 1000, intervals: [at(0, sample(400, 10, 2)), at(1000)] },
    ],
    'sequential',
  );
  assert.deepEqual(
    runs.intervals.map((i) => i.server),
    [{ ...sample(400, 50, 2), heapUsedBytes: 40 }, sample(100, 0)],
  );
});

test('perRunShares: sums ÷ runs in thousandths that add up to the total’s own mean', () => {
  const cases: [sums: number[], runs: number, expected: number[]][] = [
    [[], 3, []],
    [[300, 600, 0], 3, [100, 200, 0]], // exact
    [[1, 1, 1], 3, [0.334, 0.333, 0.333]], // 1/3 each: the total 1 keeps its last thousandth (the earliest gets it)
    [[1, 1, 1, 1, 1, 1], 3, [0.334, 0.334, 0.333, 0.333, 0.333, 0.333]], // total 2: the two earliest
    [[2, 1], 3, [0.667, 0.333]], // 0.6667 + 0.3333: the larger remainder rounds up
    [[1, 0, 2], 2, [0.5, 0, 1]],
    [[1], 16, [0.063]], // 0.0625: the total rounds half up, as round3 does
    [[1, 1], 16, [0.063, 0.062]], // total 0.125 exactly
    [[5, 5, 5, 5], 1, [5, 5, 5, 5]],
    [[0.001, 0.001], 2, [0.001, 0]], // already in thousandths (a merged input): 0.002 / 2
    [[7, 11, 13, 17, 19], 7, [1, 1.571, 1.857, 2.429, 2.714]], // total 67 / 7 = 9.571…
  ];
  for (const [sums, runs, expected] of cases) {
    const got = perRunShares(sums, runs);
    assert.deepEqual(got, expected, `${JSON.stringify(sums)} over ${runs} runs`);
    const total = sums.reduce((a, b) => a + b, 0);
    assert.equal(round3(got.reduce((a, b) => a + b, 0)), round3(total / runs), `${JSON.stringify(sums)}: adds up to the total's mean`);
  }
});

test('perRunMeans: counts become per-run means that add up, histograms and the tool stay as they are', () => {
  const summed: Timeline = {
    intervalMs: 1000,
    intervals: [
      interval({ startMs: 0, fanout: [1, 2, 3, 4], open: 31, publishes: 4, lost: 1, errors: 2, connect: [3, 4, 5], cpu: 80 }),
      interval({ startMs: 1000, fanout: [5], open: 30, publishes: 5, lost: 1, errors: 0, first: [1], last: [5] }),
    ],
  };
  assert.equal(perRunMeans(summed, 1), summed, 'one run: itself');
  const m = perRunMeans(summed, 3);
  const rows = m.intervals.map((i) => [i.connectionsOpen, i.publishes, i.deliveries, i.lost, i.errors]);
  assert.deepEqual(rows, [
    [10.333, 1.333, 1.334, 0.334, 0.667],
    [10, 1.667, 0.333, 0.333, 0],
  ]);
  const column = (k: number) => round3(rows.reduce((a, r) => a + r[k]!, 0));
  assert.deepEqual([1, 2, 3, 4].map(column), [3, 1.667, 0.667, 0.667], 'each column adds up to its total ÷ 3, to the thousandth');
  m.intervals.forEach((got, k) => {
    const was = summed.intervals[k]!;
    assert.equal(got.histogram, was.histogram, 'the histogram keeps every run’s samples');
    assert.deepEqual(got.fanoutLatencyMs, was.fanoutLatencyMs);
    assert.deepEqual(got.connect, was.connect);
    assert.deepEqual(got.recipientHistograms, was.recipientHistograms);
    assert.deepEqual(got.tool, was.tool);
    assert.equal(got.startMs, was.startMs);
  });
  assert.throws(() => perRunMeans(summed, 0), /whole number/);
  assert.throws(() => perRunMeans(summed, 1.5), /whole number/);
});

test('mergeReports of N runs: each interval count column adds up to the merged total it belongs to', () => {
  // Per run: [deliveries, lost] per interval; the run's totals are their sums (the identity of one run).
  const cases: { runs: [deliveries: number, lost: number][][] }[] = [
    {
      runs: [
        [
          [100, 0],
          [100, 0],
        ],
        [
          [100, 0],
          [100, 0],
        ],
        [
          [100, 0],
          [100, 0],
        ],
      ],
    },
    {
      runs: [
        [
          [10, 1],
          [7, 0],
          [3, 2],
        ],
        [
          [9, 0],
          [8, 1],
        ],
        [
          [11, 0],
          [5, 0],
          [4, 1],
          [1, 0],
        ],
      ],
    },
    { runs: [[[1, 0]], [[0, 1]], [[1, 1]]] },
    {
      runs: [
        [
          [1, 1],
          [1, 1],
          [1, 1],
          [1, 1],
          [1, 1],
          [1, 1],
          [1, 1],
        ],
        [[0, 0]],
        [[0, 0]],
      ],
    },
  ];
  for (const [c, { runs }] of cases.entries()) {
    const reports = runs.map((perInterval, r) => {
      const samples = perInterval.map(([n], k) => spread(n, 1 + k, 9 + k));
      const report = fakeReport({ websocket: { fanoutMs: samples.flat() } }, `run-${r}`);
      const ws = report.transports.websocket!;
      ws.delivery.delivered = perInterval.reduce((a, [n]) => a + n, 0);
      ws.delivery.lost = perInterval.reduce((a, [, l]) => a + l, 0);
      ws.timeline = {
        intervalMs: 1000,
        intervals: perInterval.map(([, lost], k) => interval({ startMs: 100 * r + 1000 * k, fanout: samples[k]!, lost })),
      };
      return report;
    });
    const ws = mergeReports(reports).transports.websocket!;
    const sum = (f: (i: TimelineInterval) => number) => round3(ws.timeline!.intervals.reduce((a, i) => a + f(i), 0));
    assert.equal(
      sum((i) => i.deliveries),
      ws.delivery.delivered,
      `case ${c}: deliveries add up to delivery.delivered`,
    );
    assert.equal(
      sum((i) => i.lost),
      ws.delivery.lost,
      `case ${c}: lost adds up to delivery.lost`,
    );
    assert.equal(
      sum((i) => i.fanoutLatencyMs.count),
      ws.fanoutLatencyMs.count,
      `case ${c}: histogram counts add up`,
    );
    assert.equal(
      ws.fanoutLatencyMs.count,
      runs.flat().reduce((a, [n]) => a + n, 0),
      `case ${c}: the merged histogram holds every run's samples`,
    );
  }
});
