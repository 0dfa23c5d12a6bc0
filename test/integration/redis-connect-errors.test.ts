/**
 * openRedis (src/redis/client.ts) says why it could not connect — against a real redis-server
 * with a password, a refused port, a TCP peer that never answers, one that is not Redis, and a
 * TLS server whose certificate nobody vouches for — in one line with the password redacted, within
 * its bound; and `wsbench run` prints that line. A database number (the URL's path) the server does
 * not have is refused at connect, by run, serve and connect alike.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { openRedis } from '../../src/redis/client.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.js';
import { createCertificate } from '../../src/server/certificates.js';
import { isWsbenchError } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';

const PASSWORD = 'pw-right-4711';
let redis: EmbeddedRedis;
let port: number;
let silent: Server;
const silentSockets: Socket[] = [];
let notRedis: Server;
let tlsServer: TlsServer;
let refusedPort: number;

const listen = async <S extends Server>(server: S): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

before(async () => {
  redis = await startEmbeddedRedis({ startTimeoutMs: 15_000, extraArgs: ['--requirepass', PASSWORD] });
  port = Number(new URL(redis.url).port);
  // Reads (so it sees the other end close) and never writes.
  silent = createServer((s) => silentSockets.push(s.resume()));
  notRedis = createServer((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
  tlsServer = createTlsServer(await createCertificate({ commonName: 'nobody vouches', hosts: ['127.0.0.1'] }), (s) => s.end());
  tlsServer.on('tlsClientError', () => {});
  const closed = createServer();
  refusedPort = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
  await Promise.all([listen(silent), listen(notRedis), listen(tlsServer)]);
});
after(async () => {
  for (const s of silentSockets) s.destroy();
  for (const s of [silent, notRedis, tlsServer]) s?.close();
  await redis?.stop();
});

const portOf = (s: Server) => (s.address() as AddressInfo).port;

async function failure(url: string, connectTimeoutMs = 5000): Promise<string> {
  return (await failureOf(url, connectTimeoutMs)).message;
}

async function failureOf(url: string, connectTimeoutMs = 5000): Promise<Error> {
  try {
    const client = await openRedis(url, { name: 'wsbench-test', connectTimeoutMs });
    client.disconnect();
  } catch (e) {
    assert.ok(isWsbenchError(e) && e.code === 'REDIS_UNREACHABLE', String(e));
    assert.ok(!e.message.includes('\n'), e.message);
    return e;
  }
  return assert.fail(`${url} connected`);
}

test('the cause of each failure, in one line, the password never shown', async () => {
  const cases: [string, string, RegExp][] = [
    [
      'refused',
      `redis://127.0.0.1:${refusedPort}`,
      /^cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\)$/,
    ],
    [
      'a wrong password',
      `redis://:wrong-${PASSWORD}@127.0.0.1:${port}`,
      /^cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: authentication failed: WRONGPASS /,
    ],
    [
      'an unknown user',
      `redis://nobody:${PASSWORD}@127.0.0.1:${port}`,
      /^cannot reach Redis at redis:\/\/nobody:\*\*\*@127\.0\.0\.1:\d+: authentication failed: WRONGPASS /,
    ],
    ['no password', `redis://127.0.0.1:${port}`, /: authentication required: NOAUTH /],
    [
      'not Redis',
      `redis://127.0.0.1:${portOf(notRedis)}`,
      /: not a Redis server \(Protocol error, got "H" as reply type byte\.\); if it expects TLS, use rediss:\/\/$/,
    ],
    [
      'TLS, a certificate nobody vouches for',
      `rediss://:${PASSWORD}@127.0.0.1:${portOf(tlsServer)}`,
      /^cannot reach Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+: TLS: self-signed certificate \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/,
    ],
    [
      'TLS to a peer that answers in plain text',
      `rediss://127.0.0.1:${portOf(notRedis)}`,
      /: TLS: wrong version number \(ERR_SSL_WRONG_VERSION_NUMBER\)/,
    ],
  ];
  for (const [name, url, expected] of cases) {
    const message = await failure(url);
    assert.match(message, expected, name);
    assert.ok(!message.includes(PASSWORD), `${name}: ${message}`);
  }
  // The right password connects: the failures above are the URLs', not the server's.
  const ok = await openRedis(`redis://:${PASSWORD}@127.0.0.1:${port}`, { name: 'wsbench-test' });
  assert.equal(await ok.ping(), 'PONG');
  ok.disconnect();
});

test('a peer that accepts and never answers: the attempt ends at its bound, and the socket is closed', async () => {
  const before = silentSockets.length;
  const message = await failure(`redis://127.0.0.1:${portOf(silent)}`, 300);
  assert.match(message, /: connected, but no reply within 300 ms: is it a Redis server, or one that expects TLS \(rediss:\/\/\)\?$/);
  assert.equal(silentSockets.length, before + 1, 'it connected');
  const socket = silentSockets.at(-1)!;
  if (!socket.destroyed) await new Promise((resolve) => socket.once('close', resolve));
  assert.ok(socket.destroyed, 'nothing left open');
});

test('wsbench run with a wrong password: exit 3, one line with the cause, no password', async () => {
  const r = await runCli(['run', 'scenarios/quickstart.yaml', '--redis', `redis://:wrong-${PASSWORD}@127.0.0.1:${port}`, '--quiet'], {
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^wsbench: error: cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: authentication failed: WRONGPASS /m);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(!(r.stdout + r.stderr).includes(PASSWORD));
});

test("a database number the server does not have fails at connect, not later (ioredis' own SELECT failure would leave the connection on database 0)", async () => {
  const cases: [string, string, RegExp][] = [
    [
      'beyond the 16 the server has',
      `redis://:${PASSWORD}@127.0.0.1:${port}/99`,
      /^cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/99: database 99 does not exist: the server has 16 \(0 to 15; "databases" in redis\.conf\)$/,
    ],
    ['just past the last one', `redis://:${PASSWORD}@127.0.0.1:${port}/16`, /: database 16 does not exist: the server has 16 /],
  ];
  for (const [name, url, expected] of cases) {
    const e = await failureOf(url);
    assert.match(e.message, expected, name);
    assert.ok(!e.message.includes(PASSWORD), `${name}: ${e.message}`);
    // The server's own words stay in the cause, for --verbose.
    assert.match(String((e.cause as Error | undefined)?.message), /^ERR /, name);
  }
  // A word for a number is the URL's fault, said before connecting (exit 2, as a bad flag).
  await assert.rejects(openRedis(`redis://:${PASSWORD}@127.0.0.1:${port}/abc`, { name: 'wsbench-test' }), (e: Error) => {
    assert.ok(isWsbenchError(e) && e.code === 'CONFIG', String(e));
    assert.equal(e.message, `Redis URL redis://:***@127.0.0.1:${port}/abc: the database (its path: /0, /1, …) is not a number`);
    return true;
  });
  // A database the server has: the connection is on it (CLIENT INFO says which), not on 0.
  const ok = await openRedis(`redis://:${PASSWORD}@127.0.0.1:${port}/15`, { name: 'wsbench-test' });
  assert.match(String(await ok.call('CLIENT', 'INFO')), / db=15 /);
  ok.disconnect();
});

test('run, serve and connect with a database number the server does not have: one line naming the URL (no password), at once', async () => {
  const url = `redis://:${PASSWORD}@127.0.0.1:${port}/99`;
  const line =
    /^wsbench: error: cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/99: database 99 does not exist: the server has 16 /m;
  const commands: [string, string[], number][] = [
    // run and serve: a setup failure (ExitCode.SETUP_FAILED); connect keeps wscat's 1.
    ['run', ['run', 'scenarios/quickstart.yaml', '--redis', url, '--quiet'], 3],
    ['serve', ['serve', '--port', '0', '--processes', '1', '--redis', url], 3],
    ['connect', ['connect', `ws://127.0.0.1:${refusedPort}/ws/news`, '--redis', url], 1],
  ];
  for (const [name, args, code] of commands) {
    const r = await runCli(args, { timeoutMs: 30_000 });
    assert.equal(r.code, code, `${name}: ${r.stderr}`);
    assert.match(r.stderr, line, name);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: ${r.stderr}`);
    assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), name);
  }
});
