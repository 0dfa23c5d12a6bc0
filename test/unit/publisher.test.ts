/**
 * The publisher's accounting of failures, with an injector standing in for Redis (the seam): which
 * publishes failed, the streaks said as incidents, and publishes left unanswered counted as failed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Publisher } from '../../src/engine/publisher.js';
import { OpenLoopSchedule } from '../../src/engine/pacer.js';
import { StampWriter } from '../../src/metrics/stamp.js';
import { monotonicMs } from '../../src/metrics/clock.js';
import type { Injector } from '../../src/targets/injector.js';

/** An injector for which publishes in `failing` fail, those in `silent` never answer, the rest reach 1 subscriber. */
function injector(failing: (i: number) => boolean, silent: (i: number) => boolean = () => false): Injector {
  let i = 0;
  return {
    inject: () => {
      const n = i++;
      if (silent(n)) return new Promise<number>(() => {});
      return failing(n) ? Promise.reject(new Error('connection lost')) : Promise.resolve(1);
    },
  };
}

function publisher(inject: Injector, total: number, incidents: [string, string][]): Publisher {
  return new Publisher(
    new StampWriter('0123456789abcdef', 'binary', 64),
    inject,
    2,
    new OpenLoopSchedule(monotonicMs(), 20_000, total),
    0,
    () => {},
    (kind, detail) => incidents.push([kind, detail]),
  );
}

test('publisher: failed publishes are remembered by index; each streak is said when it starts and when it ends', async () => {
  const incidents: [string, string][] = [];
  // 10..29 fail (an outage), then 50..54.
  const fails = (i: number) => (i >= 10 && i < 30) || (i >= 50 && i < 55);
  const result = await publisher(injector(fails), 100, incidents).run(new AbortController().signal, 1000);
  assert.equal(result.sent, 100);
  assert.equal(result.errors, 25);
  assert.equal(result.acked, 75);
  assert.deepEqual(result.failed.ranges(), [10, 30, 50, 55]);
  assert.deepEqual(result.ackedPerChannel, [37, 38], 'channel 0 lost 13 of its 50, channel 1 lost 12');
  assert.deepEqual(
    incidents.map(([kind]) => kind),
    ['publish-failed', 'publish-resumed', 'publish-failed', 'publish-resumed'],
  );
  assert.match(incidents[0]![1], /publish #10 failed: connection lost/);
  assert.match(incidents[1]![1], /publish #30 reached Redis again: 20 publish\(es\) failed from #10/);
  assert.deepEqual(result.errorSamples.slice(0, 1), ['connection lost']);
});

test('publisher: publishes still unanswered when it stops waiting are failed, not lost and not forgotten', async () => {
  const incidents: [string, string][] = [];
  const result = await publisher(
    injector(
      () => false,
      (i) => i >= 45,
    ),
    50,
    incidents,
  ).run(new AbortController().signal, 50);
  assert.equal(result.errors, 5);
  assert.deepEqual(result.failed.ranges(), [45, 50]);
  assert.equal(result.acked + result.errors, result.sent);
  assert.match(result.errorSamples[0]!, /no reply from Redis within 50 ms/);
  assert.deepEqual(
    incidents.map(([kind]) => kind),
    ['publish-failed'],
  );
});
