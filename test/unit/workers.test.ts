import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultWorkerCount } from '../../src/engine/workers.js';
import { interleaveClients } from '../../src/engine/worker-plans.js';
import { TRANSPORTS } from '../../src/transports/registry.js';

test('default worker count: enough for the open-files limit, a core each for big runs', () => {
  const cases: [connections: number, cores: number, workers: number][] = [
    [1, 2, 1],
    [1999, 8, 1],
    [2000, 2, 1],
    [2000, 8, 7],
    [15_000, 2, 1],
    [15_001, 2, 2],
    [100_000, 2, 7],
    [100_000, 16, 15],
  ];
  for (const [connections, cores, workers] of cases)
    assert.equal(defaultWorkerCount(connections, cores), workers, `${connections} connections on ${cores} cores`);
});

test('clients are dealt out to the workers in turn (every worker has its share below any level)', () => {
  const cases: [total: number, workers: number, expected: { first: number; count: number; stride: number }[]][] = [
    [
      10,
      3,
      [
        { first: 0, count: 4, stride: 3 },
        { first: 1, count: 3, stride: 3 },
        { first: 2, count: 3, stride: 3 },
      ],
    ],
    [
      2,
      3,
      [
        { first: 0, count: 1, stride: 3 },
        { first: 1, count: 1, stride: 3 },
        { first: 2, count: 0, stride: 3 },
      ],
    ],
    [5, 1, [{ first: 0, count: 5, stride: 1 }]],
    [
      0,
      2,
      [
        { first: 0, count: 0, stride: 2 },
        { first: 1, count: 0, stride: 2 },
      ],
    ],
  ];
  for (const [total, workers, expected] of cases) {
    const split = interleaveClients(total, workers);
    assert.deepEqual(split, expected, `${total} over ${workers}`);
    // Every client exactly once.
    const all = split.flatMap((r) => Array.from({ length: r.count }, (_, j) => r.first + j * r.stride)).sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: total }, (_, k) => k),
    );
  }
});

test('only the fast WebSocket client gets the small young generation', () => {
  const settings = (websocketClient: 'fast' | 'ws') => ({ websocketClient, pollIntervalMs: 1000, longPollHoldMs: 30_000 });
  assert.deepEqual(TRANSPORTS.websocket.workerExecArgv(settings('fast')), ['--max-semi-space-size=1']);
  assert.deepEqual(TRANSPORTS.websocket.workerExecArgv(settings('ws')), []);
  assert.deepEqual(TRANSPORTS.longpoll.workerExecArgv(settings('fast')), []);
  assert.deepEqual(TRANSPORTS.poll.workerExecArgv(settings('fast')), []);
});
