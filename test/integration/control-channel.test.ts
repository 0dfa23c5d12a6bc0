/**
 * The control protocol on a real redis-server, spoken as an ACL user that has only the commands
 * docs/distributed.md lists: agents register and heart-beat, one falls silent and is lost while
 * the other stays alive, one of another protocol version is refused with a clear error, agents
 * leave and come back, streams stay bounded and expire, consumer groups give every agent the whole
 * control stream and the coordinator an acknowledged data stream, a silent coordinator is noticed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { openRedis, type RedisClient } from '../../src/redis/client.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { ControlChannel } from '../../src/distributed/control-channel.js';
import { AgentPresence, AgentRefusedError, describeThisAgent } from '../../src/distributed/agent-presence.js';
import { AgentRegistry, type RegistryEvent } from '../../src/distributed/agent-registry.js';
import { AgentRun, CoordinatorRun } from '../../src/distributed/run-streams.js';
import { COORDINATOR, PROTOCOL_ID } from '../../src/distributed/protocol.js';
import { sameHostClock } from '../../src/metrics/clock-offset.js';
import { startTestRedis } from '../helpers/redis.js';

/** The ACL of docs/distributed.md ("A control user"), with this test's prefix. */
const ACL = [
  'resetkeys',
  '~wsbench:ctl:*',
  'resetchannels',
  '-@all',
  '+xadd',
  '+xread',
  '+xreadgroup',
  '+xack',
  '+xgroup|create',
  '+xinfo|groups',
  '+xrevrange',
  '+xlen',
  '+pexpire',
  '+time',
  '+info',
  '+client|setname',
];
const PASSWORD = 'ctl-s3cret-pw';

let redis: EmbeddedRedis;
let admin: RedisClient;
let url: string;
const opened: ControlChannel[] = [];

before(async () => {
  redis = await startTestRedis();
  admin = await openRedis(redis.url, { name: 'test-admin' });
  await admin.call('ACL', 'SETUSER', 'wsbench-ctl', 'on', `>${PASSWORD}`, ...ACL);
  url = redis.url.replace('redis://', `redis://wsbench-ctl:${PASSWORD}@`);
});

after(async () => {
  for (const c of opened) await c.close();
  admin.disconnect();
  await redis.stop();
});

async function channel(sender: string, options: Partial<Parameters<typeof ControlChannel.open>[1]> = {}): Promise<ControlChannel> {
  const c = await ControlChannel.open(url, { sender, ...options });
  opened.push(c);
  return c;
}

/** Resolves with the first event that matches, or fails after `timeoutMs` (a bound on the test, not a timing claim). */
function nextEvent(events: RegistryEvent[], match: (e: RegistryEvent) => boolean, timeoutMs = 15_000): Promise<RegistryEvent> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = () => {
      const found = events.find(match);
      if (found) resolve(found);
      else if (Date.now() > deadline)
        reject(new Error(`no such event within ${timeoutMs} ms; saw ${events.map((e) => e.type).join(', ')}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

test('agents register and heart-beat; a silent one is lost, a live one is not; a mismatched one is refused; leaving is not being lost', async () => {
  // 15 heartbeats: a loaded test machine can delay a few, never that many.
  const lostAfterMs = 3000;
  const coordinator = await channel(COORDINATOR);
  const a = await channel('agent-a');
  const b = await channel('agent-b');
  // agent-a registers before the coordinator starts watching: found from the backlog.
  const presenceA = await AgentPresence.start(
    a,
    describeThisAgent({ name: 'agent-a', heartbeatMs: 200, labels: { zone: 'a' }, capacity: 1000 }),
  );
  const events: RegistryEvent[] = [];
  const registry = await AgentRegistry.start(coordinator, { lostAfterMs, checkEveryMs: 100, onEvent: (e) => events.push(e) });
  try {
    assert.deepEqual(
      registry.alive().map((x) => x.descriptor.name),
      ['agent-a'],
    );
    const presenceB = await AgentPresence.start(b, describeThisAgent({ name: 'agent-b', heartbeatMs: 200 }));
    const both = await registry.waitFor((alive) => alive.length === 2, 15_000);
    assert.ok(both, 'both agents alive');
    const a0 = both.find((x) => x.descriptor.name === 'agent-a')!;
    assert.deepEqual(a0.descriptor.labels, { zone: 'a' });
    assert.equal(a0.descriptor.capacity, 1000);
    assert.equal(a0.descriptor.clockId, describeThisAgent({ name: 'x' }).clockId, 'same host: same clock id');

    // agent-b stops heart-beating without a word (a hung or killed agent).
    await presenceB.stop();
    const lost = await nextEvent(events, (e) => e.type === 'lost');
    assert.equal(lost.type === 'lost' && lost.agent.descriptor.name, 'agent-b');
    assert.ok(lost.type === 'lost' && lost.silentMs > lostAfterMs, 'lost only after the configured silence');
    assert.deepEqual(
      registry.alive().map((x) => x.descriptor.name),
      ['agent-a'],
    );

    // An agent of the previous protocol version (before client senders ran on agents) registers: it is refused on its own stream and told why.
    const c = await channel('agent-c', { protocolId: 'wsbench-control/1' });
    const presenceC = await AgentPresence.start(c, describeThisAgent({ name: 'agent-c', heartbeatMs: 200 }));
    const inbox = await presenceC.inbox();
    const refusal = await (async () => {
      for (let i = 0; i < 50; i++) {
        try {
          await inbox.next(300);
        } catch (e) {
          return e;
        }
      }
      return null;
    })();
    inbox.close();
    await presenceC.stop();
    assert.ok(refusal instanceof AgentRefusedError, `refused: ${String(refusal)}`);
    assert.equal(refusal.code, 'SETUP');
    assert.equal(
      refusal.message,
      `agent "agent-c" refused by the coordinator (${PROTOCOL_ID}, wsbench ${describeThisAgent({ name: 'x' }).wsbenchVersion}): ` +
        `"agent-c" speaks wsbench-control/1 (wsbench ${describeThisAgent({ name: 'x' }).wsbenchVersion}), this side speaks ${PROTOCOL_ID}: ` +
        'run the same wsbench version on the coordinator and every agent',
    );
    const refused = events.filter((e) => e.type === 'refused');
    assert.equal(refused.length, 1, 'refused once, not at every heartbeat');
    assert.ok(!registry.all().some((x) => x.descriptor.name === 'agent-c'), 'never counted');

    // agent-b comes back: joined again.
    const presenceB2 = await AgentPresence.start(b, describeThisAgent({ name: 'agent-b', heartbeatMs: 200 }));
    const again = await nextEvent(events, (e) => e.type === 'joined' && e.again);
    assert.equal(again.type === 'joined' && again.agent.descriptor.name, 'agent-b');

    // agent-a leaves on purpose: "left", never "lost".
    await presenceA.stop('--once: run finished');
    const left = await nextEvent(events, (e) => e.type === 'left');
    assert.equal(left.type === 'left' && left.reason, '--once: run finished');
    await presenceB2.stop('test over');
    await nextEvent(events, (e) => e.type === 'left' && e.agent.descriptor.name === 'agent-b');
    await sleep(lostAfterMs + 300);
    assert.deepEqual(
      events.filter((e) => e.type === 'lost').map((e) => e.type === 'lost' && e.agent.descriptor.name),
      ['agent-b'],
      'agent-a was never lost, and agent-b only the first time',
    );
    assert.deepEqual(
      events.filter((e) => e.type === 'invalid' || e.type === 'error'),
      [],
    );
  } finally {
    await registry.stop();
  }
});

test('a coordinator waiting for idle agents sees a busy one become idle (its heartbeat), without another event', async () => {
  const coordinator = await channel(COORDINATOR);
  const a = await channel('agent-busy');
  const presence = await AgentPresence.start(a, describeThisAgent({ name: 'agent-busy', heartbeatMs: 200 }));
  // Busy with a run when the coordinator starts: known, but not what it waits for.
  presence.setState('busy', 'run-1');
  await sleep(500);
  const registry = await AgentRegistry.start(coordinator, { checkEveryMs: 100 });
  try {
    const idle = (alive: { state: string }[]) => alive.length === 1 && alive[0]!.state === 'idle';
    assert.equal(idle(registry.alive()), false, 'busy at first');
    const waiting = registry.waitFor(idle, 10_000);
    await sleep(300);
    presence.setState('idle', null);
    assert.ok(await waiting, 'the waiter saw the agent become idle within 10 s');
  } finally {
    await registry.stop();
    await presence.stop('test over');
  }
});

test('streams stay bounded: MAXLEN ~ trims whole nodes, never below the bound', async () => {
  const maxLen = 50;
  const a = await channel('agent-flood', { maxLen: { agents: maxLen } });
  const descriptor = describeThisAgent({ name: 'agent-flood' });
  const key = a.keys.agents;
  for (let i = 0; i < 1000; i++) await a.send('agents', key, { type: 'heartbeat', body: { ...descriptor, state: 'idle', runId: null } });
  const [, nodeMax] = (await admin.call('CONFIG', 'GET', 'stream-node-max-entries')) as [string, string];
  const length = await a.length(key);
  assert.ok(length >= maxLen && length <= maxLen + Number(nodeMax), `XLEN ${length} for MAXLEN ~ ${maxLen} (nodes of ${nodeMax})`);
  await admin.call('DEL', key);
});

test('a run: every agent reads the whole control stream through its own group, the coordinator acknowledges the data stream', async () => {
  const runId = '0123456789abcdef';
  const coordinator = await channel(COORDINATOR);
  const channels = [await channel('agent-a'), await channel('agent-b')];
  const run = await CoordinatorRun.open(coordinator, runId, ['agent-a', 'agent-b'], { heartbeatMs: 100, ttlMs: 60_000 });
  const agents = await Promise.all(channels.map((c, i) => AgentRun.open(c, runId, `agent-${'ab'[i]}`)));
  try {
    await run.send({ type: 'start', body: { connectStartMs: 1234.5 } });
    for (const agent of agents) {
      const types: string[] = [];
      for (let i = 0; i < 20 && !types.includes('start'); i++) {
        for (const e of await agent.read(500)) {
          assert.ok(e.decoded.ok, e.decoded.ok ? '' : e.decoded.detail);
          types.push(e.decoded.message.type);
          if (e.decoded.message.type === 'start') assert.deepEqual(e.decoded.message.body, { connectStartMs: 1234.5 });
        }
      }
      assert.ok(types.includes('heartbeat') && types.includes('start'), `${agent.name} read ${types.join(', ')}`);
    }
    const { control } = await run.progress();
    assert.deepEqual(control.map((g) => g.name).sort(), ['agent-a', 'agent-b']);
    for (const g of control) assert.equal(g.pending, 0, `${g.name} acknowledged what it read`);

    // Agents → coordinator, typed arrays and all.
    await agents[0]!.send({ type: 'clock', body: { name: 'agent-a', clock: sameHostClock(), atMs: 1 } });
    await agents[1]!.send({ type: 'fatal', body: { name: 'agent-b', workerId: 0, message: 'worker exited (SIGKILL)' } });
    const got = [];
    for (let i = 0; i < 20 && got.length < 2; i++) got.push(...(await run.read(500)));
    assert.deepEqual(
      got.map((e) => (e.decoded.ok ? `${e.decoded.message.from}:${e.decoded.message.type}` : e.decoded.detail)),
      ['agent-a:clock', 'agent-b:fatal'],
    );
    // Not acknowledged yet: a reconnecting coordinator gets them again.
    assert.deepEqual(
      (await run.read(0, { pending: true })).map((e) => e.id),
      got.map((e) => e.id),
    );
    assert.equal(await run.ack(got), 2);
    assert.deepEqual(await run.read(0, { pending: true }), []);
    assert.equal((await run.progress()).data[0]!.pending, 0);

    // Both streams expire: nothing of the run stays behind.
    for (const key of [run.controlKey, run.dataKey]) {
      const ttl = (await admin.call('PTTL', key)) as number;
      assert.ok(ttl > 0 && ttl <= 60_000, `${key} PTTL ${ttl}`);
    }

    // The coordinator falls silent: the agent sees it (on the control Redis's clock).
    await run.close();
    const silentLimitMs = 600;
    let silent = 0;
    for (let i = 0; i < 100 && silent <= silentLimitMs; i++) {
      await agents[0]!.read(100);
      silent = await agents[0]!.coordinatorSilentMs();
    }
    assert.ok(silent > silentLimitMs, `coordinator silent for ${silent} ms`);
  } finally {
    await run.close();
    for (const a of agents) a.close();
  }
});

test('the control user needed nothing beyond the documented ACL; every connection is closed afterwards', async () => {
  const log = (await admin.call('ACL', 'LOG')) as unknown[];
  assert.deepEqual(log, [], 'no command was refused by the ACL');
  const c = await channel('agent-z');
  await (await c.reader('probe')).read('agents', c.keys.agents, '0-0');
  await c.close();
  await sleep(100);
  const list = (await admin.call('CLIENT', 'LIST')) as string;
  assert.deepEqual(
    list.split('\n').filter((l) => /name=wsbench-ctl-agent-z/.test(l)),
    [],
  );
});

test('a wrong password: one line, REDIS_UNREACHABLE, the password never shown', async () => {
  await assert.rejects(
    ControlChannel.open(url.replace(PASSWORD, 'wrong-pw-123'), { sender: 'agent-x' }),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, 'REDIS_UNREACHABLE');
      assert.ok(!e.message.includes('wrong-pw-123'), e.message);
      assert.ok(!e.message.includes('\n'));
      return true;
    },
  );
});
