/**
 * Failures during a run, caused on purpose with real processes: a real redis-server SIGKILLed and
 * started again on the same port, the reference server SIGKILLed, Redis dropping the server's
 * subscriber. Each must be named (an incident), counted (the ledger identity holds exactly) and
 * timed (on the run's axis: the assertions compare what the report says with when the test acted,
 * in the same time base — never the machine's speed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BIN, runCli } from '../helpers/cli.js';
import { descendantsOf, isAlive, onPublishing, waitFor } from '../helpers/processes.js';
import { withTempDir } from '../helpers/temp-dir.js';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.js';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { ExitCode } from '../../src/exit-codes.js';
import type { Incident, RunReport, TransportReport } from '../../src/results/types.js';
import { startTestRedis } from '../helpers/redis.js';
import { seriesSources, timeCharts } from '../../src/reporters/html-data.js';

/** ms since the run started of a wall-clock instant (the report's startedAt and its axis share an origin). */
function onRunAxis(report: RunReport, wallMs: number): number {
  return wallMs - Date.parse(report.run.startedAt);
}

/** A process's command line ('' once it is gone). */
function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function incidentsOf(report: RunReport, kind: string): Incident[] {
  return (report.run.incidents ?? []).filter((i) => i.kind === kind);
}

function assertIdentity(t: TransportReport): void {
  const d = t.delivery;
  assert.equal(d.delivered + d.lost + d.unpublished, d.expected, JSON.stringify(d));
}

test('Redis SIGKILLed and started again mid-run: degraded exit, redis-down/up with times, failed publishes unpublished, delivery resumes', () =>
  withTempDir('failures', async (dir) => {
    const port = await freePort();
    const first = await startEmbeddedRedis({ port, startTimeoutMs: 15_000 });
    let second: Promise<EmbeddedRedis> | null = null;
    let killedAt = 0;
    try {
      const file = join(dir, 'redis-restart.yaml');
      const out = join(dir, 'report.json');
      await writeFile(
        file,
        `name: redis-restart
redis: { url: "${first.url}" }
clients: { connections: 20 }
publish: { rate: 100/s, duration: 8s }
drain: 2s
`,
      );
      const result = await runCli(['run', file, '--json', '--out', out, '-t', 'delivery.deliveryRatio == 1'], {
        timeoutMs: 90_000,
        onSpawn: (child) =>
          onPublishing(child, 1500, () => {
            process.kill(first.pid, 'SIGKILL');
            killedAt = Date.now();
            setTimeout(() => (second = startEmbeddedRedis({ port, startTimeoutMs: 15_000 })), 2000);
          }),
      });
      assert.ok(killedAt > 0, 'Redis was killed during the run');
      assert.equal(result.code, ExitCode.DEGRADED, `exit code says degraded\n${result.stderr}`);
      const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
      const ws = report.transports.websocket!;
      const context = JSON.stringify({ incidents: report.run.incidents, delivery: ws.delivery, throughput: ws.throughput });

      // Named and timed: down at the kill, up no sooner than the restart 2 s later.
      const killAtMs = onRunAxis(report, killedAt);
      const [down] = incidentsOf(report, 'redis-down');
      const [up] = incidentsOf(report, 'redis-up');
      assert.ok(down && up, context);
      assert.ok(down.atMs >= killAtMs - 50 && down.atMs <= killAtMs + 2000, `redis-down at ${down.atMs} ms, kill at ${killAtMs} ms`);
      assert.ok(up.atMs >= killAtMs + 2000 - 50, `redis-up at ${up.atMs} ms, restart at ${killAtMs + 2000} ms`);
      assert.ok(incidentsOf(report, 'publish-failed').length > 0, context);
      assert.match(incidentsOf(report, 'subscriber-restored')[0]?.detail ?? '', /Redis restarted/, context);

      // Counted: the failed publishes' recipients are unpublished, and the identity holds exactly.
      assert.ok(ws.throughput.publishFailures > 0, context);
      assert.equal(ws.errors['publish.error'], ws.throughput.publishFailures);
      assert.ok(ws.delivery.unpublished > 0 && ws.delivery.unpublished <= ws.throughput.publishFailures * 20, context);
      assertIdentity(ws);
      assert.ok(ws.delivery.deliveryRatio < 1, context);
      assert.equal(report.gate?.passed, false, 'the delivery threshold fails');
      assert.equal(report.gate?.thresholds[0]?.passed, false);

      // Publishing resumed and reached the clients: deliveries grew after the server resubscribed.
      const events = result.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as EngineEvent | { type: 'report' });
      const restored = events.findIndex((e) => e.type === 'incident' && e.incident.kind === 'subscriber-restored');
      assert.ok(restored > 0, 'the NDJSON stream says when the server resubscribed');
      const before = events
        .slice(0, restored)
        .reduce((max, e) => (e.type === 'snapshot' ? Math.max(max, e.snapshot.delivery.delivered) : max), 0);
      assert.ok(ws.delivery.delivered >= before + 20 * 20, `${ws.delivery.delivered} delivered in all, ${before} before Redis was back`);

      // The timeline keeps the ledger's terms through the outage: its intervals add up to the
      // delivered and the lost (the unpublished are in neither), interval by interval.
      const intervals = ws.timeline!.intervals;
      const sum = (f: (i: (typeof intervals)[number]) => number) => intervals.reduce((a, i) => a + f(i), 0);
      assert.equal(
        sum((i) => i.deliveries),
        ws.delivery.delivered,
      );
      assert.equal(
        sum((i) => i.lost),
        ws.delivery.lost,
      );
      assert.equal(
        sum((i) => i.fanoutLatencyMs.count),
        ws.fanoutLatencyMs.count,
      );

      // The HTML report marks these very incidents on its charts over time, on the same axis.
      const inputs = [{ label: 'restart', report }];
      const [latency] = timeCharts(inputs, seriesSources(inputs));
      const origin = seriesSources(inputs)[0]!.originMs;
      for (const incident of report.run.incidents!) {
        const marker = latency!.markers.find((m) => m.kind === 'incident' && m.label === `${incident.kind} — ${incident.detail}`);
        assert.ok(marker, `${incident.kind} is marked`);
        assert.equal(marker.x, Math.round(incident.atMs - origin) / 1000);
      }
    } finally {
      await (await (second as Promise<EmbeddedRedis> | null))?.stop();
      await first.stop();
    }
  }));

test('the reference server SIGKILLed mid-run: target-down within 2 s, the run stops and reports, nothing left running', () =>
  withTempDir('failures', async (dir) => {
    const file = join(dir, 'server-killed.yaml');
    const out = join(dir, 'report.json');
    await writeFile(
      file,
      `name: server-killed
clients: { connections: 20 }
publish: { rate: 50/s, duration: 30s }
drain: 2s
`,
    );
    let killedAt = 0;
    let started: number[] = [];
    const result = await runCli(['run', file, '--json', '--out', out], {
      timeoutMs: 90_000,
      onSpawn: (child) =>
        onPublishing(child, 1000, () => {
          started = descendantsOf(child.pid!);
          const server = started.find((pid) => /server-process\.js/.test(commandOf(pid)));
          // None found: nothing is killed, and the assertion on killedAt below says so.
          if (server === undefined) return;
          process.kill(server, 'SIGKILL');
          killedAt = Date.now();
        }),
    });
    assert.ok(killedAt > 0, 'the server was killed during the run');
    assert.equal(result.code, ExitCode.DEGRADED, result.stderr);
    const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
    const ws = report.transports.websocket!;
    const killAtMs = onRunAxis(report, killedAt);
    const [down] = incidentsOf(report, 'target-down');
    assert.ok(down, JSON.stringify(report.run.incidents));
    assert.ok(down.atMs >= killAtMs - 50 && down.atMs <= killAtMs + 2000, `target-down at ${down.atMs} ms, kill at ${killAtMs} ms`);
    assert.match(down.detail, /exited \(SIGKILL\)/);
    // The run stopped publishing and ended within a few seconds, and says why.
    assert.equal(report.run.completed, false);
    assert.match(report.run.stopReason ?? '', /target down/);
    const ended = Math.max(...ws.phases.map((p) => p.endMs));
    assert.ok(ended - killAtMs < 5000, `the transport ended ${ended - killAtMs} ms after the kill`);
    assert.ok(ws.throughput.publishes < 1500, `stopped publishing (${ws.throughput.publishes} of 1,500)`);
    assertIdentity(ws);
    assert.ok(ws.delivery.lost > 0);
    // Nothing the run started is left.
    assert.ok(started.length >= 3, `workers, Redis and the server were seen (${started.length} processes)`);
    assert.ok(await waitFor(() => started.every((pid) => !isAlive(pid)), 5000), `still alive: ${started.filter(isAlive).join(', ')}`);
  }));

test('a server that is not wsbench’s dies (onTargetDown: continue): target-down from a refused probe, publishing goes on', async () => {
  const redis = await startTestRedis();
  let serve: ChildProcess | null = null;
  try {
    serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--processes', '1', '--redis', redis.url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      serve!.stdout!.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /listening on (ws:\/\/[\d.:]+)/.exec(text);
        if (m) resolve(m[1]!);
      });
      serve!.once('exit', () => reject(new Error(`wsbench serve exited: ${text}`)));
    });
    let killedAt = 0;
    const events: EngineEvent[] = [];
    const report = await runEngine(
      parseScenarioText(
        `redis: { url: "${redis.url}" }
target: { kind: builtin, url: "${url}" }
onTargetDown: continue
clients: { connections: 10 }
publish: { rate: 50/s, duration: 4s }
drain: 500ms
`,
        'continue.yaml',
      ),
      {
        workers: 1,
        snapshotIntervalMs: 100,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'phase' && e.phase === 'publishing')
            setTimeout(() => {
              serve!.kill('SIGKILL');
              killedAt = Date.now();
            }, 800);
        },
      },
    );
    const ws = report.transports.websocket!;
    const [down] = incidentsOf(report, 'target-down');
    assert.ok(down, JSON.stringify(report.run.incidents));
    assert.match(down.detail, /every connection dropped .* accepts no new connection \(ECONNREFUSED\)/);
    const killAtMs = onRunAxis(report, killedAt);
    assert.ok(down.atMs >= killAtMs - 50 && down.atMs <= killAtMs + 2000, `target-down at ${down.atMs} ms, kill at ${killAtMs} ms`);
    assert.ok(
      events.some((e) => e.type === 'incident' && e.incident.kind === 'target-down'),
      'said as it happened',
    );
    // continue: the whole schedule was published, the run completed (degraded), the rest is lost.
    assert.equal(report.run.completed, true);
    assert.equal(ws.throughput.publishes, 200);
    assertIdentity(ws);
    assert.ok(ws.delivery.lost > 0);
  } finally {
    serve?.kill('SIGKILL');
    await redis.stop();
  }
});

test('Redis drops the server’s subscriber (output-buffer limit, CLIENT KILL): subscriber-dropped with the reason, resubscribed, delivery goes on', async () => {
  const redis = await startTestRedis();
  const admin = new Redis(redis.url);
  try {
    const events: EngineEvent[] = [];
    const drops: number[] = [];
    const report = await runEngine(
      parseScenarioText(
        `redis: { url: "${redis.url}" }
clients: { connections: 10 }
publish: { rate: 50/s, duration: 5s }
drain: 1s
`,
        'drop.yaml',
      ),
      {
        workers: 1,
        snapshotIntervalMs: 100,
        onEvent: (e) => {
          events.push(e);
          if (e.type !== 'phase' || e.phase !== 'publishing') return;
          // A message larger than a tiny pubsub output-buffer limit: Redis drops the subscriber.
          setTimeout(() => {
            void (async () => {
              await admin.config('SET', 'client-output-buffer-limit', 'pubsub 1kb 1kb 0');
              await admin.publish('bench', Buffer.alloc(256 * 1024, 0x61));
              drops.push(Date.now());
              await admin.config('SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
            })();
          }, 800);
          // Later, without a reason Redis keeps.
          setTimeout(() => {
            void admin.client('KILL', 'TYPE', 'pubsub').then(() => drops.push(Date.now()));
          }, 2800);
        },
      },
    );
    const ws = report.transports.websocket!;
    const dropped = incidentsOf(report, 'subscriber-dropped');
    const restored = incidentsOf(report, 'subscriber-restored');
    const context = JSON.stringify(report.run.incidents);
    assert.equal(dropped.length, 2, context);
    assert.equal(restored.length, 2, context);
    // Newer Redis counts output-buffer disconnections (INFO stats): the reason is then named; older
    // Redis keeps no trace of why, and the incident says both candidates and that it cannot tell.
    if (/client_output_buffer_limit_disconnections/.test(await admin.info('stats'))) {
      assert.match(dropped[0]!.detail, /for exceeding its output-buffer limit \(client-output-buffer-limit pubsub \d+ \d+ \d+\)/);
      assert.match(dropped[1]!.detail, /not for its output-buffer limit: CLIENT KILL/);
    } else {
      for (const d of dropped)
        assert.match(d.detail, /output-buffer limit \(client-output-buffer-limit pubsub \d+ \d+ \d+\) .* CLIENT KILL.* not known/);
    }
    for (let k = 0; k < 2; k++) {
      const at = onRunAxis(report, drops[k]!);
      // The drop is dated when the server lost its subscriber: around when the test caused it.
      assert.ok(Math.abs(dropped[k]!.atMs - at) < 1000, `drop ${k} at ${dropped[k]!.atMs} ms, caused at ${at} ms`);
      assert.ok(restored[k]!.atMs >= dropped[k]!.atMs);
    }
    // Nothing failed to publish; what the server missed while unsubscribed is lost, and the rest arrived.
    assert.equal(ws.throughput.publishFailures, 0);
    assert.equal(ws.delivery.unpublished, 0);
    assertIdentity(ws);
    const said = events.flatMap((e, i) => (e.type === 'incident' && e.incident.kind === 'subscriber-restored' ? [i] : []));
    assert.equal(said.length, 2, 'both restorations were said as they happened');
    // Delivery went on after the second resubscription.
    const before = events
      .slice(0, said[1])
      .reduce((max, e) => (e.type === 'snapshot' ? Math.max(max, e.snapshot.delivery.delivered) : max), 0);
    assert.ok(ws.delivery.delivered >= before + 10 * 10, `${ws.delivery.delivered} delivered in all, ${before} before the second restore`);
  } finally {
    admin.disconnect();
    await redis.stop();
  }
});
