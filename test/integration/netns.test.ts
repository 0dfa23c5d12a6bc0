/**
 * The network-namespace helper (test/helpers/netns.ts): a process inside a namespace, with its own
 * address on a veth link, reaches a redis-server listening on the host side of that link and
 * PINGs it — and does not see the host's loopback; an agent clock inside, made to read 250 ms
 * ahead, is estimated through Redis TIME over the link; what runs inside is killed and everything is
 * removed afterwards, also what a killed test left behind. Skipped, with the reason shown, only
 * where namespaces are not permitted (not root, no CAP_NET_ADMIN, no iproute2).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.js';
import { openRedis } from '../../src/redis/client.js';
import { createNetns, netnsSupport, removeStaleNetns, type Netns, type NetnsSupport } from '../helpers/netns.js';
import { waitFor } from '../helpers/processes.js';
import { agentClock, estimateOffset, type OffsetEstimate } from '../../src/metrics/clock-offset.js';
import { sampleRedisTime } from '../../src/distributed/redis-time.js';

const DIST = fileURLToPath(new URL('../../src/', import.meta.url));
let support: NetnsSupport;
let ns: Netns | undefined;
let redis: EmbeddedRedis | undefined;

before(async () => {
  support = await netnsSupport();
  if (!support.ok) return;
  ns = await createNetns();
  // Listening on loopback (the test's own connection) and on the host end of the link.
  redis = await startEmbeddedRedis({
    startTimeoutMs: 15_000,
    extraArgs: ['--bind', '127.0.0.1', ns.hostAddress, '--protected-mode', 'no'],
  });
});

after(async () => {
  await redis?.stop();
  await ns?.remove();
});

const namespaces = () => execFileSync('ip', ['netns', 'list']).toString();
const links = () => execFileSync('ip', ['-o', 'link', 'show']).toString();

/** Inside the namespace: PING through wsbench's own Redis client, and report the peer address Redis saw. */
const PING = `
const { openRedis } = await import(process.env.DIST + 'redis/client.js');
const client = await openRedis(process.env.URL, { name: 'netns-probe' });
const pong = await client.ping();
const info = await client.call('CLIENT', 'INFO');
client.disconnect();
console.log(JSON.stringify({ pong, addr: /addr=([0-9.]+):/.exec(info)[1] }));
`;

test('a process in the namespace PINGs redis-server on the host side of the link', async (t) => {
  if (!support.ok) return t.skip(support.reason);
  const result = await ns!.run(process.execPath, ['--input-type=module', '-e', PING], {
    env: { ...process.env, DIST, URL: `redis://${ns!.hostAddress}:${redis!.port}` },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), { pong: 'PONG', addr: ns!.nsAddress }, 'Redis saw the namespace\u2019s own address');
  t.diagnostic(`namespace ${ns!.name}: ${ns!.nsAddress} → ${ns!.hostAddress}:${redis!.port}`);
});

/** Inside the namespace: a bare TCP connect, printing how it ended. */
const CONNECT = `
const socket = (await import('node:net')).connect(Number(process.env.PORT), '127.0.0.1');
socket.once('connect', () => { console.log('connected'); socket.destroy(); });
socket.once('error', (e) => console.log(e.code));
`;

test('the namespace has its own loopback: the host\u2019s 127.0.0.1 is not reachable from inside', async (t) => {
  if (!support.ok) return t.skip(support.reason);
  const inside = await ns!.run(process.execPath, ['--input-type=module', '-e', CONNECT], {
    env: { ...process.env, PORT: String(redis!.port) },
  });
  assert.equal(inside.stdout.trim(), 'ECONNREFUSED', inside.stderr);
  // …while the same port answers on the host's loopback.
  const host = await openRedis(redis!.url, { name: 'host-probe' });
  assert.equal(await host.ping(), 'PONG');
  host.disconnect();
});

/** Inside the namespace: an "agent" whose clock reads 250 ms ahead estimates its offset to Redis TIME over the veth link. */
const AGENT_CLOCK = `
const { openRedis } = await import(process.env.DIST + 'redis/client.js');
const { monotonicMs } = await import(process.env.DIST + 'metrics/clock.js');
const { estimateOffset } = await import(process.env.DIST + 'metrics/clock-offset.js');
const { sampleRedisTime } = await import(process.env.DIST + 'distributed/redis-time.js');
const client = await openRedis(process.env.URL, { name: 'netns-agent-clock' });
const now = () => monotonicMs() + 250;
const estimates = [];
for (let w = 0; w < 3; w++) {
  estimates.push(estimateOffset(await sampleRedisTime(client, { now })));
  await new Promise((r) => setTimeout(r, 100));
}
client.disconnect();
console.log(JSON.stringify(estimates));
`;

test('an agent in the namespace, its clock 250 ms ahead, is found 250 ms ahead over the link within its bound', async (t) => {
  if (!support.ok) return t.skip(support.reason);
  // The coordinator samples on the host's loopback all along, as it would during a run.
  const host = await openRedis(redis!.url, { name: 'host-clock' });
  const coordinator: OffsetEstimate[] = [];
  let running = true;
  const sampling = (async () => {
    while (running) {
      coordinator.push(estimateOffset(await sampleRedisTime(host, { samples: 32 }))!);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const inside = await ns!.run(process.execPath, ['--input-type=module', '-e', AGENT_CLOCK], {
    env: { ...process.env, DIST, URL: `redis://${ns!.hostAddress}:${redis!.port}` },
  });
  running = false;
  await sampling;
  host.disconnect();
  assert.equal(inside.code, 0, inside.stderr);
  const agent = JSON.parse(inside.stdout) as OffsetEstimate[];
  const clock = agentClock(agent, coordinator, agent.at(-1)!.atMs);
  t.diagnostic(
    `over veth: offset ${clock.offsetMs.toFixed(4)} ms (error ${((clock.offsetMs - 250) * 1000).toFixed(1)} µs), bound ±${(clock.errorBoundMs * 1000).toFixed(1)} µs, ` +
      `agent best RTT ${(Math.min(...agent.map((e) => e.bestRttMs)) * 1000).toFixed(1)} µs`,
  );
  assert.ok(clock.consistent);
  assert.ok(Math.abs(clock.offsetMs - 250) <= clock.errorBoundMs, `${clock.offsetMs} ± ${clock.errorBoundMs}`);
});

test('remove() kills what runs inside and leaves no namespace or link', async (t) => {
  if (!support.ok) return t.skip(support.reason);
  const own = await createNetns();
  const child = own.spawn('sleep', ['60'], { stdio: 'ignore' });
  assert.ok(await waitFor(() => execFileSync('ip', ['netns', 'pids', own.name]).toString().trim() !== '', 5000));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await own.remove();
  await exited;
  assert.ok(!namespaces().includes(own.name));
  assert.doesNotMatch(links(), new RegExp(`wsb${process.pid}[hn]${own.name.split('-')[2]}\\b`));
});

test('namespaces and links left by a dead test process are removed; a live one\u2019s are not', async (t) => {
  if (!support.ok) return t.skip(support.reason);
  // A pid that existed and is gone: a process that ran and exited.
  const dead = spawn('true');
  await new Promise((resolve) => dead.once('exit', resolve));
  const deadPid = dead.pid!;
  const stale = `wsbns-${deadPid}-0`;
  execFileSync('ip', ['netns', 'add', stale]);
  execFileSync('ip', ['link', 'add', `wsb${deadPid}h0`, 'type', 'veth', 'peer', 'name', `wsb${deadPid}n0`]);
  const removed = removeStaleNetns();
  assert.ok(removed.includes(stale), removed.join(', '));
  assert.ok(!namespaces().includes(stale));
  assert.doesNotMatch(links(), new RegExp(`wsb${deadPid}[hn]0`));
  assert.ok(namespaces().includes(ns!.name), 'this live process\u2019s namespace is kept');
});
