/**
 * The pool's connection lifecycle against an in-memory transport (a unit seam: no sockets): a
 * "server" hands every stamped message to the connections open at its intended time, and — as
 * ws4redis does — replays the last message to every connection that opens. Through a storm and its
 * reconnects, every message of each client's presence lands in exactly one term of the ledger, a
 * replay is ignored (never delivered twice), and the event's reconnects are counted. Timing is not
 * asserted: which messages a client was owed follows from when its connections were ready, which
 * the pool records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientPool } from '../../src/engine/client-pool.js';
import { OpenLoopSchedule, constantRate, sleepUntil } from '../../src/engine/pacer.js';
import type { LifecyclePlan, WorkerPlan } from '../../src/engine/worker-messages.js';
import { monotonicMs } from '../../src/metrics/clock.js';
import { RangeSet } from '../../src/metrics/range-set.js';
import { encodeIndexSet } from '../../src/metrics/publish-outcomes.js';
import { StampWriter } from '../../src/metrics/stamp.js';
import { ProcessMonitor } from '../../src/process/monitor.js';
import { PLAIN_PROTOCOL } from '../../src/targets/client-protocol.js';
import type { TransportEvents, TransportFactory } from '../../src/transports/transport.js';

const RUN_ID = '6c6966656379636c';
const RATE = 200;
const TOTAL = 80;

interface FakeConnection {
  events: TransportEvents;
  open: boolean;
}

/** An in-memory server: connections open at once (replaying its last message), close when asked. */
function fakeServer() {
  const connections: FakeConnection[] = [];
  let last: Buffer | null = null;
  const factory: TransportFactory = (_options, events) => {
    const conn: FakeConnection = { events, open: false };
    connections.push(conn);
    return {
      open: async () => {
        conn.open = true;
        // The replay comes after the open (as a real server's first frame follows its upgrade answer).
        const replay = last;
        if (replay) setImmediate(() => conn.open && conn.events.onMessage(replay, 0, replay.length, monotonicMs()));
      },
      send: () => {},
      sendPayload: () => false,
      bufferedAmount: () => 0,
      close: async () => {
        conn.open = false;
      },
      reset: () => {
        conn.open = false;
      },
      wire: () => ({ bytesIn: 0, bytesOut: 0, requests: 1 }),
    };
  };
  return {
    factory,
    connections,
    deliver(message: Buffer): void {
      last = message;
      for (const c of connections) if (c.open) c.events.onMessage(message, 0, message.length, monotonicMs());
    },
  };
}

function plan(lifecycle: LifecyclePlan, clients: number): WorkerPlan {
  const now = monotonicMs();
  return {
    workerId: 0,
    runId: RUN_ID,
    transport: 'websocket',
    transportSettings: { websocketClient: 'fast', pollIntervalMs: 1000, longPollHoldMs: 30_000 },
    firstClient: 0,
    clientCount: clients,
    clientStride: 1,
    totalClients: clients,
    channelNames: ['life'],
    urlTemplate: 'ws://127.0.0.1:1/ws/{channel}',
    headers: {},
    subprotocols: [],
    clientProtocol: PLAIN_PROTOCOL,
    rampUpMs: 0,
    connectStartMs: now,
    maxInFlight: 16,
    connectTimeoutMs: 1000,
    maxPayload: 1024,
    encoding: 'binary',
    totalPublishes: TOTAL,
    warmupPublishes: 0,
    snapshotIntervalMs: 1000,
    perPublishLimit: TOTAL,
    localAddresses: [],
    timeline: { originMs: now, lengthMs: 100 },
    publishRate: constantRate(RATE),
    lifecycle,
    upstream: null,
  };
}

async function runWith(lifecycle: LifecyclePlan, clients: number) {
  const server = fakeServer();
  const pool = new ClientPool(plan(lifecycle, clients), server.factory, new ProcessMonitor('worker'));
  await pool.connectAll(monotonicMs());
  const t0 = monotonicMs() + 20;
  const schedule = new OpenLoopSchedule(t0, RATE, TOTAL);
  pool.publishing(t0);
  const writer = new StampWriter(RUN_ID, 'binary', 64);
  for (let i = 0; i < TOTAL; i++) {
    await sleepUntil(schedule.dueAt(i));
    server.deliver(writer.write(i, schedule.dueAt(i)));
  }
  await new Promise((r) => setTimeout(r, 30));
  const result = await pool.finish({ sent: TOTAL, failed: encodeIndexSet(new RangeSet(), TOTAL) });
  return { result, server };
}

const policy = { afterMs: 40, jitterMs: 30, backoff: { initialMs: 50, maxMs: 200, factor: 2 } };

test('a storm that drops every client, with a replay on each reconnect: exact ledger, replays ignored, every client back', async () => {
  const { result, server } = await runWith(
    {
      connections: null,
      spanMs: TOTAL * (1000 / RATE),
      churnPerSec: 0,
      events: [{ index: 0, kind: 'disconnect', atMs: 150, fraction: 1, how: 'reset', reconnect: policy }],
      readyDelayMs: 0,
    },
    4,
  );
  const d = result.delivery;
  assert.equal(d.delivered + d.lost + d.notOwed + d.unpublished, d.expected, JSON.stringify(d));
  assert.equal(d.expected, 4 * TOTAL, 'each client present throughout: every message is delivered or not owed');
  assert.equal(d.lost, 0);
  assert.equal(d.duplicated, 0, 'a replay is never a second delivery');
  assert.ok(d.notOwed >= 4, `the transition is not owed: ${d.notOwed}`);
  assert.ok(result.ignoredBy.notOwed >= 4, `each reconnect's replay is ignored: ${JSON.stringify(result.ignoredBy)}`);
  assert.equal(server.connections.length, 8, 'four first connections, four reconnects');
  const [storm] = result.lifecycle.events;
  assert.deepEqual([storm!.dropped, storm!.reconnected, storm!.failed], [4, 4, 0]);
  assert.equal(Object.keys(result.errors).length, 0, `a planned drop is no error: ${JSON.stringify(result.errors)}`);
});

test('half the clients dropped (by index), the others untouched: only the dropped ones have messages not owed', async () => {
  const { result } = await runWith(
    {
      connections: null,
      spanMs: TOTAL * (1000 / RATE),
      churnPerSec: 0,
      events: [{ index: 0, kind: 'disconnect', atMs: 100, fraction: 0.5, how: 'close', reconnect: policy }],
      readyDelayMs: 0,
    },
    6,
  );
  const d = result.delivery;
  assert.equal(d.delivered + d.lost + d.notOwed, d.expected);
  assert.equal(d.lost, 0);
  const [storm] = result.lifecycle.events;
  assert.deepEqual([storm!.dropped, storm!.reconnected], [3, 3]);
  // The three untouched clients received everything.
  assert.ok(d.delivered >= 3 * TOTAL + 3 * 1, `${d.delivered}`);
});

test('a stage taking clients away ends their presence: nothing is expected of them afterwards, nothing lost', async () => {
  const { result } = await runWith(
    {
      // 4 clients for 100 ms, then down to 2 at once (a step), for the rest.
      connections: [
        { durationMs: 100, from: 4, to: 4 },
        { durationMs: 1, from: 4, to: 2 },
        { durationMs: 10_000, from: 2, to: 2 },
      ],
      spanMs: TOTAL * (1000 / RATE),
      churnPerSec: 0,
      events: [],
      readyDelayMs: 0,
    },
    4,
  );
  const d = result.delivery;
  assert.equal(d.delivered + d.lost + d.notOwed, d.expected);
  assert.equal(d.lost, 0);
  assert.equal(d.notOwed, 0, 'leaving is no transition');
  assert.ok(d.expected < 4 * TOTAL && d.expected > 2 * TOTAL, `two clients were present for part of the run: ${d.expected}`);
});
