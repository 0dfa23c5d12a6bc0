/**
 * wss:// end to end with real processes on loopback: the built-in server with a generated
 * certificate (WebSocket and the polling transports, both WebSocket clients), TLS failures named
 * by cause in one line (unknown CA, expired, name mismatch, a plain server behind wss://) with
 * certificates made here, session resumption, and `wsbench connect` with a client certificate
 * against a server that requires one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { BIN } from '../helpers/cli.js';
import { fakeReport } from '../helpers/report.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import type { RunReport } from '../../src/results/types.js';
import { createCertificate, type CertificatePair } from '../../src/server/certificates.js';
import { runCli } from '../helpers/cli.js';
import { leftoverChildren } from '../helpers/processes.js';
import { startTestRedis } from '../helpers/redis.js';
import { startWsRelay, type WsRelay } from '../fixtures/ws-relay.js';

const DAY = 86_400_000;
let redis: EmbeddedRedis;
let dir: string;
let ca: CertificatePair;
/** Servers signed by `ca`: good, expired, for another name; and one self-signed (trusted by nobody). */
const relays: Record<'good' | 'expired' | 'misnamed' | 'selfSigned' | 'plain', WsRelay> = {} as never;
let caFile: string;

before(async () => {
  redis = await startTestRedis();
  dir = mkdtempSync(join(tmpdir(), 'wsbench-tls-test-'));
  ca = await createCertificate({ commonName: 'wsbench test CA', ca: true });
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.cert);
  const leaf = (hosts: string[], notBefore?: Date, notAfter?: Date) =>
    createCertificate({ commonName: hosts[0]!, hosts, issuer: ca, ...(notBefore ? { notBefore } : {}), ...(notAfter ? { notAfter } : {}) });
  const now = Date.now();
  relays.good = await startWsRelay(redis.url, { tls: await leaf(['localhost', '127.0.0.1']) });
  relays.expired = await startWsRelay(redis.url, { tls: await leaf(['127.0.0.1'], new Date(now - 3 * DAY), new Date(now - DAY)) });
  relays.misnamed = await startWsRelay(redis.url, { tls: await leaf(['other.test']) });
  relays.selfSigned = await startWsRelay(redis.url, { tls: await createCertificate({ commonName: 'me', hosts: ['127.0.0.1'] }) });
  relays.plain = await startWsRelay(redis.url);
});

after(async () => {
  await Promise.all(Object.values(relays).map((r) => r?.close()));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function scenario(yaml: string) {
  return parseScenarioText(`redis: { url: "${redis.url}" }\n${yaml}`, join(dir, 'scenario.yaml'));
}

/** A raw target on a relay over wss://, trusting the test CA. */
function relayRun(relay: WsRelay, client: 'fast' | 'ws', extra = '', tlsExtra = '') {
  return runEngine(
    scenario(`target: { kind: raw, url: "${relay.url.replace(/^ws:/, 'wss:')}", redisChannel: "relay:{channel}", readiness: { numsub: 1 } }
clients: { connections: 4, wsClient: ${client}, tls: { ca: ca.pem${tlsExtra} }${extra} }
publish: { rate: 100/s, duration: 300ms }
drain: 1s
`),
    { workers: 1 },
  );
}

test('the wss:// quickstart: built-in server with tls: true, 100 % delivered, exit 0, TLS 1.3 in the report', async () => {
  const out = join(dir, 'wss.json');
  const result = await runCli(
    ['run', 'scenarios/wss.yaml', '--connections', '50', '--duration', '1s', '--warmup', '0', '--ramp-up', '0', '--quiet', '--out', out],
    { timeoutMs: 90_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse((await import('node:fs')).readFileSync(out, 'utf8')) as RunReport;
  const ws = report.transports.websocket!;
  assert.equal(ws.delivery.delivered, ws.delivery.expected);
  assert.equal(ws.delivery.expected, 50 * 200);
  assert.equal(ws.tls?.handshakes, 50);
  assert.equal(Object.keys(ws.tls!.negotiated).length, 1);
  assert.match(Object.keys(ws.tls!.negotiated)[0]!, /^TLSv1\.3 TLS_AES_(128|256)_GCM_SHA(256|384)$/);
  assert.equal(ws.compression?.mode, 'offer');
  assert.equal(ws.compression?.share, 1);
  assert.ok(ws.compression!.ratio < 0.7, `JSON-like payloads compress: ratio ${ws.compression!.ratio}`);
  assert.match(result.stdout, /TLSv1\.3/);
  assert.deepEqual(leftoverChildren([redis.pid]), []);
});

test('WebSocket, long-polling and polling over TLS, both WebSocket clients with the same ledger', async () => {
  const ledgers: Record<string, unknown> = {};
  for (const client of ['fast', 'ws'] as const) {
    const report = await runEngine(
      scenario(`target: { kind: builtin, tls: true }
clients: { connections: 6, wsClient: ${client} }
publish: { rate: 100/s, duration: 400ms, channels: 2 }
transports: [websocket, longpoll, poll]
polling: { interval: 200ms }
drain: 1s
`),
      { workers: 1 },
    );
    for (const [name, t] of Object.entries(report.transports)) {
      assert.equal(t.delivery.delivered, t.delivery.expected, `${client} ${name}`);
      assert.equal(t.delivery.expected, 6 * 20, `${client} ${name}`);
      assert.ok(t.tls && t.tls.handshakes >= 6, `${client} ${name}: TLS handshakes counted`);
      assert.match(Object.keys(t.tls.negotiated)[0]!, /^TLSv1\.3 TLS_AES_(128|256)_GCM/);
    }
    ledgers[client] = report.transports.websocket!.delivery;
  }
  assert.deepEqual(ledgers.fast, ledgers.ws);
});

test('a server whose certificate is signed by a trusted CA: both clients deliver everything', async () => {
  for (const client of ['fast', 'ws'] as const) {
    const report = await relayRun(relays.good, client);
    const d = report.transports.websocket!.delivery;
    assert.equal(d.delivered, d.expected, client);
    assert.equal(d.expected, 4 * 30);
  }
});

const failures: { name: string; relay: keyof typeof relays; kind: string; cause: RegExp; extra?: string }[] = [
  {
    name: 'self-signed, untrusted',
    relay: 'selfSigned',
    kind: 'connect.tls-unknown-ca',
    cause: /self-signed and not trusted.*clients\.tls\.ca/,
  },
  { name: 'expired', relay: 'expired', kind: 'connect.tls-expired', cause: /certificate has expired \(CERT_HAS_EXPIRED\)/ },
  {
    name: 'issued for another name',
    relay: 'misnamed',
    kind: 'connect.tls-name-mismatch',
    cause: /does not match the host name: IP: 127\.0\.0\.1 is not in the cert's list/,
  },
  { name: 'a plain server behind wss://', relay: 'plain', kind: 'connect.tls-protocol', cause: /does not speak TLS at all/ },
];

for (const f of failures) {
  test(`TLS failure in one line naming the cause: ${f.name} (both clients)`, async () => {
    for (const client of ['fast', 'ws'] as const) {
      await assert.rejects(relayRun(relays[f.relay], client), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'TARGET_UNREACHABLE', `${client}: ${e.message}`);
        assert.doesNotMatch(e.message, /\n/, 'one line');
        assert.match(e.message, new RegExp(`${f.kind.replace('.', '\\.')} ×4 \\(TLS handshake with 127\\.0\\.0\\.1:\\d+ failed: `), client);
        assert.match(e.message, f.cause, `${client}: ${e.message}`);
        return true;
      });
    }
  });
}

test('the CLI prints an untrusted certificate as one error line and exits 3', async () => {
  const file = join(dir, 'untrusted.yaml');
  writeFileSync(
    file,
    `redis: { url: "${redis.url}" }
target: { kind: raw, url: "${relays.selfSigned.url}", redisChannel: "relay:{channel}", readiness: { numsub: 1 } }
clients: { connections: 2 }
publish: { rate: 10/s, duration: 1s }
`,
  );
  const result = await runCli(['run', file, '--quiet'], { timeoutMs: 60_000 });
  assert.equal(result.code, 3, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(
    lines[0]!,
    /connect\.tls-unknown-ca ×2 \(TLS handshake with 127\.0\.0\.1:\d+ failed: the server's certificate is self-signed/,
  );
});

test('rejectUnauthorized: false connects to the untrusted server', async () => {
  const report = await runEngine(
    scenario(`target: { kind: raw, url: "${relays.selfSigned.url}", redisChannel: "relay:{channel}", readiness: { numsub: 1 } }
clients: { connections: 2, tls: { rejectUnauthorized: false } }
publish: { rate: 100/s, duration: 200ms }
drain: 1s
`),
    { workers: 1 },
  );
  const d = report.transports.websocket!.delivery;
  assert.equal(d.delivered, d.expected);
});

test('session resumption: later connections of a worker resume; resumeSessions: false makes every handshake full', async () => {
  for (const client of ['fast', 'ws'] as const) {
    const resumed = await relayRun(relays.good, client, ', maxHandshakesInFlight: 1');
    const tls = resumed.transports.websocket!.tls!;
    assert.equal(tls.handshakes, 4);
    assert.ok(tls.resumedSessions >= 1, `${client}: ${JSON.stringify(tls)}`);
    const full = await relayRun(relays.good, client, ', maxHandshakesInFlight: 1', ', resumeSessions: false');
    assert.equal(full.transports.websocket!.tls!.resumedSessions, 0, client);
  }
});

test('wsbench connect with a client certificate against a server that requires one; without it, one line naming the cause', async () => {
  const clientCa = await createCertificate({ commonName: 'wsbench test client CA', ca: true });
  const clientCert = await createCertificate({ commonName: 'wsbench test client', client: true, issuer: clientCa });
  const serverCert = await createCertificate({ commonName: '127.0.0.1', hosts: ['127.0.0.1'], issuer: ca });
  const relay = await startWsRelay(redis.url, { tls: { ...serverCert, requestCert: true, ca: [clientCa.cert] } });
  try {
    writeFileSync(join(dir, 'client.pem'), clientCert.cert);
    writeFileSync(join(dir, 'client-key.pem'), clientCert.key);
    const url = relay.url.replace('{channel}', 'news');
    const ok = await runCli(
      ['connect', url, '--ca', caFile, '--cert', join(dir, 'client.pem'), '--key', join(dir, 'client-key.pem'), '-w', '0.2'],
      {
        timeoutMs: 20_000,
      },
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.doesNotMatch(ok.stderr, /error|cannot/i);
    const refused = await runCli(['connect', url, '--ca', caFile, '-w', '0.2'], { timeoutMs: 20_000 });
    assert.equal(refused.code, 1, refused.stderr);
    const lines = refused.stderr.trim().split('\n');
    assert.equal(lines.length, 1, refused.stderr);
    assert.match(lines[0]!, /TLS handshake with 127\.0\.0\.1:\d+ failed: the server refused the client certificate, or requires one/);
  } finally {
    await relay.close();
  }
});

test('wsbench serve --tls: prints its certificate, which clients trust with --ca; the file goes when it stops', async () => {
  const serve = spawn(process.execPath, [BIN, 'serve', '--tls', '--port', '0', '--processes', '1', '--redis', redis.url], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  try {
    let out = '';
    serve.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 20_000;
    while (!/certificate (\S+) /.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const url = /listening on (wss:\/\/\S+)/.exec(out)?.[1];
    const certFile = /self-signed certificate (\S+) /.exec(out)?.[1];
    assert.ok(url && certFile, out);
    assert.match(readFileSync(certFile, 'utf8'), /^-----BEGIN CERTIFICATE-----/);
    const ok = await runCli(['connect', `${url}/ws/news`, '--ca', certFile, '-w', '0.2'], { timeoutMs: 20_000 });
    assert.equal(ok.code, 0, ok.stderr);
    // A run against it: the clients and the readiness check (/stats over https) trust the printed file.
    const report = await runEngine(
      scenario(`target: { kind: builtin, url: "${url}" }
clients: { connections: 3, tls: { ca: "${certFile}" } }
publish: { rate: 100/s, duration: 200ms }
drain: 1s
`),
      { workers: 1 },
    );
    assert.equal(report.transports.websocket!.delivery.delivered, 3 * 20);
    const untrusted = await runCli(['connect', `${url}/ws/news`, '-w', '0.2'], { timeoutMs: 20_000 });
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /TLS handshake with 127\.0\.0\.1:\d+ failed: the server's certificate is self-signed and not trusted/);
    serve.kill('SIGINT');
    await new Promise((resolve) => serve.once('exit', resolve));
    assert.equal(existsSync(certFile), false, 'the generated certificate is removed on exit');
  } finally {
    serve.kill('SIGKILL');
  }
});

test('wsbench compare warns when the two reports had different TLS or compression in effect', async () => {
  const secure = fakeReport(undefined, 'secure');
  secure.scenario = { clients: { connections: 10 }, publish: { rate: 100, duration: 1 } };
  secure.transports.websocket!.tls = { handshakes: 10, negotiated: { 'TLSv1.3 TLS_AES_256_GCM_SHA384': 10 }, resumedSessions: 0 };
  const plain = fakeReport(undefined, 'plain');
  plain.scenario = secure.scenario;
  plain.transports.websocket!.tls = null;
  writeFileSync(join(dir, 'secure.json'), JSON.stringify(secure));
  writeFileSync(join(dir, 'plain.json'), JSON.stringify(plain));
  const result = await runCli(['compare', join(dir, 'plain.json'), join(dir, 'secure.json')], { timeoutMs: 20_000 });
  assert.match(
    result.stderr,
    /warning: the baseline \S+plain\.json ran with other TLS or compression in effect \(websocket\.tls off → TLSv1\.3\)/,
  );
  const same = await runCli(['compare', join(dir, 'secure.json'), join(dir, 'secure.json')], { timeoutMs: 20_000 });
  assert.doesNotMatch(same.stderr, /TLS or compression/);
});

test('target.tls with certificate files (relative to the scenario file): the clients trust it; a missing file names the key', async () => {
  const own = await createCertificate({ commonName: 'own', hosts: ['127.0.0.1'] });
  writeFileSync(join(dir, 'server.pem'), own.cert);
  writeFileSync(join(dir, 'server-key.pem'), own.key);
  const report = await runEngine(
    scenario(`target: { kind: builtin, tls: { cert: server.pem, key: server-key.pem } }
clients: { connections: 3 }
publish: { rate: 100/s, duration: 200ms }
drain: 1s
`),
    { workers: 1 },
  );
  const t = report.transports.websocket!;
  assert.equal(t.delivery.delivered, 3 * 20);
  assert.equal(t.tls?.handshakes, 3);
  await assert.rejects(
    runEngine(
      scenario(`target: { kind: builtin, tls: { cert: missing.pem, key: server-key.pem } }
clients: { connections: 1 }
publish: { rate: 10/s, duration: 100ms }
`),
      { workers: 1 },
    ),
    (e: Error & { code?: string }) => e.code === 'CONFIG' && /target\.tls\.cert/.test(e.message) && /missing\.pem: ENOENT/.test(e.message),
  );
});
