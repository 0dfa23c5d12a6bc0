/**
 * The .hlog as a true interval log: one line per timeline interval and tag, connect lines at their
 * own (connect-phase) times, runs of --repeat at their own times, lines in time order; reports
 * without a timeline keep one line per histogram with connect over the connecting phase.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as hdr from 'hdr-histogram-js';
import { hlogText } from '../../src/reporters/hlog.js';
import { mergeReports } from '../../src/results/merge.js';
import type { RunReport } from '../../src/results/types.js';
import { fakeReport, spread } from '../helpers/report.js';
import { timelineFrom } from '../helpers/timeline.js';

const START = Date.parse('2025-01-01T00:00:00.000Z');

function readAll(text: string): hdr.Histogram[] {
  const reader = new hdr.HistogramLogReader(text);
  const out: hdr.Histogram[] = [];
  for (let h = reader.nextIntervalHistogram(); h; h = reader.nextIntervalHistogram()) out.push(h);
  return out;
}

/** Connecting 0–1 s (handshakes in both seconds), publishing 2–4 s, draining 4–5 s. */
function reportWithTimeline(id = 'r1', startedAt = '2025-01-01T00:00:00.000Z', scale = 1): RunReport {
  const report = fakeReport({ websocket: { fanoutMs: [] }, longpoll: {} }, id, startedAt);
  const ws = report.transports.websocket!;
  ws.phases = [
    { name: 'connecting', startMs: 0, endMs: 2000 },
    { name: 'publishing', startMs: 2000, endMs: 4000 },
    { name: 'draining', startMs: 4000, endMs: 5000 },
  ];
  ws.timeline = timelineFrom([
    { startMs: 0, phase: 'connecting', connectMs: [3, 4, 5] },
    { startMs: 1000, phase: 'connecting', connectMs: [6] },
    { startMs: 2000, fanoutMs: spread(100 * scale, 1, 5), firstMs: [1], lastMs: [5] },
    { startMs: 3000, fanoutMs: spread(50 * scale, 2, 300), firstMs: [2, 2], lastMs: [300, 250] },
    { startMs: 4000, phase: 'draining' },
  ]);
  return report;
}

test('.hlog with a timeline: one line per interval and tag, connect in the connect phase, exact counts, in time order', () => {
  const report = reportWithTimeline();
  const text = hlogText(report);
  const lines = text.split('\n');
  assert.equal(lines[0], '#[Histogram log format version 1.3]');
  assert.equal(lines[1], '#[StartTime: 1735689600.000 (seconds since epoch), 2025-01-01T00:00:00.000Z]');
  assert.equal(lines[2], '#[BaseTime: 1735689600.000 (seconds since epoch)]');
  assert.match(lines[3]!, /untagged = websocket\.fanout; one line per 1 s interval\]$/);

  const read = readAll(text);
  const by = (tag: string) =>
    read.filter((h) => h.tag === tag).map((h) => [h.startTimeStampMsec - START, h.endTimeStampMsec - START, h.totalCount]);
  // Fan-out: every timeline interval, empty ones too, so the lines match the timeline one to one.
  const fanout = [
    [0, 1000, 0],
    [1000, 2000, 0],
    [2000, 3000, 100],
    [3000, 4000, 50],
    [4000, 5000, 0],
  ];
  assert.deepEqual(by('NO TAG'), fanout);
  assert.deepEqual(by('websocket.fanout'), fanout);
  assert.deepEqual(by('websocket.connect'), [
    [0, 1000, 3],
    [1000, 2000, 1],
  ]);
  assert.deepEqual(by('websocket.firstRecipient'), [
    [2000, 3000, 1],
    [3000, 4000, 2],
  ]);
  assert.deepEqual(by('websocket.lastRecipient'), [
    [2000, 3000, 1],
    [3000, 4000, 2],
  ]);
  assert.deepEqual(by('websocket.publisherLag'), [[2000, 5000, 1]], 'no per-interval lag: one line over the measured window');
  const last = read.find((h) => h.tag === 'websocket.lastRecipient' && h.startTimeStampMsec - START === 3000)!;
  assert.equal(Math.round(last.getValueAtPercentile(100) / 1000), 300);
  // longpoll has no timeline (an older report's transport): one line per histogram.
  assert.deepEqual(by('longpoll.fanout'), [[200, 1300, 5]]);
  assert.deepEqual(by('longpoll.connect'), [[0, 100, 1]], 'connect over the connecting phase, not the publishing window');

  const starts = read.map((h) => h.startTimeStampMsec);
  assert.deepEqual(
    starts,
    [...starts].sort((a, b) => a - b),
    'lines in time order',
  );
  const total = read.filter((h) => h.tag === 'NO TAG').reduce((a, h) => a + h.totalCount, 0);
  assert.equal(
    total,
    report.transports.websocket!.timeline!.intervals.reduce((a, i) => a + i.fanoutLatencyMs.count, 0),
  );
});

test('.hlog of a --repeat report: each run’s intervals at the run’s own time', () => {
  const merged = mergeReports([reportWithTimeline('a'), reportWithTimeline('b', '2025-01-01T00:01:00.000Z', 2)]);
  const untagged = readAll(hlogText(merged)).filter((h) => h.tag === 'NO TAG');
  assert.deepEqual(
    untagged.map((h) => [(h.startTimeStampMsec - START) / 1000, h.totalCount]),
    [
      [0, 0],
      [1, 0],
      [2, 100],
      [3, 50],
      [4, 0],
      [60, 0],
      [61, 0],
      [62, 200],
      [63, 100],
      [64, 0],
    ],
  );
});
