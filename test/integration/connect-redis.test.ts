/**
 * `wsbench connect --redis` against the real reference server and a real redis-server:
 * /publish reaches the WebSocket and reports its receivers; /subscribe and /psubscribe use
 * their own Redis connection; everything is closed at EOF and on SIGINT.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { openRedis, type RedisClient } from '../../src/redis/client.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { startReferenceServer, type ReferenceServer } from '../../src/server/reference-server.js';
import { startTestRedis } from '../helpers/redis.js';
import { runCli } from '../helpers/cli.js';
import { startCli } from '../helpers/interactive-cli.js';
import { waitFor } from '../helpers/processes.js';

let redis: EmbeddedRedis;
let server: ReferenceServer;
let admin: RedisClient;

before(async () => {
  redis = await startTestRedis();
  server = await startReferenceServer({ host: '127.0.0.1', port: 0, redisUrl: redis.url, maxPayload: 1 << 20, perMessageDeflate: false });
  admin = await openRedis(redis.url, { name: 'test-admin' });
});

after(async () => {
  admin.disconnect();
  await server.close();
  await redis.stop();
});

/** Clients wsbench connect has open on the test Redis. */
async function connectClients(): Promise<string[]> {
  const list = (await admin.call('CLIENT', 'LIST')) as string;
  return list.split('\n').filter((l) => /name=wsbench-connect/.test(l));
}

test('/publish on the connected channel arrives on the WebSocket with its receiver count', async () => {
  const cli = startCli(['connect', `${server.url}/ws/news`, '--redis', redis.url]);
  await cli.waitForStdout(/^Connected/m);
  // The reference server counts a client once its SUBSCRIBE is confirmed.
  assert.ok(await waitFor(() => server.stats().channels.news?.clients === 1, 10_000));
  cli.write('/publish news hello from redis\n');
  await cli.waitForStdout(/^< hello from redis$/m);
  await cli.waitForStdout(/^redis> news: hello from redis \(received by 1 subscriber\)$/m);
  cli.write('/status\n');
  await cli.waitForStdout(/^1 OPEN · buffered 0 B · in 1 msg \/ 16 B · out 0 msg \/ 0 B · rtt – · redis no subs$/m);
  cli.end();
  const r = await cli.exited;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Disconnected \(code: 1000, reason: ""\)$/m);
  assert.ok(await waitFor(() => server.stats().connections === 0, 5000));
  assert.deepEqual(await connectClients(), [], 'Redis connections closed at EOF');
});

test('/subscribe and /psubscribe show Redis messages distinctly; /unsubscribe drops them', async () => {
  const cli = startCli(['connect', `${server.url}/ws/other`, '--redis', redis.url]);
  await cli.waitForStdout(/^Connected/m);
  cli.write('/subscribe alerts\n/psubscribe metrics.*\n');
  await cli.waitForStdout(/^Subscribed to pattern metrics\.\* \(2 active\)$/m);
  assert.equal(await admin.publish('alerts', 'disk full'), 1);
  assert.equal(await admin.publish('metrics.cpu', Buffer.from([0xff, 0x00])), 1);
  await cli.waitForStdout(/^redis< alerts: disk full$/m);
  await cli.waitForStdout(/^redis< metrics\.cpu \(metrics\.\*\): \[binary 2 B\] ff 00$/m);
  cli.write('/unsubscribe alerts metrics.*\n');
  await cli.waitForStdout(/^Unsubscribed from alerts, metrics\.\* \(0 active\)$/m);
  assert.equal(await admin.publish('alerts', 'nobody'), 0);
  assert.equal((await connectClients()).length, 2, 'publisher and subscriber connections');
  cli.child.kill('SIGINT');
  const r = await cli.exited;
  assert.equal(r.code, 130, r.stderr);
  assert.deepEqual(await connectClients(), [], 'Redis connections closed on SIGINT');
});

test('piped /publish lines are sent once Redis and the socket are up (queued, in order)', async () => {
  // What this test checks is the console's order (each /publish waits for the lines before it),
  // not when the server's own SUBSCRIBE is confirmed (the server's tests cover that). Another
  // client holds the channel live first, so the console's WebSocket joins a live channel at once
  // and only the console's order decides what each publish reaches.
  const holder = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws/piped`);
  try {
    await once(holder, 'open');
    assert.ok(await waitFor(() => server.stats().channels.piped?.live === true, 10_000), 'the server subscribed to piped');
    const r = await runCli(['connect', `${server.url}/ws/piped`, '--redis', redis.url], {
      input: '/subscribe piped\n/publish piped one\n/publish piped two\n',
      timeoutMs: 20_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const at = (line: string) => lines.indexOf(line);
    // Each publish waited for the /subscribe before it: both reach the server and the console's subscriber.
    const subscribed = at('Subscribed to piped (1 active)');
    const one = at('redis> piped: one (received by 2 subscribers)');
    const two = at('redis> piped: two (received by 2 subscribers)');
    assert.ok(subscribed >= 0 && one > subscribed && two > one, r.stdout);
    assert.equal(lines.filter((l) => l.startsWith('redis> ')).length, 2, r.stdout);
    // And each arrived both ways: on the WebSocket and on the console's own subscription.
    for (const line of ['< one', '< two', 'redis< piped: one', 'redis< piped: two'])
      assert.ok(at(line) > subscribed, `${line}\n${r.stdout}`);
  } finally {
    holder.terminate();
  }
});

test('piped lines run in input order: a Redis command waits for the WebSocket and the lines before it; a trailing /publish is answered', async () => {
  const r = await runCli(['connect', `${server.url}/ws/ordered`, '--redis', redis.url], {
    input: '/subscribe tail\nhello\n/publish tail bye',
    timeoutMs: 20_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const connected = at(/^Connected/);
  const subscribed = at(/^Subscribed to tail \(1 active\)$/);
  const sent = at(/^> hello$/);
  const published = at(/^redis> tail: bye \(received by 1 subscriber\)$/);
  const received = at(/^redis< tail: bye$/);
  const closed = at(/^Disconnected \(code: 1000/);
  assert.ok(connected >= 0 && subscribed > connected && sent > subscribed && published > sent, r.stdout);
  // What the last line caused arrives after it and is still printed before the close.
  assert.ok(received > subscribed && closed > published && closed > received, r.stdout);
});

test('unreachable Redis: one error line, exit 1', async () => {
  const r = await runCli(['connect', `${server.url}/ws/news`, '--redis', 'redis://127.0.0.1:1'], { timeoutMs: 20_000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^wsbench: error: cannot reach Redis at redis:\/\/127\.0\.0\.1:1/m);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('/publish without --redis explains how to enable it', async () => {
  const r = await runCli(['connect', `${server.url}/ws/news`, '--slash'], { input: '/publish news hi\n', timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^error: no Redis: start with --redis redis:\/\/host:port$/m);
});
