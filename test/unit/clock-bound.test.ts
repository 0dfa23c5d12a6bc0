/**
 * The run's latency error bound from its agents' clocks, and when the summary must call it out
 * (metrics/clock-bound.ts, worded by reporters/clock-note.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOCK_BOUND_NOTE_RATIO, clockBoundVerdict, runLatencyErrorBound } from '../../src/metrics/clock-bound.js';
import { SAME_HOST_CLOCK_ERROR_MS } from '../../src/metrics/clock-offset.js';
import { clockBoundNote } from '../../src/reporters/clock-note.js';

test('runLatencyErrorBound: the largest agent bound; one host\u2019s with no agent or only exact ones', () => {
  assert.equal(runLatencyErrorBound([]), SAME_HOST_CLOCK_ERROR_MS);
  assert.equal(runLatencyErrorBound([{ errorBoundMs: SAME_HOST_CLOCK_ERROR_MS }, { errorBoundMs: 0 }]), SAME_HOST_CLOCK_ERROR_MS);
  assert.equal(runLatencyErrorBound([{ errorBoundMs: 0.3 }, { errorBoundMs: 2.5 }, { errorBoundMs: 0.001 }]), 2.5);
});

test('runLatencyErrorBound with client senders: a round trip between two agents carries both their errors', () => {
  const cases: { bounds: number[]; want: number }[] = [
    { bounds: [], want: SAME_HOST_CLOCK_ERROR_MS },
    { bounds: [2.5], want: 2.5 }, // one agent: sender and member share one conversion error, which cancels
    { bounds: [0.3, 2.5, 0.001], want: 2.8 },
    { bounds: [1, 1], want: 2 },
    { bounds: [0, 0], want: SAME_HOST_CLOCK_ERROR_MS },
  ];
  for (const c of cases)
    assert.equal(
      runLatencyErrorBound(
        c.bounds.map((errorBoundMs) => ({ errorBoundMs })),
        true,
      ),
      c.want,
      c.bounds.join(', '),
    );
});

const verdicts: { name: string; boundMs: number; p50Ms: number | null; want: ReturnType<typeof clockBoundVerdict> }[] = [
  { name: 'one host: never', boundMs: SAME_HOST_CLOCK_ERROR_MS, p50Ms: 0.005, want: null },
  { name: 'bound far below p50', boundMs: 0.05, p50Ms: 5, want: null },
  { name: 'exactly 10 % is not above it', boundMs: 0.5, p50Ms: 5, want: null },
  { name: 'just above 10 %', boundMs: 0.51, p50Ms: 5, want: { kind: 'large', boundMs: 0.51, p50Ms: 5, share: 0.51 / 5 } },
  { name: 'bound larger than p50', boundMs: 12, p50Ms: 4, want: { kind: 'large', boundMs: 12, p50Ms: 4, share: 3 } },
  { name: 'nothing delivered', boundMs: 3, p50Ms: null, want: { kind: 'no-median', boundMs: 3 } },
  { name: 'p50 of zero', boundMs: 3, p50Ms: 0, want: { kind: 'no-median', boundMs: 3 } },
  { name: 'negative p50 (clocks that disagree)', boundMs: 3, p50Ms: -1, want: { kind: 'no-median', boundMs: 3 } },
  { name: 'nothing delivered, one host', boundMs: SAME_HOST_CLOCK_ERROR_MS, p50Ms: null, want: null },
  { name: 'not a number is not a small bound', boundMs: Number.NaN, p50Ms: 5, want: null },
];

for (const c of verdicts) {
  test(`clockBoundVerdict: ${c.name}`, () => {
    assert.deepEqual(clockBoundVerdict(c.boundMs, c.p50Ms), c.want);
  });
}

test('clockBoundVerdict: the ratio is 10 % unless given', () => {
  assert.equal(CLOCK_BOUND_NOTE_RATIO, 0.1);
  assert.equal(clockBoundVerdict(0.3, 5, 0.05)?.kind, 'large');
  assert.equal(clockBoundVerdict(0.3, 5), null);
});

test('clockBoundNote: one line naming the bound, the share and the figures it concerns', () => {
  assert.equal(clockBoundNote(0.05, 5, 'websocket fan-out'), null);
  assert.equal(
    clockBoundNote(1.2, 4.8, 'websocket fan-out'),
    'clock error bound ±1.200 ms is 25.0 % of the websocket fan-out p50 (4.800 ms): agents on other hosts, offsets estimated through Redis TIME; websocket fan-out figures are uncertain by that much',
  );
  assert.match(
    clockBoundNote(45, 12, 'longpoll fan-out')!,
    /^clock error bound ±45.00 ms is 375 % of the longpoll fan-out p50 \(12.00 ms\)/,
  );
  assert.equal(
    clockBoundNote(3, null, 'poll fan-out'),
    'clock error bound ±3.000 ms (agents on other hosts); no poll fan-out p50 to compare it with',
  );
});
