/**
 * Incidents: the engine's recorder (one outage, one pair of incidents, whoever saw it), the
 * vocabulary's verdict on a report (degraded), the exit code's precedence, and how the drop of the
 * reference server's subscriber is explained from what Redis tells.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncidentRecorder } from '../../src/engine/incidents.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { INCIDENT_KINDS, incidentLine, isDegraded, sortIncidents } from '../../src/results/incidents.js';
import { gateExitCode } from '../../src/cli/gate.js';
import { ExitCode } from '../../src/exit-codes.js';
import { droppedBy } from '../../src/server/channel-registry.js';
import { probeAddress } from '../../src/engine/target-watch.js';
import { runReport, transportReport } from '../fixtures/ui.js';
import type { GateOutcome } from '../../src/gate/result.js';

/** A recorder whose run started at monotonic 1000 ms, with the events it emitted. */
function recorder(): { rec: IncidentRecorder; events: EngineEvent[] } {
  const events: EngineEvent[] = [];
  return {
    rec: new IncidentRecorder(
      (at) => Math.round(at - 1000),
      (e) => events.push(e),
    ),
    events,
  };
}

test('recorder: one Redis outage seen by two connections is one redis-down and one redis-up, when the last is back', () => {
  const { rec, events } = recorder();
  rec.redisDown('publisher', 'connection closed by Redis', 3000);
  rec.redisDown('control', 'ECONNRESET', 3005);
  rec.redisUp('publisher', 5200);
  assert.deepEqual(
    rec.list().map((i) => i.kind),
    ['redis-down'],
    'not up while the control connection is still down',
  );
  rec.redisUp('control', 5300);
  const list = rec.list();
  assert.deepEqual(
    list.map((i) => [i.kind, i.atMs]),
    [
      ['redis-down', 2000],
      ['redis-up', 4300],
    ],
  );
  assert.match(list[0]!.detail, /publisher’s connection .* lost \(connection closed by Redis\)/);
  assert.match(list[1]!.detail, /after 2\.3 s/);
  // Said as it happened, in the same words.
  assert.deepEqual(
    events.map((e) => (e.type === 'incident' ? e.incident : null)),
    list,
  );
});

test('recorder: a witness that goes away for good does not hold redis-up back, nor invent one', () => {
  const { rec } = recorder();
  rec.redisDown('publisher', 'x', 2000);
  rec.redisDown('control', 'y', 2001);
  rec.forget('publisher');
  rec.redisUp('control', 2500);
  assert.deepEqual(
    rec.list().map((i) => i.kind),
    ['redis-down', 'redis-up'],
  );
  const { rec: alone } = recorder();
  alone.redisDown('publisher', 'x', 2000);
  alone.forget('publisher');
  assert.deepEqual(
    alone.list().map((i) => i.kind),
    ['redis-down'],
  );
});

test('recorder: target-down once until target-up; incidents come out in time order whatever order they were told', () => {
  const { rec } = recorder();
  assert.equal(rec.targetDown('every connection dropped', 4000), true);
  assert.equal(rec.targetDown('the server exited', 4001), false, 'already said');
  assert.equal(rec.targetIsDown, true);
  // The server dates a drop when it happened, and tells it later.
  rec.record('subscriber-dropped', 'late news', 3500);
  rec.targetUp('accepts connections again', 6000);
  assert.equal(rec.targetIsDown, false);
  assert.deepEqual(
    rec.list().map((i) => [i.kind, i.atMs]),
    [
      ['subscriber-dropped', 2500],
      ['target-down', 3000],
      ['target-up', 5000],
    ],
  );
  assert.match(rec.list()[2]!.detail, /down 2\.0 s/);
});

test('degraded: any incident or any publish that never reached Redis', () => {
  const clean = runReport([transportReport('websocket', [1, 2, 3])]);
  assert.equal(isDegraded(clean), false);
  assert.equal(isDegraded({ ...clean, run: { ...clean.run, incidents: [] } }), false);
  assert.equal(isDegraded({ ...clean, run: { ...clean.run, incidents: [{ atMs: 1, kind: 'redis-down', detail: 'x' }] } }), true);
  const failed = transportReport('websocket', [1, 2, 3]);
  failed.throughput.publishFailures = 3;
  assert.equal(isDegraded(runReport([failed])), true);
});

test('exit code: degraded wins over a failed gate; a clean run is the gate’s verdict', () => {
  const clean = runReport([transportReport('websocket', [1])]);
  const degraded = { ...clean, run: { ...clean.run, incidents: [{ atMs: 1, kind: 'target-down', detail: 'x' }] } };
  const failing = { passed: false } as GateOutcome;
  const passing = { passed: true } as GateOutcome;
  const table: [typeof clean, GateOutcome | undefined, number][] = [
    [clean, undefined, ExitCode.OK],
    [clean, passing, ExitCode.OK],
    [clean, failing, ExitCode.GATE_FAILED],
    [degraded, undefined, ExitCode.DEGRADED],
    [degraded, passing, ExitCode.DEGRADED],
    [degraded, failing, ExitCode.DEGRADED],
  ];
  for (const [report, outcome, want] of table) assert.equal(gateExitCode(outcome, report), want);
  assert.equal(ExitCode.DEGRADED, 4);
});

test('vocabulary: every kind is described; lines and order', () => {
  for (const kind of ['redis-down', 'redis-up', 'target-down', 'target-up', 'subscriber-dropped', 'publish-failed'])
    assert.ok(kind in INCIDENT_KINDS, kind);
  assert.equal(incidentLine({ atMs: 12_345, kind: 'redis-down', detail: 'lost' }), '12.345 s redis-down: lost');
  assert.deepEqual(
    sortIncidents([
      { atMs: 5, kind: 'b', detail: '' },
      { atMs: 1, kind: 'a', detail: '' },
      { atMs: 5, kind: 'c', detail: '' },
    ]).map((i) => i.kind),
    ['a', 'b', 'c'],
  );
});

test('subscriber drop: the reason as far as Redis tells', () => {
  const limit = '33554432 8388608 60';
  const cases: [Parameters<typeof droppedBy>[0], Parameters<typeof droppedBy>[1], RegExp][] = [
    // Newer Redis counts output-buffer disconnections: the count moved, so that was it.
    [
      { outputBufferDisconnections: 3 },
      { outputBufferDisconnections: 4, pubsubLimit: limit },
      /for exceeding its output-buffer limit \(client-output-buffer-limit pubsub 33554432 8388608 60\): .*too slowly/,
    ],
    // … it did not move: something else closed it.
    [{ outputBufferDisconnections: 3 }, { outputBufferDisconnections: 3 }, /not for its output-buffer limit: CLIENT KILL/],
    // Older Redis keeps no count: both candidates, and that it cannot tell.
    [{}, { pubsubLimit: limit }, /output-buffer limit \(client-output-buffer-limit pubsub .*\) if .* or CLIENT KILL.* not known/],
  ];
  for (const [before, now, want] of cases) assert.match(droppedBy(before, now), want);
});

test('target probe: where a URL template accepts connections', () => {
  const cases: [string, { host: string; port: number } | null][] = [
    ['ws://127.0.0.1:8080/ws/{channel}', { host: '127.0.0.1', port: 8080 }],
    ['wss://example.com/ws/{channel}?c={client}', { host: 'example.com', port: 443 }],
    ['http://[::1]/poll/{channel}', { host: '::1', port: 80 }],
    ['not a url', null],
  ];
  for (const [url, want] of cases) assert.deepEqual(probeAddress(url), want, url);
});
