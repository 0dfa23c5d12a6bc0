import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultWorkerCount } from '../../src/engine/workers.js';
import { splitClients } from '../../src/engine/worker-plans.js';
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

test('clients split into contiguous near-equal ranges', () => {
  assert.deepEqual(splitClients(10, 3), [
    { first: 0, count: 4 },
    { first: 4, count: 3 },
    { first: 7, count: 3 },
  ]);
  assert.deepEqual(splitClients(2, 3), [
    { first: 0, count: 1 },
    { first: 1, count: 1 },
    { first: 2, count: 0 },
  ]);
});

test('only the fast WebSocket client gets the small young generation', () => {
  const settings = (websocketClient: 'fast' | 'ws') => ({ websocketClient, pollIntervalMs: 1000, longPollHoldMs: 30_000 });
  assert.deepEqual(TRANSPORTS.websocket.workerExecArgv(settings('fast')), ['--max-semi-space-size=1']);
  assert.deepEqual(TRANSPORTS.websocket.workerExecArgv(settings('ws')), []);
  assert.deepEqual(TRANSPORTS.longpoll.workerExecArgv(settings('fast')), []);
  assert.deepEqual(TRANSPORTS.poll.workerExecArgv(settings('fast')), []);
});
