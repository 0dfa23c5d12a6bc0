/**
 * The channels_redis group_send script on a real redis-server: what it writes is exactly what
 * channels_redis 4.0's RedisChannelLayer would (checked field by field), capacity and expiry
 * included. The end-to-end proof against daphne is in channels.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '@msgpack/msgpack';
import { Redis } from 'ioredis';
import type { EmbeddedRedis } from '../../../src/redis/embedded.js';
import { startTestRedis } from '../../helpers/redis.js';
import { channelsGroupsInjector, channelsPubsubInjector } from '../../../src/targets/channels.js';

let redis: EmbeddedRedis;
let client: Redis;

before(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url);
});
after(async () => {
  client?.disconnect();
  await redis?.stop();
});

const spec = {
  kind: 'channels-groups' as const,
  prefix: 'asgi',
  groups: ['g'],
  messageType: 'bench.message',
  field: 'payload',
  capacity: 3,
  expiry: 60,
  groupExpiry: 86400,
  preexisting: [] as string[],
};

test('group_send: one message per process key listing its members, scored by time, expiring, capacity counted', async () => {
  const now = Date.now() / 1000;
  // Two members in process A, one in process B, one membership older than group_expiry.
  await client.zadd('asgi:group:g', now, 'specific.A!1', now, 'specific.A!2', now, 'specific.B!1', now - 90_000, 'specific.C!1');
  const injector = channelsGroupsInjector.create(spec, client);
  assert.equal(await injector.inject(0, Buffer.from('WSB1-first')), 3, 'three live members reached');
  assert.equal(await client.zscore('asgi:group:g', 'specific.C!1'), null, 'the expired membership was removed');

  const [member, score] = (await client.zrangeBuffer('asgispecific.A!', 0, -1, 'WITHSCORES')) as Buffer[];
  assert.ok(Math.abs(Number(score!.toString()) - now) < 60);
  assert.equal(member!.length > 12, true);
  const message = decode(member!.subarray(12)) as Record<string, unknown>;
  assert.deepEqual(message, { type: 'bench.message', payload: 'WSB1-first', __asgi_channel__: ['specific.A!1', 'specific.A!2'] });
  const [memberB] = await client.zrangeBuffer('asgispecific.B!', 0, -1);
  assert.deepEqual((decode(memberB!.subarray(12)) as Record<string, unknown>)['__asgi_channel__'], ['specific.B!1']);
  const ttl = await client.ttl('asgispecific.A!');
  assert.ok(ttl > 0 && ttl <= 60);

  // Nobody reads: capacity 3 fills after 3 messages; further ones are dropped and counted per member.
  await injector.inject(0, Buffer.from('WSB1-2'));
  await injector.inject(0, Buffer.from('WSB1-3'));
  // Dropped for capacity is not "no subscriber": the group had its three members.
  assert.equal(await injector.inject(0, Buffer.from('WSB1-4')), 3);
  assert.equal(await client.zcard('asgispecific.A!'), 3);
  assert.equal(injector.issues?.['channels.capacity']?.count, 3, '2 members of A + 1 of B dropped once');
  assert.match(injector.issues!['channels.capacity']!.sample, /capacity 3/);
  // Scores increase strictly, so the queue order is the publish order.
  const scores = ((await client.zrange('asgispecific.A!', 0, -1, 'WITHSCORES')) as string[]).filter((_, i) => i % 2 === 1).map(Number);
  assert.deepEqual(
    [...scores].sort((a, b) => a - b),
    scores,
  );
  assert.equal(new Set(scores).size, scores.length);
});

test('members from before the run (a process that is gone): their full queue is counted as stale members, not slow readers', async () => {
  const now = Date.now() / 1000;
  await client.zadd('asgi:group:s', now, 'specific.Dead!1', now, 'specific.Dead!2', now, 'specific.Live!1');
  const injector = channelsGroupsInjector.create(
    { ...spec, groups: ['s'], capacity: 2, preexisting: ['specific.Dead!1', 'specific.Dead!2'] },
    client,
  );
  // Live's queue is read by nobody here either, but it has a member of this run: that is "capacity".
  for (let i = 0; i < 3; i++) assert.equal(await injector.inject(0, Buffer.from(`WSB1-s${i}`)), 3);
  assert.equal(injector.issues?.['channels.stale-members']?.count, 2, 'two stale members dropped once');
  assert.match(injector.issues!['channels.stale-members']!.sample, /before this run/);
  assert.equal(injector.issues?.['channels.capacity']?.count, 1, 'the live member dropped once');
});

test('pubsub layer: PUBLISH asgi__group__<group> plain msgpack of the event', async () => {
  const sub = new Redis(redis.url);
  try {
    const got = new Promise<Buffer>((resolve) => sub.on('messageBuffer', (_c: Buffer, m: Buffer) => resolve(m)));
    await sub.subscribe('asgi__group__g');
    const injector = channelsPubsubInjector.create(
      { kind: 'channels-pubsub', channels: ['asgi__group__g'], messageType: 'bench.message', field: 'payload' },
      client,
    );
    assert.equal(await injector.inject(0, Buffer.from('WSB1-x')), 1);
    assert.deepEqual(decode(await got), { type: 'bench.message', payload: 'WSB1-x' });
  } finally {
    sub.disconnect();
  }
});
