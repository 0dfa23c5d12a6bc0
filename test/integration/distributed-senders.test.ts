/**
 * Client senders (`publish.via: websocket`) on remote agents, with real processes: two
 * `wsbench agent` processes and a coordinator (`wsbench run --agents 2`, or the scenario's
 * `distributed:` block) on one real redis-server (the Redis under test and the control Redis),
 * the built-in reference server with client publishing. The senders live on whichever agent holds
 * them; every member gets every message of its room, the ledger and `upstream` figures merge as
 * from local workers, stamps are on the coordinator's clock (an agent whose clock reads 250 ms
 * ahead), and an agent SIGKILLed mid-run has its senders' later messages named and counted.
 * Nothing is left running.
 */
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { descendantsOf, isAlive, onPublishing, waitFor } from '../helpers/processes.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.js';
import { ExitCode } from '../../src/exit-codes.js';
import type { RunReport } from '../../src/results/types.js';
import { AgentProcesses, registered } from '../helpers/agents.js';
import { assertChatLedger, assertLeftOutLedger } from '../helpers/stack-run.js';

let redis: EmbeddedRedis;
let dir: string;
const fleet = new AgentProcesses();
const startAgent = fleet.start.bind(fleet);
const nextPrefix = fleet.nextPrefix.bind(fleet);

before(async () => {
  redis = await startEmbeddedRedis({ startTimeoutMs: 15_000 });
  dir = await mkdtemp(join(tmpdir(), 'wsbench-distributed-senders-'));
});

after(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => fleet.stopAll());

/**
 * Client senders over two agents: 150 clients in 3 rooms of 50, 12 senders dealt to both agents'
 * workers, 60 messages/s for 2 s after 0.5 s of warm-up (150 messages, 30 of them warm-up). Each
 * agent's senders send their share from the agreed start; the merged report is a local one's.
 */
async function sendersOverAgents(
  echo: 'expected' | 'none',
): Promise<{ ws: RunReport['transports']['websocket'] & object; logs: string[]; report: RunReport }> {
  const prefix = nextPrefix();
  // With echo expected, agent-1's clock reads 250 ms ahead (estimated, as on another host) and the
  // scenario's own distributed: block names the agents; with echo none, --agents 2.
  const aheadEnv = echo === 'expected' ? { WSBENCH_TEST_AGENT_CLOCK_AHEAD_MS: '250' } : {};
  const list = [
    startAgent('agent-0', redis.url, ['--prefix', prefix]),
    startAgent('agent-1', redis.url, ['--prefix', prefix], undefined, aheadEnv),
  ];
  await registered(list);
  const scenario = join(dir, `senders-${echo}.yaml`);
  await writeFile(
    scenario,
    `target: { kind: builtin, clientPublish: true }
clients: { connections: 150, rampUp: 300ms }
publish: { rate: 60/s, duration: 2s, channels: 3, via: websocket, senders: 12, echo: ${echo}, payloadSize: 64 }
warmup: 500ms
drain: 2s
${echo === 'expected' ? `distributed: { agents: [agent-0, agent-1], wait: 20s, controlRedis: "${redis.url}" }\n` : ''}`,
  );
  const out = join(dir, `senders-${echo}.json`);
  const agentsFlags = echo === 'expected' ? [] : ['--agents', '2', '--agents-wait', '20s'];
  const result = await runCli(
    ['run', scenario, '--redis', redis.url, ...agentsFlags, '--control-prefix', prefix, '--quiet', '--out', out],
    {
      timeoutMs: 60_000,
    },
  );
  assert.equal(result.code, ExitCode.OK, result.stderr + result.stdout);
  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  return { ws: report.transports.websocket!, logs: list.map((a) => a.stderr()), report };
}

/** Both agents' senders sent (their own log lines), and their sends add up to the report's. */
function assertSentOnBothAgents(logs: string[], sent: number): void {
  const perAgent = logs.map((log) => Number(/its senders sent (\d+) message/.exec(log)?.[1] ?? Number.NaN));
  assert.ok(
    perAgent.every((n) => n > 0),
    `every agent's senders sent: ${perAgent.join(', ')}\n${logs.join('\n')}`,
  );
  assert.equal(
    perAgent.reduce((a, b) => a + b, 0),
    sent,
    `the agents' sends add up to upstream.sent: ${perAgent.join(' + ')}`,
  );
}

test('client senders on two agents (publish.via websocket): every member gets every message of its room, exact ledger, the senders of both agents counted', async () => {
  const { ws, logs, report } = await sendersOverAgents('expected');
  assertChatLedger(ws, { senders: 12, messages: 150, warmup: 30, members: 50 }, '150 clients, 12 senders over 2 agents');
  assert.deepEqual(ws.errors, {});
  assert.equal(ws.incompletePublishes, 0);
  assert.equal(ws.delivery.unobserved, undefined, 'nothing unobserved when no agent was lost');
  assertSentOnBothAgents(logs, ws.upstream!.sent);
  assert.deepEqual(
    report.run.agents!.map((a) => [a.name, a.clients, a.status, a.clock.mode]),
    [
      ['agent-0', 75, 'finished', 'exact'],
      ['agent-1', 75, 'finished', 'estimated'],
    ],
  );
  assert.deepEqual(report.run.incidents ?? [], []);
  // agent-1's senders time their sends on its clock (t0 converted) and stamp on the coordinator's:
  // a stamp left on the agent's converted clock, or shifted the wrong way, would put 250 ms into
  // the round trip of every message between the two agents (or clamp it as negative).
  const clock = report.run.agents![1]!.clock;
  const context = JSON.stringify({ clock, fanout: ws.fanoutLatencyMs, echo: ws.echoLatencyMs });
  assert.ok(Math.abs(clock.offsetMs - 250) <= clock.errorBoundMs, context);
  assert.equal(ws.clampedSamples, 0, context);
  // Half the senders and half the members are agent-1's: a wrong stamp or conversion moves at least
  // half the round trips (and agent-1's echoes) by 250 ms, so p90 would be ≥ 250; the max alone
  // also catches a load spike on a busy machine.
  assert.ok(ws.fanoutLatencyMs.p90 < 250 && ws.echoLatencyMs!.p90 < 250, context);
});

test('client senders on two agents with publish.echo none (the server leaves the sender out): each sender owed none of its own, the rest delivered', async () => {
  const { ws, logs } = await sendersOverAgents('none');
  assertLeftOutLedger(ws, { senders: 12, messages: 150, warmup: 30, members: 50 }, '150 clients, 12 senders over 2 agents, echo none');
  assert.deepEqual(ws.errors, {});
  assertSentOnBothAgents(logs, ws.upstream!.sent);
});

test('client senders on an agent SIGKILLed mid-run: its senders\u2019 messages after its last report are named and counted not sent (unpublished), its clients\u2019 unobserved; the identity holds', async () => {
  const prefix = nextPrefix();
  const list = [0, 1].map((i) => startAgent(`agent-${i}`, redis.url, ['--prefix', prefix]));
  await registered(list);
  const scenario = join(dir, 'senders-lost.yaml');
  await writeFile(
    scenario,
    `target: { kind: builtin, clientPublish: true }
clients: { connections: 100 }
publish: { rate: 40/s, duration: 3s, channels: 2, via: websocket, senders: 10, payloadSize: 64 }
drain: 1s
`,
  );
  const out = join(dir, 'senders-lost.json');
  let killed: number[] = [];
  const result = await runCli(
    ['run', scenario, '--redis', redis.url, '--agents', '2', '--agents-wait', '20s', '--control-prefix', prefix, '--json', '--out', out],
    {
      timeoutMs: 60_000,
      onSpawn: (child) =>
        onPublishing(child, 1000, () => {
          const victim = list[1]!.child;
          killed = [victim.pid!, ...descendantsOf(victim.pid!)];
          victim.kill('SIGKILL');
        }),
    },
  );
  assert.ok(killed.length > 1, 'agent-1 and its worker were killed during publishing');
  assert.equal(result.code, ExitCode.DEGRADED, result.stderr);
  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  const ws = report.transports.websocket!;
  const d = ws.delivery;
  const up = ws.upstream!;
  const context = JSON.stringify({ delivery: d, upstream: up, incidents: report.run.incidents, samples: ws.errorSamples });
  assert.equal((report.run.incidents ?? []).filter((i) => i.kind === 'agent-lost').length, 1, context);
  assert.deepEqual(
    report.run.agents!.map((a) => a.status),
    ['finished', 'lost'],
    context,
  );
  // The whole schedule was due (agent-0's senders went through theirs): 120 messages.
  assert.equal(ws.throughput.publishes, 120, context);
  // agent-1's senders' messages after its last snapshot: not known to have been sent — counted,
  // named, and owed to nobody (what arrived anyway is delivered); never lost.
  assert.ok(up.sendFailures > 0, context);
  assert.equal(up.sent + up.sendFailures + (up.unsent ?? 0), ws.throughput.publishes, context);
  assert.equal(ws.errors['publish.send-failed'], up.sendFailures, context);
  assert.match(ws.errorSamples['publish.send-failed'] ?? '', /agent "agent-1" was lost: \d+ message\(s\) due from its senders/, context);
  // agent-1's 50 clients: what they were owed is unobserved; agent-0's received every message sent.
  assert.ok((d.unobserved ?? 0) > 0, context);
  assert.equal(d.lost, 0, context);
  assert.equal(d.delivered + d.lost + d.notOwed + d.unpublished + (d.unobserved ?? 0), d.expected, context);
  assert.ok(d.unpublished > 0, context);
  assert.match(list[0]!.stderr(), /its senders sent \d+ message/);
  console.log(
    `# senders on a lost agent: ${up.sent} sent, ${up.sendFailures} not known sent of ${ws.throughput.publishes} due · ` +
      `delivered ${d.delivered}, unpublished ${d.unpublished}, unobserved ${d.unobserved}, lost ${d.lost} of ${d.expected}`,
  );
  assert.ok(await waitFor(() => killed.every((pid) => !isAlive(pid)), 10_000), 'the killed agent left a worker running');
});
