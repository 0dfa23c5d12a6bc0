/**
 * Clock offsets through a real redis-server's TIME (distributed/redis-time.ts +
 * metrics/clock-offset.ts): an agent whose clock is made to read 250 ms ahead (a test-only offset
 * on the same monotonic clock, so the truth is known exactly) is found 250 ms ahead within the
 * stated bound; the re-estimating clock keeps a bounded list and stops cleanly; this host's
 * processes share one clock.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { openRedis, type RedisClient } from '../../src/redis/client.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { monotonicMs } from '../../src/metrics/clock.js';
import { agentClock, driftOf, estimateOffset, type OffsetEstimate } from '../../src/metrics/clock-offset.js';
import { ReferenceClock, sampleRedisTime } from '../../src/distributed/redis-time.js';
import { readHostIdentity } from '../../src/distributed/host-identity.js';
import { clockMode } from '../../src/distributed/clock-domain.js';
import { startTestRedis } from '../helpers/redis.js';

const INJECTED_MS = 250;
let redis: EmbeddedRedis;
let coordinatorConn: RedisClient;
let agentConn: RedisClient;

before(async () => {
  redis = await startTestRedis();
  coordinatorConn = await openRedis(redis.url, { name: 'test-clock-coordinator' });
  agentConn = await openRedis(redis.url, { name: 'test-clock-agent' });
});

after(async () => {
  coordinatorConn.disconnect();
  agentConn.disconnect();
  await redis.stop();
});

test('an agent clock 250 ms ahead is estimated at +250 ms within its stated bound', async (t) => {
  const agentNow = () => monotonicMs() + INJECTED_MS;
  const coordinator: OffsetEstimate[] = [];
  const agent: OffsetEstimate[] = [];
  // Three windows each, interleaved, as both sides re-estimate during a run.
  for (let w = 0; w < 3; w++) {
    coordinator.push(estimateOffset(await sampleRedisTime(coordinatorConn, { samples: 64 }))!);
    agent.push(estimateOffset(await sampleRedisTime(agentConn, { samples: 64, now: agentNow }))!);
    await sleep(100);
  }
  // At the agent's latest estimate (later instants add the drift's uncertainty to the bound).
  const clock = agentClock(agent, coordinator, agent.at(-1)!.atMs);
  const error = clock.offsetMs - INJECTED_MS;
  t.diagnostic(
    `offset ${clock.offsetMs.toFixed(4)} ms (error ${(error * 1000).toFixed(1)} µs), bound ±${(clock.errorBoundMs * 1000).toFixed(1)} µs, ` +
      `best RTT coordinator ${(Math.min(...coordinator.map((e) => e.bestRttMs)) * 1000).toFixed(1)} µs / agent ${(Math.min(...agent.map((e) => e.bestRttMs)) * 1000).toFixed(1)} µs, drift ${clock.driftPpm.toFixed(1)} ppm`,
  );
  assert.equal(clock.mode, 'estimated');
  assert.ok(clock.consistent);
  assert.ok(Math.abs(error) <= clock.errorBoundMs, `|${clock.offsetMs} − ${INJECTED_MS}| ≤ ${clock.errorBoundMs}`);
  // The bound is what the round trips allow: each side's is at most half its best round trip
  // + 1 µs, plus the drift allowance over the few milliseconds between the two sides' windows.
  const worstRtt = Math.max(coordinator.at(-1)!.bestRttMs, agent.at(-1)!.bestRttMs);
  assert.ok(clock.errorBoundMs <= worstRtt + 0.002 + 0.1, `bound ${clock.errorBoundMs} against round trips of ${worstRtt}`);
  // Later instants are covered too, with a bound grown by the drift's uncertainty.
  const later = agentClock(agent, coordinator, agentNow());
  assert.ok(Math.abs(later.offsetMs - INJECTED_MS) <= later.errorBoundMs);
  assert.ok(later.errorBoundMs >= clock.errorBoundMs);
});

test('without an injected offset the same machinery finds zero within its bound', async () => {
  const a = estimateOffset(await sampleRedisTime(agentConn))!;
  const c = estimateOffset(await sampleRedisTime(coordinatorConn))!;
  const clock = agentClock([a], [c], monotonicMs());
  assert.ok(Math.abs(clock.offsetMs) <= clock.errorBoundMs, `${clock.offsetMs} ± ${clock.errorBoundMs}`);
});

test('ReferenceClock re-estimates on its timer, keeps the latest few, and stops', async () => {
  const seen: OffsetEstimate[] = [];
  const clock = new ReferenceClock(agentConn, { everyMs: 50, samples: 16, keep: 3, onEstimate: (e) => seen.push(e) });
  const first = await clock.start();
  assert.equal(seen[0], first);
  const deadline = Date.now() + 10_000;
  while (seen.length < 5 && Date.now() < deadline) await sleep(20);
  await clock.stop();
  const count = seen.length;
  assert.ok(count >= 5, `${count} windows`);
  assert.equal(clock.estimates().length, 3);
  assert.deepEqual(clock.estimates(), seen.slice(-3));
  assert.ok(driftOf(clock.estimates()).consistent);
  await sleep(120);
  assert.equal(seen.length, count, 'no window after stop()');
});

test('ReferenceClock: a dead connection fails the first window with a one-line error', async () => {
  const dead = await openRedis(redis.url, { name: 'test-clock-dead' });
  dead.disconnect();
  const clock = new ReferenceClock(dead, { samples: 4 });
  await assert.rejects(clock.start(), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'REDIS_UNREACHABLE');
    assert.match(e.message, /^cannot read the control Redis's TIME for the clock offset: /);
    return true;
  });
  await clock.stop();
});

test('processes of this host share one clock: same clock id, "exact"', () => {
  const a = readHostIdentity();
  const b = readHostIdentity();
  assert.ok(a.clockId, 'this Linux host has a boot id');
  assert.equal(clockMode(a.clockId, b.clockId), 'exact');
  assert.ok(a.cores >= 1);
});
