/**
 * The control protocol over rediss:// (TLS) with an ACL user: a real redis-server with a TLS port
 * only (certificate made here with openssl), and an agent process that trusts it through
 * NODE_EXTRA_CA_CERTS — as an agent in a cluster would trust the control Redis's CA.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded.js';
import { openRedis } from '../../src/redis/client.js';

const run = promisify(execFile);
const DIST = fileURLToPath(new URL('../../src/', import.meta.url));
let dir: string;
let redis: EmbeddedRedis;
let tlsPort: number;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wsbench-tls-'));
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { timeout: 30_000 },
  );
  tlsPort = await freePort();
  // The plain port serves the test's own admin connection; agents use only the TLS one.
  redis = await startEmbeddedRedis({
    startTimeoutMs: 15_000,
    extraArgs: [
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      join(dir, 'cert.pem'),
      '--tls-key-file',
      join(dir, 'key.pem'),
      '--tls-ca-cert-file',
      join(dir, 'cert.pem'),
      '--tls-auth-clients',
      'no',
    ],
  });
  const admin = await openRedis(redis.url, { name: 'test-admin' });
  await admin.call(
    'ACL',
    'SETUSER',
    'wsbench-ctl',
    'on',
    '>tls-pw-42',
    'resetkeys',
    '~wsbench:ctl:*',
    '-@all',
    '+@stream',
    '+time',
    '+info',
    '+client|setname',
  );
  admin.disconnect();
});

after(async () => {
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** An agent process: registers over rediss:// and reads its own registration back. */
const AGENT = `
const { ControlChannel } = await import(process.env.DIST + 'distributed/control-channel.js');
const { describeThisAgent } = await import(process.env.DIST + 'distributed/agent-presence.js');
const channel = await ControlChannel.open(process.env.URL, { sender: 'agent-tls' });
try {
  await channel.send('agents', channel.keys.agents, { type: 'register', body: describeThisAgent({ name: 'agent-tls' }) });
  const reader = await channel.reader('check');
  const entries = await reader.read('agents', channel.keys.agents, '0-0');
  console.log(JSON.stringify(entries.map((e) => e.decoded.ok ? e.decoded.message.from + ':' + e.decoded.message.type : e.decoded.detail)));
} finally {
  await channel.close();
}
`;

test('an agent registers over rediss:// as an ACL user', async () => {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', AGENT], {
    env: { ...process.env, DIST, URL: `rediss://wsbench-ctl:tls-pw-42@127.0.0.1:${tlsPort}`, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') },
    timeout: 30_000,
  });
  assert.deepEqual(JSON.parse(stdout), ['agent-tls:register']);
});

test('rediss:// to a certificate nobody vouches for is refused: REDIS_UNREACHABLE, password redacted', async () => {
  const result = await run(process.execPath, ['--input-type=module', '-e', AGENT], {
    env: { ...process.env, DIST, URL: `rediss://wsbench-ctl:tls-pw-42@127.0.0.1:${tlsPort}` },
    timeout: 30_000,
  }).then(
    () => null,
    (e: { stderr: string }) => e.stderr,
  );
  assert.ok(result !== null, 'the untrusted certificate was refused');
  assert.match(result, /code: 'REDIS_UNREACHABLE'/);
  // The TLS reason, not ioredis's bare "Connection is closed." (redis/connect-failure.ts).
  assert.match(result, /WsbenchError: cannot reach Redis at rediss:\/\/wsbench-ctl:\*\*\*@127\.0\.0\.1:\d+: TLS: self-signed certificate /);
  assert.ok(!result.includes('tls-pw-42'));
});
