/**
 * The pure parts of a transport's run: the workers' plans (what each transport's clients connect
 * to and speak), the drain a transport needs, the phase clock, and the stamp run id per transport.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenarioText } from '../../src/config/load.js';
import { endpointOf, workerPlans } from '../../src/engine/worker-plans.js';
import { drainFor } from '../../src/engine/drain.js';
import { PhaseClock } from '../../src/engine/phase-clock.js';
import { transportRunId } from '../../src/engine/transport-run.js';
import type { EngineEvent } from '../../src/engine/events.js';
import type { PreparedTarget } from '../../src/targets/target.js';
import { TRANSPORTS, type TransportName } from '../../src/transports/registry.js';
import type { SocketioProtocolSpec } from '../../src/targets/socketio.js';

const scenario = parseScenarioText(
  'clients: { connections: 10, maxHandshakesInFlight: 5, rampUp: 1s, wsClient: ws }\npublish: { rate: 10, duration: 1s, channels: 2 }\npolling: { interval: 2s }\n',
  'plans.yaml',
);
const socketioSpec: SocketioProtocolSpec = { kind: 'socketio', namespace: '/', auth: null };
const target = {
  describe: 'test target',
  urlTemplate: 'ws://127.0.0.1:1/ws/{channel}',
  pollUrlTemplate: 'http://127.0.0.1:1/poll/{channel}',
  headers: { Cookie: 'a=b' },
  subprotocols: ['x'],
  clientProtocol: socketioSpec,
  maxPayload: 1024,
  readyDelayMs: 0,
} satisfies Partial<PreparedTarget>;

function plansFor(transport: TransportName, workers: number) {
  return workerPlans({
    scenario,
    target,
    transport,
    descriptor: TRANSPORTS[transport],
    urlTemplate: endpointOf(target, TRANSPORTS[transport]),
    runId: '0123456789abcdef',
    workers,
    publishes: { warmup: 2, total: 12 },
    localAddresses: ['127.0.0.1', '127.0.0.2'],
    snapshotIntervalMs: 100,
    connectStartMs: 5,
    timeline: { originMs: 3, lengthMs: 1000 },
  });
}

test('plans deal the clients out in turn and split the handshakes in flight over the workers', () => {
  const plans = plansFor('websocket', 3);
  assert.deepEqual(
    plans.map((p) => [p.workerId, p.firstClient, p.clientCount, p.clientStride, p.maxInFlight]),
    [
      [0, 0, 4, 3, 2],
      [1, 1, 3, 3, 2],
      [2, 2, 3, 3, 2],
    ],
  );
  const p = plans[0]!;
  assert.equal(p.totalClients, 10);
  assert.deepEqual(p.channelNames, ['bench-0', 'bench-1']);
  assert.deepEqual(p.transportSettings, { websocketClient: 'ws', pollIntervalMs: 2000, longPollHoldMs: 25_000 });
  assert.equal(p.rampUpMs, 1000);
  assert.equal(p.totalPublishes, 12);
  assert.equal(p.warmupPublishes, 2);
  assert.deepEqual(p.headers, { Cookie: 'a=b' });
  // Every worker gets the same timeline grid and the publisher's rate (intended times from t0).
  assert.deepEqual(
    plans.map((w) => [w.timeline, w.publishRate]),
    plans.map(() => [{ originMs: 3, lengthMs: 1000 }, [{ durationMs: 1000, from: 10, to: 10 }]]),
  );
  // Plans travel to other processes: plain data only.
  assert.deepEqual(structuredClone(plans), plans);
});

test('each transport connects to its endpoint and speaks the target protocol only when it can', () => {
  const cases: [TransportName, string, string][] = [
    ['websocket', 'ws://127.0.0.1:1/ws/{channel}', 'socketio'],
    ['longpoll', 'http://127.0.0.1:1/poll/{channel}', 'plain'],
    ['poll', 'http://127.0.0.1:1/poll/{channel}', 'plain'],
  ];
  for (const [transport, url, protocol] of cases) {
    const [plan] = plansFor(transport, 1);
    assert.equal(plan!.urlTemplate, url, transport);
    assert.equal(plan!.clientProtocol.kind, protocol, transport);
  }
  const { pollUrlTemplate: _none, ...noPolling } = target;
  assert.throws(() => endpointOf(noPolling, TRANSPORTS.poll), /test target has no polling endpoint for transport poll/);
});

test('interval polling raises a short drain to one interval + 500 ms, and says so', () => {
  const settings = { websocketClient: 'fast' as const, pollIntervalMs: 1000, longPollHoldMs: 25_000 };
  assert.deepEqual(drainFor(2000, TRANSPORTS.websocket, settings), { drainMs: 2000 });
  assert.deepEqual(drainFor(100, TRANSPORTS.longpoll, settings), { drainMs: 100 });
  assert.deepEqual(drainFor(2000, TRANSPORTS.poll, settings), { drainMs: 2000 });
  assert.deepEqual(drainFor(1000, TRANSPORTS.poll, settings), {
    drainMs: 1500,
    warning: 'drain raised to 1500 ms for interval polling (one poll interval + 500 ms)',
  });
});

test('the phase clock announces phases, tracks progress and lists what is done', () => {
  let now = 100;
  const events: EngineEvent[] = [];
  const clock = new PhaseClock(
    'poll',
    () => now,
    (e) => events.push(e),
  );
  assert.equal(clock.phase, 'connecting');
  assert.equal(clock.remaining(), null);
  now = 300;
  clock.enter('publishing', 1000, 'detail');
  now = 550;
  assert.equal(clock.progress(), 0.25);
  assert.equal(clock.remaining(), 750);
  now = 2000;
  assert.equal(clock.progress(), 1);
  assert.equal(clock.remaining(), 0);
  assert.deepEqual(clock.phases(), [
    { name: 'connecting', startMs: 100, endMs: 300 },
    { name: 'publishing', startMs: 300, endMs: 2000 },
  ]);
  assert.deepEqual(events, [
    { type: 'phase', phase: 'connecting', transport: 'poll', elapsedMs: 100 },
    { type: 'phase', phase: 'publishing', transport: 'poll', elapsedMs: 300, detail: 'detail' },
  ]);
});

test('each transport stamps with its own run id', () => {
  const ids = [0, 1, 2].map((i) => transportRunId('0123456789abcdef', i));
  assert.deepEqual(ids, ['0123456789abcdef', '0123456789abcdee', '0123456789abcded']);
});
