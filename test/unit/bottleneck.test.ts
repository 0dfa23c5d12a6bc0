import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessBottleneck } from '../../src/metrics/bottleneck.js';
import type { ProcessStats } from '../../src/results/types.js';

const proc = (cpuPercent: number, eldP99: number, role: ProcessStats['role'] = 'worker'): ProcessStats => ({
  role,
  pid: 1,
  cpuPercent,
  cpuMs: 0,
  eventLoopDelayMs: { p50: 0, p99: eldP99, max: eldP99 },
  rssBytes: 0,
  peakRssBytes: 0,
});

const cases: { name: string; processes: ProcessStats[]; lagP99: number; bottleneck: boolean; reasons: number }[] = [
  { name: 'idle tool', processes: [proc(10, 1), proc(20, 2)], lagP99: 0.2, bottleneck: false, reasons: 0 },
  { name: 'saturated worker', processes: [proc(10, 1), proc(97, 2)], lagP99: 0.2, bottleneck: true, reasons: 1 },
  { name: 'event loop stalls', processes: [proc(50, 35)], lagP99: 0.2, bottleneck: true, reasons: 1 },
  { name: 'publisher behind', processes: [proc(50, 1)], lagP99: 40, bottleneck: true, reasons: 1 },
  { name: 'everything at once', processes: [proc(99, 50, 'coordinator')], lagP99: 40, bottleneck: true, reasons: 3 },
  { name: 'just under the limits', processes: [proc(84.9, 19.9)], lagP99: 9.9, bottleneck: false, reasons: 0 },
];

for (const c of cases) {
  test(`bottleneck: ${c.name}`, () => {
    const verdict = assessBottleneck(c.processes, c.lagP99, 1000);
    assert.equal(verdict.bottleneck, c.bottleneck);
    assert.equal(verdict.reasons.length, c.reasons, verdict.reasons.join('; '));
  });
}

test('bottleneck: no verdict on a run that never published (e.g. a 257 ms run that failed to connect at 88 % CPU)', () => {
  assert.deepEqual(assessBottleneck([proc(88, 30, 'coordinator')], 0, 0), { bottleneck: false, reasons: [] });
  assert.equal(assessBottleneck([proc(88, 30, 'coordinator')], 0, 1).bottleneck, true, 'any measured window gets the verdict');
});
