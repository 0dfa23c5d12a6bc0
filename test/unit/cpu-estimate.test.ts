import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateCpu, type CpuInput } from '../../src/doctor/cpu-estimate.js';

const base: CpuInput = { cores: 2, connections: 1_000, ratePerSec: null, channels: 1, serverHere: true };

test('estimateCpu: deliveries/s from rate × clients per channel, cores as a best–worst range, and a verdict', () => {
  const cases: { name: string; input: Partial<CpuInput>; deliveries: number | null; cores: [number, number] | null; verdict: string }[] = [
    // 600k/s at 100 % on 2 cores was measured (BENCHMARKS.md): the best case fits, the worst does not.
    { name: 'the measured 600k/s', input: { ratePerSec: 600 }, deliveries: 600_000, cores: [2, 10.572], verdict: 'busy' },
    {
      name: 'light load',
      input: { connections: 100_000, channels: 100, ratePerSec: 10 },
      deliveries: 10_000,
      cores: [0.033, 0.176],
      verdict: 'ok',
    },
    { name: 'beyond even the best case', input: { ratePerSec: 2_000 }, deliveries: 2_000_000, cores: [6.667, 35.24], verdict: 'too-much' },
    { name: 'more cores', input: { ratePerSec: 2_000, cores: 64 }, deliveries: 2_000_000, cores: [6.667, 35.24], verdict: 'ok' },
    {
      name: 'own server elsewhere: only the tool counts',
      input: { ratePerSec: 400, serverHere: false },
      deliveries: 400_000,
      cores: [1.148, 3.148],
      verdict: 'busy',
    },
    { name: 'no rate: no delivery estimate', input: {}, deliveries: null, cores: null, verdict: 'ok' },
    {
      name: 'more channels than clients',
      input: { connections: 10, channels: 50, ratePerSec: 100 },
      deliveries: 100,
      cores: [0.0003, 0.0018],
      verdict: 'ok',
    },
  ];
  for (const c of cases) {
    const e = estimateCpu({ ...base, ...c.input });
    assert.equal(e.deliveriesPerSec, c.deliveries, c.name);
    if (c.cores === null) assert.equal(e.deliveryCores, null, c.name);
    else
      for (const i of [0, 1])
        assert.ok(Math.abs(e.deliveryCores![i]! - c.cores[i]!) < 0.001, `${c.name}: ${e.deliveryCores} vs ${c.cores}`);
    assert.equal(e.verdict, c.verdict, c.name);
  }
});

test('estimateCpu: connections cost ~1.1 ms of CPU each (tool + reference server), ~0.5 ms without the server', () => {
  const held = estimateCpu({ ...base, connections: 100_000 });
  assert.ok(Math.abs(held.connectionCpuSeconds - 111) < 0.01, String(held.connectionCpuSeconds));
  assert.ok(Math.abs(held.connectionSecondsOnAllCores - 55.5) < 0.01);
  assert.equal(estimateCpu({ ...base, connections: 100_000, serverHere: false }).connectionCpuSeconds, 50);
  // The whole machine's best case is what was measured: 600,002 deliveries/s on 2 cores.
  assert.equal(Math.round(held.maxDeliveriesPerSec[1]), 600_002);
});
