/**
 * An agent whose CLOCK_MONOTONIC really is another clock: started in a time namespace of its own
 * (`unshare --time --monotonic 1000`), so it reads 1,000 s ahead of the coordinator, as an agent on
 * another host reads a clock with another origin. Its offset is estimated through Redis TIME, and
 * every stamp its workers read (written on the coordinator's clock by the publisher, or by a
 * sender on either agent) is converted to its clock before readiness, intervals and latency are
 * judged: without that, every message would be 1,000 s "early" and owed to nobody. (The test-only
 * clock injection elsewhere moves only what the agent reports, not what its workers read.)
 * Skipped, with the reason, where time namespaces cannot be made. Nothing is left running.
 */
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.js';
import { ExitCode } from '../../src/exit-codes.js';
import type { RunReport } from '../../src/results/types.js';
import { AgentProcesses, registered } from '../helpers/agents.js';
import { assertChatLedger } from '../helpers/stack-run.js';

const AHEAD_S = 1000;
/** unshare's own child gets SIGTERM when unshare dies, so stopping the wrapper stops the agent. */
const OWN_CLOCK = ['unshare', '--time', '--fork', '--kill-child=SIGTERM', '--monotonic', String(AHEAD_S)];

let redis: EmbeddedRedis;
let dir: string;
const fleet = new AgentProcesses();

/** Why time namespaces cannot be made here, or null when they can. */
function timensProblem(): string | null {
  if (process.platform !== 'linux') return `time namespaces are Linux only (this is ${process.platform})`;
  const probe = spawnSync(OWN_CLOCK[0]!, [...OWN_CLOCK.slice(1), 'cat', '/proc/self/timens_offsets'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (probe.error) return `unshare (util-linux) cannot run: ${probe.error.message}`;
  if (probe.status !== 0) return `cannot create a time namespace here (needs root and Linux ≥ 5.6): ${probe.stderr.trim()}`;
  return null;
}

before(async () => {
  redis = await startEmbeddedRedis({ startTimeoutMs: 15_000 });
  dir = await mkdtemp(join(tmpdir(), 'wsbench-distributed-clock-'));
});

after(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => fleet.stopAll());

/** Two agents, agent-1 in its own time namespace; runs `scenario` over them and returns the report. */
async function overTwoClocks(name: string, scenario: string): Promise<RunReport> {
  const prefix = fleet.nextPrefix();
  const list = [
    fleet.start('agent-0', redis.url, ['--prefix', prefix]),
    fleet.start('agent-1', redis.url, ['--prefix', prefix], undefined, {}, OWN_CLOCK),
  ];
  await registered(list);
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, scenario);
  const out = join(dir, `${name}.json`);
  const result = await runCli(
    ['run', file, '--redis', redis.url, '--agents', '2', '--agents-wait', '20s', '--control-prefix', prefix, '--quiet', '--out', out],
    { timeoutMs: 60_000 },
  );
  assert.equal(result.code, ExitCode.OK, result.stderr + list.map((a) => a.stderr()).join('\n'));
  return JSON.parse(await readFile(out, 'utf8')) as RunReport;
}

/** agent-1's clock is estimated 1,000 s ahead within its bound, and no latency carries any of it. */
function assertClockConverted(report: RunReport): void {
  const ws = report.transports.websocket!;
  const clock = report.run.agents!.find((a) => a.name === 'agent-1')!.clock;
  const context = JSON.stringify({ clock, fanout: ws.fanoutLatencyMs, delivery: ws.delivery });
  assert.equal(clock.mode, 'estimated', context);
  assert.equal(report.run.agents!.find((a) => a.name === 'agent-0')!.clock.mode, 'exact');
  assert.ok(clock.errorBoundMs > 0 && clock.errorBoundMs < 50, context);
  assert.ok(Math.abs(clock.offsetMs - AHEAD_S * 1000) <= clock.errorBoundMs, context);
  assert.equal(ws.clampedSamples, 0, context);
  assert.ok(ws.fanoutLatencyMs.max < 1000, context);
}

test('an agent on a clock of its own (time namespace, 1,000 s ahead): published stamps are converted to it, every message delivered', async (t) => {
  const problem = timensProblem();
  if (problem) return t.skip(problem);
  const report = await overTwoClocks(
    'publisher',
    `clients: { connections: 60 }
publish: { rate: 50/s, duration: 2s }
drain: 2s
`,
  );
  const ws = report.transports.websocket!;
  assert.equal(ws.delivery.expected, 60 * 100);
  assert.equal(ws.delivery.delivered, ws.delivery.expected, JSON.stringify(ws.delivery));
  assert.equal(ws.delivery.notOwed ?? 0, 0);
  assertClockConverted(report);
});

test('client senders on two clocks (one agent in a time namespace): stamps cross between the clocks both ways, exact chat ledger', async (t) => {
  const problem = timensProblem();
  if (problem) return t.skip(problem);
  const report = await overTwoClocks(
    'senders',
    `target: { kind: builtin, clientPublish: true }
clients: { connections: 150, rampUp: 300ms }
publish: { rate: 60/s, duration: 2s, channels: 3, via: websocket, senders: 12, payloadSize: 64 }
warmup: 500ms
drain: 2s
`,
  );
  const ws = report.transports.websocket!;
  assertChatLedger(ws, { senders: 12, messages: 150, warmup: 30, members: 50 }, '150 clients, 12 senders over 2 agents on 2 clocks');
  assert.ok(ws.echoLatencyMs!.max < 1000, JSON.stringify(ws.echoLatencyMs));
  assertClockConverted(report);
});
