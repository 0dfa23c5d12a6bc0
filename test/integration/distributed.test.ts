/**
 * Distributed runs with real processes: `wsbench agent` processes and a coordinator
 * (`wsbench run --agents N`) on one real redis-server (the Redis under test and the control
 * Redis), the built-in reference server. Three agents share a few hundred connections and every
 * message arrives; an agent SIGKILLed (or SIGTERMed) mid-run is an `agent-lost` incident, its
 * clients' messages `unobserved`, exit 4; a coordinator SIGKILLed makes the agents stop their
 * clients; `--abort-on-fail` stops every agent; an agent in its own network namespace takes part
 * (skipped, with the reason, where namespaces are not permitted); an agent whose clock reads
 * 250 ms ahead is estimated within its bound; an agent outlives a restart of its control Redis.
 * Nothing is left running: every agent is stopped, and its worker processes with it.
 */
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { descendantsOf, isAlive, onPublishing, waitFor } from '../helpers/processes.js';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.js';
import { ExitCode } from '../../src/exit-codes.js';
import type { RunReport } from '../../src/results/types.js';
import type { AgentLiveState } from '../../src/engine/events.js';
import { createNetns, netnsSupport, type Netns, type NetnsSupport } from '../helpers/netns.js';
import { AgentProcesses, registered } from '../helpers/agents.js';
import { assertMembershipLedger, membershipSum } from '../helpers/membership.js';
import { startWsRelay } from '../fixtures/ws-relay.js';

let redis: EmbeddedRedis;
let support: NetnsSupport;
let ns: Netns | undefined;
let dir: string;

before(async () => {
  support = await netnsSupport();
  if (support.ok) ns = await createNetns();
  // On loopback, and on the host end of the namespace's link when there is one.
  redis = await startEmbeddedRedis({
    startTimeoutMs: 15_000,
    ...(ns ? { extraArgs: ['--bind', '127.0.0.1', ns.hostAddress, '--protected-mode', 'no'] } : {}),
  });
  dir = await mkdtemp(join(tmpdir(), 'wsbench-distributed-'));
});

after(async () => {
  await redis?.stop();
  await ns?.remove();
  await rm(dir, { recursive: true, force: true });
});

const fleet = new AgentProcesses();
const startAgent = fleet.start.bind(fleet);
const nextPrefix = fleet.nextPrefix.bind(fleet);
afterEach(() => fleet.stopAll());

/**
 * Where two values differ in shape: keys (recursively), types; arrays by all their elements
 * together (a key some element has, such as an interval's optional `connect`, counts once); a
 * null on either side (an optional figure not measured) matches anything.
 */
function shapeDiff(a: unknown, b: unknown, path = '$'): string[] {
  if (a === null || b === null) return [];
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return [`${path}: array on one side only`];
    return a.length && b.length ? shapeDiff(union(a), union(b), `${path}[]`) : [];
  }
  if (typeof a !== typeof b) return [`${path}: ${typeof a} vs ${typeof b}`];
  if (typeof a !== 'object') return [];
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  const out = [...ka.filter((k) => !kb.includes(k)).map((k) => `${path}.${k} only in the first`)];
  out.push(...kb.filter((k) => !ka.includes(k)).map((k) => `${path}.${k} only in the second`));
  for (const k of ka.filter((k) => kb.includes(k)))
    out.push(...shapeDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`));
  return out;
}

/** The elements of an array as one: for objects, every key any of them has (its first non-null value). */
function union(items: unknown[]): unknown {
  if (!items.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) return items[0];
  const out: Record<string, unknown> = {};
  for (const item of items as Record<string, unknown>[])
    for (const [k, v] of Object.entries(item)) if (out[k] === undefined || out[k] === null) out[k] = v;
  return out;
}

test('three agents share 300 connections: every message delivered, clients summing to the total, clocks exact, the report shaped as a local one', async () => {
  const prefix = nextPrefix();
  const list = [0, 1, 2].map((i) => startAgent(`agent-${i}`, redis.url, ['--prefix', prefix]));
  await registered(list);
  const out = join(dir, 'three.json');
  const load = ['-c', '300', '-r', '50', '-d', '2s', '--warmup', '500ms', '--channels', '3', '--redis', redis.url];
  const result = await runCli(
    ['run', ...load, '--agents', '3', '--agents-wait', '20s', '--control-prefix', prefix, '--quiet', '--out', out],
    {
      timeoutMs: 120_000,
    },
  );
  assert.equal(result.code, ExitCode.OK, result.stderr + result.stdout);
  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  const ws = report.transports.websocket!;
  assert.equal(ws.connections.opened, 300);
  assert.ok(ws.delivery.expected > 0);
  assert.equal(ws.delivery.delivered, ws.delivery.expected, JSON.stringify(ws.delivery));
  assert.equal(ws.delivery.lost, 0);
  assert.equal(ws.delivery.unobserved, undefined, 'nothing unobserved when no agent was lost');
  assert.equal(
    ws.fanoutLatencyMs.count,
    ws.delivery.delivered - ws.delivery.expected / 5,
    'warm-up (a fifth of the publishes) is not measured',
  );

  const runAgents = report.run.agents!;
  assert.deepEqual(
    runAgents.map((a) => a.name),
    ['agent-0', 'agent-1', 'agent-2'],
  );
  assert.equal(
    runAgents.reduce((n, a) => n + a.clients, 0),
    300,
  );
  for (const a of runAgents) {
    assert.equal(a.clock.mode, 'exact', a.name);
    assert.equal(a.clock.offsetMs, 0);
    assert.equal(a.status, 'finished', a.name);
  }
  assert.equal(report.run.latencyErrorBoundMs, 0.001);
  assert.deepEqual(report.run.incidents ?? [], []);
  // Each agent ran its workers: the report lists every worker process besides the coordinator.
  assert.equal(ws.tool.processes.filter((p) => p.role === 'worker').length, 3);

  // The same run on local workers has the same shape (run.agents aside).
  const localOut = join(dir, 'local.json');
  const local = await runCli(['run', ...load, '--quiet', '--out', localOut], { timeoutMs: 120_000 });
  assert.equal(local.code, ExitCode.OK, local.stderr);
  const localReport = JSON.parse(await readFile(localOut, 'utf8')) as RunReport;
  const { agents: _agents, latencyErrorBoundMs: _bound, ...run } = report.run;
  assert.deepEqual(shapeDiff({ ...report, run }, localReport), []);
  // The comparison can fail: a key missing from every element of an array is a difference.
  assert.deepEqual(shapeDiff({ a: [{ x: 1 }, { y: null }] }, { a: [{ x: 2 }] }), ['$.a[].y only in the first']);

  // A ramp from 3 to 300 connections: clients are dealt to the agents in turn, as to local
  // workers, so the agents open theirs alike (contiguous blocks would fill agent-0 first, up to
  // 100 apart). The live `agents` events say so, agent by agent.
  const ramp = await runCli(
    [
      'run',
      ...['-c', '3', '--stage', '6s:connections=300', '-r', '20', '--redis', redis.url],
      ...['--agents', '3', '--agents-wait', '20s', '--control-prefix', prefix, '--json'],
    ],
    { timeoutMs: 120_000 },
  );
  assert.equal(ramp.code, ExitCode.OK, ramp.stderr);
  const rampEvents = ramp.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; phase?: string; agents?: AgentLiveState[] });
  const agentEvents = rampEvents.filter((e) => e.type === 'agents').map((e) => e.agents!);
  assert.ok(agentEvents.length > 0, 'agents events on the NDJSON stream');
  assert.deepEqual(
    agentEvents.at(-1)!.map((a) => [a.name, a.host, a.clients, a.status, a.clock?.mode]),
    ['agent-0', 'agent-1', 'agent-2'].map((name) => [name, hostname(), 100, 'finished', 'exact']),
  );
  // While publishing (the ramp), not while the agents close their clients one after the other.
  const publishing = rampEvents.slice(
    rampEvents.findIndex((e) => e.type === 'phase' && e.phase === 'publishing'),
    rampEvents.findIndex((e) => e.type === 'phase' && e.phase === 'draining'),
  );
  const midRamp = publishing
    .filter((e) => e.type === 'agents')
    .map((e) => e.agents!)
    .filter((list) => {
      const open = list.reduce((n, a) => n + a.clientsOpen, 0);
      return open >= 30 && open <= 270;
    });
  assert.ok(midRamp.length > 0, `no agents event during the ramp: ${JSON.stringify(agentEvents.map((l) => l.map((a) => a.clientsOpen)))}`);
  for (const list of midRamp) {
    const open = list.map((a) => a.clientsOpen);
    assert.ok(Math.max(...open) - Math.min(...open) <= 60, `agents' open clients during the ramp: ${open.join(', ')}`);
  }
});

test('an agent SIGKILLed and one SIGTERMed mid-run, clients in 3 of 10 channels: agent-lost for each, what their clients were owed on every channel unobserved (not lost), the run ends degraded, nothing left running', async () => {
  const prefix = nextPrefix();
  const list = [0, 1, 2].map((i) => startAgent(`agent-${i}`, redis.url, ['--prefix', prefix]));
  await registered(list);
  const out = join(dir, 'lost.json');
  const file = join(dir, 'lost.yaml');
  await writeFile(file, 'clients: { channelsPerClient: 3 }\npublish: { channels: 10 }\n');
  let killed: number[] = [];
  const result = await runCli(
    // 10 s: live intervals must go on for a while after the agents are gone.
    [
      'run',
      file,
      '-c',
      '150',
      '-r',
      '50',
      '-d',
      '10s',
      '--redis',
      redis.url,
      '--agents',
      '3',
      '--control-prefix',
      prefix,
      '--json',
      '--out',
      out,
    ],
    {
      timeoutMs: 120_000,
      onSpawn: (child) =>
        onPublishing(child, 1000, () => {
          const victim = list[1]!.child;
          killed = [victim.pid!, ...descendantsOf(victim.pid!)];
          victim.kill('SIGKILL');
          // agent-2 is asked to go: it stops its clients and says so, without results.
          list[2]!.child.kill('SIGTERM');
        }),
    },
  );
  assert.ok(killed.length > 1, 'agent-1 and its worker were killed during publishing');
  assert.equal(result.code, ExitCode.DEGRADED, result.stderr);
  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  const ws = report.transports.websocket!;
  const d = ws.delivery;
  const context = JSON.stringify({ delivery: d, incidents: report.run.incidents, agents: report.run.agents });
  const lost = (report.run.incidents ?? []).filter((i) => i.kind === 'agent-lost');
  assert.equal(lost.length, 2, context);
  assert.match(lost.find((i) => i.detail.includes('agent-1'))!.detail, /agent "agent-1" \(50 clients of websocket\) silent for/);
  assert.match(
    lost.find((i) => i.detail.includes('agent-2'))!.detail,
    /agent "agent-2" \(50 clients of websocket\) (stopped its part|it left)/,
  );
  assert.deepEqual(
    report.run.agents!.map((a) => a.status),
    ['finished', 'lost', 'lost'],
    context,
  );
  // One worker per agent, clients dealt to the workers in turn: agent a has clients a, a + 3, …
  assert.equal(ws.tool.processes.filter((p) => p.role === 'worker').length, 3, context);
  // The lost agents' 100 clients were owed every message of their 3 channels; agent-0's received
  // all of theirs. Counted here from the membership rule (client i in channels (3i + j) mod 10).
  const owed = (agent: number) => membershipSum(150, 3, 10, ws.throughput.publishes, (i) => i % 3 === agent);
  assert.equal(d.expected, membershipSum(150, 3, 10, ws.throughput.publishes), context);
  assert.equal(d.unobserved, owed(1) + owed(2), context);
  assert.equal(d.lost, 0, context);
  assert.equal(d.delivered + d.lost + d.notOwed + d.unpublished + (d.unobserved ?? 0), d.expected, context);
  assert.equal(d.delivered, owed(0), context);
  // Every client had one connection (its 3 channels on it), the lost agents' included.
  assert.equal(ws.connections.opened, 150, context);
  assert.equal(ws.connections.target, 150, context);
  assert.deepEqual(await list[2]!.exited, { code: 0, signal: null }, 'agent-2 left cleanly');
  // The live intervals went on after the agents were lost (their clients left out): some that start
  // after the loss came while publishing (before the drain); one per interval, none skipped.
  const events = result.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; phase?: string; startMs?: number; intervalMs?: number });
  const drainAt = events.findIndex((e) => e.type === 'phase' && e.phase === 'draining');
  assert.ok(drainAt > 0, 'a draining phase event');
  const intervals = events.filter((e) => e.type === 'interval');
  // agent-2 left at once (its incident is the moment of the kills); without it, live intervals
  // would stop at the killed agent's last one, about then.
  const killedAt = lost.find((i) => i.detail.includes('agent-2'))!.atMs;
  assert.ok(
    events.slice(0, drainAt).some((e) => e.type === 'interval' && e.startMs! > killedAt + 2000),
    `no live interval from ${killedAt + 2000} ms before the drain: ${intervals.map((e) => e.startMs).join(', ')}`,
  );
  intervals.forEach((e, i) => assert.equal(e.startMs, i * e.intervalMs!, `interval ${i} of ${intervals.map((x) => x.startMs).join(', ')}`));
  // The killed agent's worker process went with it (its IPC channel closed).
  assert.ok(await waitFor(() => killed.every((pid) => !isAlive(pid)), 10_000), 'the killed agent left a worker running');
});

test('clients in 3 of 10 channels over 2 agents: expected = the membership sum, all delivered, one connection per client; a raw relay opens one per (client, channel)', async () => {
  const prefix = nextPrefix();
  const list = [0, 1].map((i) => startAgent(`agent-${i}`, redis.url, ['--prefix', prefix]));
  await registered(list);
  const clients = 90;
  const file = join(dir, 'multichannel.yaml');
  await writeFile(file, `clients: { connections: ${clients}, rampUp: 200ms, channelsPerClient: 3 }\npublish: { channels: 10 }\n`);
  const out = join(dir, 'multichannel.json');
  const common = ['--redis', redis.url, '--agents', '2', '--agents-wait', '20s', '--control-prefix', prefix, '--quiet'];
  const result = await runCli(['run', file, '-r', '100', '-d', '2s', '--warmup', '500ms', ...common, '--out', out], {
    timeoutMs: 120_000,
  });
  assert.equal(result.code, ExitCode.OK, result.stderr + list.map((a) => a.stderr()).join('\n'));
  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  const ws = report.transports.websocket!;
  // Client i is in channels (3i + j) mod 10: counted here from that rule, not from the code.
  assertMembershipLedger(ws, membershipSum(clients, 3, 10, ws.throughput.publishes), 'agents, channelsPerClient 3 over 10 channels');
  assert.equal(ws.delivery.unobserved, undefined, 'nothing unobserved when no agent was lost');
  assert.equal(ws.connections.opened, clients, 'one connection per client (the built-in server takes several channels on one)');
  assert.equal(ws.connections.target, clients);
  assert.deepEqual(
    report.run.agents!.map((a) => [a.name, a.status]),
    [
      ['agent-0', 'finished'],
      ['agent-1', 'finished'],
    ],
  );
  assert.equal(
    report.run.agents!.reduce((n, a) => n + a.clients, 0),
    clients,
    'per-agent clients sum to the total',
  );

  // A target that takes one channel per connection: each agent opens a connection per (client, channel).
  const relay = await startWsRelay(redis.url);
  try {
    const relayClients = 30;
    const relayFile = join(dir, 'multichannel-raw.yaml');
    await writeFile(
      relayFile,
      `target: { kind: raw, url: "${relay.url}", redisChannel: "relay:{channel}", readiness: { numsub: 1 } }
clients: { connections: ${relayClients}, channelsPerClient: 2 }
publish: { channels: 3 }
`,
    );
    const relayOut = join(dir, 'multichannel-raw.json');
    const raw = await runCli(['run', relayFile, '-r', '60', '-d', '1500ms', '--warmup', '0s', ...common, '--out', relayOut], {
      timeoutMs: 120_000,
    });
    assert.equal(raw.code, ExitCode.OK, raw.stderr + list.map((a) => a.stderr()).join('\n'));
    const rawWs = (JSON.parse(await readFile(relayOut, 'utf8')) as RunReport).transports.websocket!;
    assertMembershipLedger(
      rawWs,
      membershipSum(relayClients, 2, 3, rawWs.throughput.publishes),
      'agents, raw relay, channelsPerClient 2 over 3',
    );
    assert.equal(rawWs.connections.opened, relayClients * 2, 'a connection per (client, channel)');
    assert.equal(rawWs.connections.target, relayClients * 2);
  } finally {
    await relay.close();
  }
});

test('the coordinator SIGKILLed mid-run: the agents stop their clients within 10 s and wait for the next run', async () => {
  const prefix = nextPrefix();
  const list = [0, 1].map((i) => startAgent(`agent-${i}`, redis.url, ['--prefix', prefix]));
  await registered(list);
  let killedAt = 0;
  let workers: number[] = [];
  let coordinatorChildren: number[] = [];
  const result = await runCli(
    ['run', '-c', '40', '-r', '20', '-d', '60s', '--redis', redis.url, '--agents', '2', '--control-prefix', prefix, '--json'],
    {
      timeoutMs: 60_000,
      onSpawn: (child) =>
        onPublishing(child, 500, () => {
          workers = list.flatMap((a) => descendantsOf(a.child.pid!));
          coordinatorChildren = descendantsOf(child.pid!);
          process.kill(child.pid!, 'SIGKILL');
          killedAt = Date.now();
        }),
    },
  );
  assert.equal(result.signal, 'SIGKILL');
  assert.ok(workers.length >= 2, 'each agent had a worker process running');
  const stopped = await waitFor(() => workers.every((pid) => !isAlive(pid)), 15_000, 100);
  assert.ok(stopped, `worker processes still running ${Date.now() - killedAt} ms after the coordinator was killed`);
  assert.ok(Date.now() - killedAt <= 10_000 + 1000, `the agents took ${Date.now() - killedAt} ms to stop their clients`);
  // The coordinator's own children (the reference server) notice it is gone too.
  assert.ok(coordinatorChildren.length > 0);
  assert.ok(
    await waitFor(() => coordinatorChildren.every((pid) => !isAlive(pid)), 10_000),
    'the reference server outlived its coordinator',
  );
  for (const a of list) {
    assert.match(a.stderr(), /coordinator is silent/);
    assert.equal(a.child.exitCode, null, `${a.name} waits for the next run`);
  }
});

test('an agent in its own network namespace takes part and is counted', async (t) => {
  if (!support.ok) return t.skip(support.reason);
  const prefix = nextPrefix();
  const url = `redis://${ns!.hostAddress}:${redis.port}`;
  const local = startAgent('host-agent', url, ['--prefix', prefix]);
  const inside = startAgent('ns-agent', url, ['--prefix', prefix], ns);
  await registered([local, inside]);
  const file = join(dir, 'netns.yaml');
  // The reference server listens on the host end of the link, where the namespace can reach it.
  await writeFile(file, `target: { kind: builtin, host: "${ns!.hostAddress}" }\n`);
  const out = join(dir, 'netns.json');
  const result = await runCli(
    ['run', file, '-c', '60', '-r', '20', '-d', '2s', '--redis', url, '--agents', '2', '--control-prefix', prefix, '--quiet', '--out', out],
    { timeoutMs: 120_000 },
  );
  assert.equal(result.code, ExitCode.OK, result.stderr + inside.stderr());
  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  const ws = report.transports.websocket!;
  assert.equal(ws.connections.opened, 60);
  assert.equal(ws.delivery.delivered, ws.delivery.expected);
  const nsAgent = report.run.agents!.find((a) => a.name === 'ns-agent')!;
  assert.equal(nsAgent.clients, 30);
  assert.equal(nsAgent.status, 'finished');
  // A network namespace is not a time namespace: the same kernel, the same monotonic clock.
  assert.equal(nsAgent.clock.mode, 'exact');
});

test('--abort-on-fail with an impossible threshold stops every agent: exit 1, partial report, no worker left', async () => {
  const prefix = nextPrefix();
  // Two agents of pool a take the run; the one of pool b is not asked.
  const list = [0, 1].map((i) => startAgent(`agent-${i}`, redis.url, ['--prefix', prefix, '--label', 'pool=a']));
  const other = startAgent('agent-b', redis.url, ['--prefix', prefix, '--label', 'pool=b']);
  await registered([...list, other]);
  const out = join(dir, 'abort.json');
  // Every worker process the agents start during the run.
  const workers = new Set<number>();
  const watch = setInterval(() => list.forEach((a) => descendantsOf(a.child.pid!).forEach((pid) => workers.add(pid))), 50);
  const args = [
    '-c',
    '40',
    '-r',
    '20',
    '-d',
    '60s',
    '--redis',
    redis.url,
    '--agents',
    '2',
    '--agent-label',
    'pool=a',
    '--control-prefix',
    prefix,
  ];
  const gate = ['-t', 'delivery.duplicated < 0', '--abort-on-fail', '--json', '--out', out];
  // Without the abort this run would publish for 60 s and hit the time limit.
  const result = await runCli(['run', ...args, ...gate], { timeoutMs: 45_000 }).finally(() => clearInterval(watch));
  assert.equal(result.code, ExitCode.GATE_FAILED, result.stderr);
  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  assert.equal(report.run.completed, false);
  assert.match(report.gate?.abortedBy ?? '', /delivery\.duplicated/);
  // The coordinator waited for every agent to stop before it reported: their workers are gone.
  assert.ok(workers.size >= 2, 'each agent started its worker');
  assert.deepEqual([...workers].filter(isAlive), [], 'worker processes of the agents outlived the run');
  assert.deepEqual(
    report.run.agents!.map((a) => a.name),
    ['agent-0', 'agent-1'],
  );
  for (const a of report.run.agents!) assert.notEqual(a.status, 'lost', a.name);
  assert.doesNotMatch(other.stderr(), /run /, 'the agent of another pool took no part');
  for (const a of list) assert.equal(a.child.exitCode, null, `${a.name} waits for the next run`);
});

test('an agent whose clock reads 250 ms ahead: its offset is estimated within the stated bound and latencies do not move', async () => {
  const prefix = nextPrefix();
  const exact = startAgent('agent-0', redis.url, ['--prefix', prefix]);
  const ahead = startAgent('agent-1', redis.url, ['--prefix', prefix], undefined, { WSBENCH_TEST_AGENT_CLOCK_AHEAD_MS: '250' });
  await registered([exact, ahead]);
  const out = join(dir, 'ahead.json');
  // The scenario's own distributed block this time: the agents by name, the control Redis named.
  const file = join(dir, 'ahead.yaml');
  await writeFile(
    file,
    `clients: { connections: 60 }
publish: { rate: 50/s, duration: 2s }
distributed: { agents: [agent-0, agent-1], wait: 20s, controlRedis: "${redis.url}" }
`,
  );
  const result = await runCli(['run', file, '--control-prefix', prefix, '--quiet', '--out', out], { timeoutMs: 120_000 });
  assert.equal(result.code, ExitCode.OK, result.stderr + ahead.stderr());
  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  const ws = report.transports.websocket!;
  const clock = report.run.agents!.find((a) => a.name === 'agent-1')!.clock;
  const context = JSON.stringify({ clock, fanout: ws.fanoutLatencyMs });
  assert.equal(clock.mode, 'estimated');
  assert.ok(clock.consistent, context);
  assert.ok(clock.errorBoundMs > 0 && clock.errorBoundMs < 50, context);
  assert.ok(Math.abs(clock.offsetMs - 250) <= clock.errorBoundMs, context);
  assert.equal(report.run.latencyErrorBoundMs, clock.errorBoundMs);
  assert.equal(report.run.agents!.find((a) => a.name === 'agent-0')!.clock.mode, 'exact');
  // Converted, the agent's receipts sit with the exact agent's: without the conversion they would
  // be 250 ms late (or clamped as negative).
  assert.equal(ws.delivery.delivered, ws.delivery.expected);
  assert.equal(ws.clampedSamples, 0, context);
  // A wrong conversion moves every one of agent-1's receipts (half of all) by 250 ms, so p90 would be
  // ≥ 250; the max alone also catches a load spike (274 ms was seen on a busy machine, p90 75 ms).
  assert.ok(ws.fanoutLatencyMs.p90 < 250, context);
});

test('the control Redis restarted under an idle agent: the agent connects again, registers, takes the next run and (--once) leaves', async () => {
  const port = await freePort();
  const first = await startEmbeddedRedis({ port, startTimeoutMs: 15_000 });
  let second: EmbeddedRedis | undefined;
  try {
    const agent = startAgent('agent-0', first.url, ['--once']);
    await registered([agent]);
    process.kill(first.pid, 'SIGKILL');
    assert.ok(await waitFor(() => /connecting again in 1 s/.test(agent.stderr()), 15_000), agent.stderr());
    second = await startEmbeddedRedis({ port, startTimeoutMs: 15_000 });
    assert.ok(await waitFor(() => agent.stderr().match(/registered/g)?.length === 2, 15_000), agent.stderr());
    const out = join(dir, 'after-restart.json');
    const result = await runCli(
      ['run', '-c', '10', '-r', '20', '-d', '1s', '--redis', second.url, '--agents', '1', '--quiet', '--out', out],
      {
        timeoutMs: 60_000,
      },
    );
    assert.equal(result.code, ExitCode.OK, result.stderr + agent.stderr());
    const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
    assert.equal(report.run.agents![0]!.status, 'finished');
    assert.equal(report.transports.websocket!.delivery.delivered, report.transports.websocket!.delivery.expected);
    // --once: the agent leaves after its run, with exit code 0.
    assert.deepEqual(await agent.exited, { code: 0, signal: null }, agent.stderr());
  } finally {
    await second?.stop();
    await first.stop();
  }
});

test('the control Redis restarted mid-run: coordinator and agents ride it out (redis-down/up on the control connection), nothing lost or applied twice', async () => {
  const port = await freePort();
  const first = await startEmbeddedRedis({ port, startTimeoutMs: 15_000 });
  let second: EmbeddedRedis | undefined;
  let restarted: Promise<void> | undefined;
  try {
    const prefix = nextPrefix();
    const list = [0, 1].map((i) => startAgent(`agent-${i}`, first.url, ['--prefix', prefix]));
    await registered(list);
    // The Redis under test is another one: only the control traffic goes through the restart.
    const scenario = join(dir, 'control-restart.yaml');
    await writeFile(scenario, `distributed:\n  agents: 2\n  wait: 20s\n  controlRedis: ${first.url}\n`);
    const out = join(dir, 'control-restart.json');
    const result = await runCli(
      ['run', scenario, '-c', '100', '-r', '50', '-d', '5s', '--redis', redis.url, '--control-prefix', prefix, '--json', '--out', out],
      {
        timeoutMs: 120_000,
        onSpawn: (child) =>
          onPublishing(child, 1000, () => {
            // Killed (not shut down): what it held is gone, the restarted one starts empty.
            process.kill(first.pid, 'SIGKILL');
            restarted = (async () => {
              await new Promise((r) => setTimeout(r, 1000));
              second = await startEmbeddedRedis({ port, startTimeoutMs: 15_000 });
            })();
          }),
      },
    );
    await restarted;
    assert.ok(second, 'the control Redis was restarted during publishing');
    const context = result.stderr + list.map((a) => a.stderr()).join('\n');
    // An outage is an incident: the run ends degraded, with everything measured.
    assert.equal(result.code, ExitCode.DEGRADED, context);
    const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
    const ws = report.transports.websocket!;
    const incidents = report.run.incidents ?? [];
    const down = incidents.find((i) => i.kind === 'redis-down');
    const up = incidents.find((i) => i.kind === 'redis-up');
    assert.ok(down && up, JSON.stringify(incidents));
    assert.match(down.detail, /coordinator’s control connection/);
    assert.match(up.detail, /coordinator’s control connection reconnected/);
    assert.ok(up.atMs >= down.atMs);
    assert.ok(!incidents.some((i) => i.kind === 'agent-lost'), JSON.stringify(incidents));
    // Every message reached every client, and every agent's results arrived once.
    assert.equal(ws.connections.opened, 100);
    assert.ok(ws.delivery.expected > 0);
    assert.equal(ws.delivery.delivered, ws.delivery.expected, JSON.stringify(ws.delivery));
    assert.equal(ws.delivery.unobserved, undefined);
    assert.deepEqual(
      report.run.agents!.map((a) => [a.name, a.status, a.clients]),
      [
        ['agent-0', 'finished', 50],
        ['agent-1', 'finished', 50],
      ],
    );
    for (const a of list) assert.match(a.stderr(), /the control Redis is back after/, a.stderr());
    // The live intervals went on through the outage: one per interval, none twice.
    const starts = result.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; startMs?: number })
      .filter((e) => e.type === 'interval')
      .map((e) => e.startMs!);
    assert.deepEqual(
      starts,
      [...new Set(starts)].sort((a, b) => a - b),
    );
    assert.ok(
      starts.some((t) => t > up.atMs),
      `no live interval after the outage: ${starts.join(', ')}`,
    );
  } finally {
    await restarted?.catch(() => {});
    await second?.stop();
    await first.stop();
  }
});

test('the control Redis gone for longer than the grace: the run ends in one line (exit 3) with what is known, the agent stops its clients', async () => {
  const port = await freePort();
  const control = await startEmbeddedRedis({ port, startTimeoutMs: 15_000 });
  try {
    const prefix = nextPrefix();
    const agent = startAgent('agent-0', control.url, ['--prefix', prefix]);
    await registered([agent]);
    const scenario = join(dir, 'control-gone.yaml');
    await writeFile(scenario, `distributed:\n  agents: 1\n  wait: 20s\n  controlRedis: ${control.url}\n`);
    const out = join(dir, 'control-gone.json');
    let workers: number[] = [];
    const result = await runCli(
      ['run', scenario, '-c', '20', '-r', '20', '-d', '20s', '--redis', redis.url, '--control-prefix', prefix, '--json', '--out', out],
      {
        timeoutMs: 120_000,
        onSpawn: (child) =>
          onPublishing(child, 1000, () => {
            workers = descendantsOf(agent.child.pid!);
            process.kill(control.pid, 'SIGKILL');
          }),
      },
    );
    assert.equal(result.code, ExitCode.SETUP_FAILED, result.stderr);
    assert.match(result.stderr, /^wsbench: error: control Redis redis:\/\/127\.0\.0\.1:\d+ unreachable for more than 5\.0 s \(.+\)$/m);
    const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
    assert.equal(report.run.completed, false);
    assert.match(report.run.incidents!.find((i) => i.kind === 'redis-down')!.detail, /coordinator’s control connection/);
    // What is known is reported: the clients it opened, the publishes; what they were owed is
    // unobserved (their agent's results never came), nothing called lost.
    const ws = report.transports.websocket!;
    assert.equal(ws.connections.opened, 20);
    assert.ok(ws.throughput.publishes > 0);
    assert.ok((ws.delivery.unobserved ?? 0) > 0, JSON.stringify(ws.delivery));
    assert.equal(ws.delivery.lost, 0);
    assert.equal(ws.delivery.delivered + ws.delivery.unpublished + ws.delivery.unobserved!, ws.delivery.expected);
    assert.equal(report.run.agents![0]!.status, 'unreachable');
    // The agent gave up too: its clients stopped (its worker processes gone), it waits to connect again.
    assert.ok(workers.length > 0);
    assert.ok(await waitFor(() => workers.every((pid) => !isAlive(pid)), 15_000), agent.stderr());
    assert.ok(await waitFor(() => /connecting again in 1 s/.test(agent.stderr()), 15_000), agent.stderr());
  } finally {
    await control.stop();
  }
});

test('a --once agent between two plans of a run whose coordinator stops: it leaves once the coordinator is silent, exit 4', async () => {
  const prefix = nextPrefix();
  const agent = startAgent('agent-0', redis.url, ['--prefix', prefix, '--once']);
  await registered([agent]);
  let coordinator: ChildProcess | undefined;
  let frozen: number[] = [];
  // --repeat 2: two parts of one run, the first plan says more follow.
  const run = runCli(
    [
      'run',
      '-c',
      '10',
      '-r',
      '20',
      '-d',
      '1s',
      '--repeat',
      '2',
      '--redis',
      redis.url,
      '--agents',
      '1',
      '--control-prefix',
      prefix,
      '--quiet',
    ],
    { timeoutMs: 90_000, onSpawn: (child) => (coordinator = child) },
  );
  try {
    // Its first part done, the coordinator is frozen before (as a rule) it sends the second plan.
    assert.ok(await waitFor(() => /run \S+: finished/.test(agent.stderr()), 60_000), agent.stderr());
    frozen = [coordinator!.pid!, ...descendantsOf(coordinator!.pid!)];
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    const exited = await Promise.race([agent.exited, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
    assert.deepEqual(exited, { code: ExitCode.DEGRADED, signal: null }, agent.stderr());
    // Which way it noticed depends on whether the second plan had gone out: both are the coordinator lost.
    assert.match(agent.stderr(), /the coordinator is silent for more than 5000 ms/);
  } finally {
    for (const pid of frozen) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await run;
  }
});

test('source addresses belong to a host: an agent given one it does not have declines its plan, the run fails in one line', async () => {
  const prefix = nextPrefix();
  // 192.0.2.1 (TEST-NET-1) is on no interface here.
  const agent = startAgent('agent-0', redis.url, ['--prefix', prefix, '--local-address', '192.0.2.1']);
  await registered([agent]);
  const result = await runCli(
    ['run', '-c', '10', '-r', '10', '-d', '1s', '--redis', redis.url, '--agents', '1', '--control-prefix', prefix, '--quiet'],
    { timeoutMs: 60_000 },
  );
  assert.equal(result.code, ExitCode.SETUP_FAILED, result.stderr);
  assert.match(
    result.stderr,
    /^wsbench: error: agent "agent-0" declined its plan: source address 192\.0\.2\.1 not on this host \(.+\): give this agent its own with --local-address/m,
  );
  // The agent stays for the next run.
  assert.equal(agent.child.exitCode, null, agent.stderr());
});

test('a server restart over two agents: both agents’ clients drop and come back, their reconnects merged (60 of 60)', async () => {
  const prefix = nextPrefix();
  const list = [0, 1].map((i) => startAgent(`agent-${i}`, redis.url, ['--prefix', prefix]));
  await registered(list);
  const scenario = join(dir, 'server-restart.yaml');
  await writeFile(
    scenario,
    [
      'clients: { connections: 60, rampUp: 200ms }',
      'publish: { rate: 50/s, duration: 4s, channels: 2 }',
      'warmup: 500ms',
      'drain: 2s',
      'events:',
      '  - { at: 1500ms, serverRestart: true, reconnect: { after: 100ms, jitter: 300ms } }',
      '',
    ].join('\n'),
  );
  const out = join(dir, 'server-restart.json');
  const result = await runCli(
    ['run', scenario, '--redis', redis.url, '--agents', '2', '--agents-wait', '20s', '--control-prefix', prefix, '--quiet', '--out', out],
    { timeoutMs: 120_000 },
  );
  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  const ws = report.transports.websocket!;
  const d = ws.delivery;
  const context = JSON.stringify({ delivery: d, reconnects: ws.reconnects, incidents: report.run.incidents, stderr: result.stderr });
  assert.equal(result.code, ExitCode.OK, context);
  const kinds = (report.run.incidents ?? []).map((i) => i.kind);
  assert.ok(kinds.includes('server-restart') && kinds.includes('server-restarted'), context);
  assert.ok(!kinds.includes('target-down') && !kinds.includes('agent-lost'), context);
  // 30 clients on each agent: all 60 dropped and came back, in one merged account.
  assert.deepEqual(
    report.run.agents!.map((a) => [a.clients, a.status]),
    [
      [30, 'finished'],
      [30, 'finished'],
    ],
  );
  const r = ws.reconnects!;
  assert.equal(r.events[0]!.kind, 'server-restart', context);
  assert.equal(r.dropped, 60, context);
  assert.equal(r.count, 60, context);
  // What was in flight at the stop may be lost; the identity holds.
  assert.equal(d.delivered + d.lost + d.notOwed + d.unpublished, d.expected, context);
  assert.equal(d.duplicated, 0);
  assert.ok(d.delivered > 0);
});

test('too few agents within --agents-wait: a setup error naming the agents that came, nothing started', async () => {
  const prefix = nextPrefix();
  const agent = startAgent('agent-0', redis.url, ['--prefix', prefix]);
  await registered([agent]);
  const result = await runCli(
    [
      'run',
      '-c',
      '10',
      '-r',
      '10',
      '-d',
      '1s',
      '--redis',
      redis.url,
      '--agents',
      '2',
      '--agents-wait',
      '2s',
      '--control-prefix',
      prefix,
      '--quiet',
    ],
    {
      timeoutMs: 30_000,
    },
  );
  assert.equal(result.code, ExitCode.SETUP_FAILED, result.stderr);
  assert.match(
    result.stderr,
    /^wsbench: error: waited 2 s for 2 idle agent\(s\) on the control Redis redis:\/\/127\.0\.0\.1:\d+: 1 came: agent-0$/m,
  );
  assert.doesNotMatch(agent.stderr(), /run /, 'no plan was sent');
});
