/**
 * `wsbench connect` driven as a child process through pipes against real local servers:
 * a `ws` server in-process on 127.0.0.1:0 (echo and misbehaving paths), a plain HTTP server
 * that refuses the upgrade, a redirect and a CONNECT proxy.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { runCli } from '../helpers/cli.js';
import { startCli } from '../helpers/interactive-cli.js';
import { waitFor } from '../helpers/processes.js';

let server: Server;
let wss: WebSocketServer;
let base: string;
let lastHeaders: IncomingHttpHeaders = {};
let lastPath = '';
let flakyHits = 0;
let proxy: Server;
let proxyUrl: string;
let proxied: string[] = [];
let releaseHold: () => void = () => {};
let holdRelease: Promise<void> = Promise.resolve();

before(async () => {
  wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has('chat') ? 'chat' : false) });
  server = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  server.on('upgrade', async (req, socket, head) => {
    lastHeaders = req.headers;
    const path = (req.url ?? '/').split('?')[0];
    lastPath = path ?? '';
    if (path === '/500') {
      const body = 'database is down\n' + 'x'.repeat(5000);
      socket.end(
        `HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nX-Reason: db\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    if (path === '/redirect') {
      socket.end('HTTP/1.1 302 Found\r\nLocation: /echo\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    if (path === '/hold') await holdRelease;
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => {});
      if (path === '/close4001') {
        ws.close(4001, 'bye');
        return;
      }
      const hit = path === '/flaky' ? ++flakyHits : 0;
      ws.on('message', (data, binary) => {
        if (path === '/drop') (ws as unknown as { _socket: Socket })._socket.destroy();
        else if (path === '/flaky' && hit === 1) ws.terminate();
        else if (path === '/flaky') ws.close(1000, 'done');
        else if (path === '/slow-echo') setTimeout(() => ws.send(data, { binary }), 50);
        else ws.send(data, { binary });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // A minimal HTTP CONNECT proxy.
  proxy = createServer();
  proxy.on('connect', (req, client, head) => {
    proxied.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = netConnect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

after(async () => {
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  proxy.closeAllConnections();
  await new Promise((r) => proxy.close(r));
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test('piped line: echoed back as "< hello", clean close, exit 0', async () => {
  const r = await runCli(['connect', `${base}/echo`], { input: 'hello\n', timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Connected \(press CTRL\+C to quit\)$/m);
  assert.match(r.stdout, /^> hello$/m);
  assert.match(r.stdout, /^< hello$/m);
  assert.match(r.stdout, /^Disconnected \(code: 1000, reason: ""\)$/m);
  assert.ok(!r.stdout.includes('\u001b'), 'no ANSI escapes on a pipe');
  assert.ok(await waitFor(() => wss.clients.size === 0, 5000), 'the server saw the socket closed');
});

test('piped line to a server that answers 50 ms later: the answer is waited for and printed, then a clean close', async () => {
  const r = await runCli(['connect', `${base}/slow-echo`], { input: 'hello\nagain\n', timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.deepEqual(
    lines.filter((l) => /^[<>] /.test(l)),
    ['> hello', '> again', '< hello', '< again'],
  );
  assert.ok(lines.indexOf('< again') < lines.findIndex((l) => l.startsWith('Disconnected (code: 1000')), r.stdout);
});

test('-x hi -w 1: sends, waits, closes cleanly, exit 0 (wscat positional -c form too)', async () => {
  const r = await runCli(['connect', '-c', `${base}/echo`, '-x', 'hi', '-x', 'there', '-w', '1'], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^< hi$/m);
  assert.match(r.stdout, /^< there$/m);
  assert.ok(r.stdout.indexOf('< hi') < r.stdout.indexOf('< there'));
});

test('lines piped before the handshake completes are queued and sent in order', async () => {
  holdRelease = new Promise((resolve) => (releaseHold = resolve));
  lastPath = '';
  const cli = startCli(['connect', `${base}/hold`]);
  cli.end('one\ntwo\nthree\n');
  // The upgrade request is held until the input has been written and closed.
  assert.ok(await waitFor(() => lastPath === '/hold', 10_000));
  releaseHold();
  const r = await cli.exited;
  assert.equal(r.code, 0, r.stderr);
  const received = r.stdout.split('\n').filter((l) => l.startsWith('< '));
  assert.deepEqual(received, ['< one', '< two', '< three']);
});

test('upgrade answered with 500: status, headers and the start of the body; exit 1', async () => {
  const r = await runCli(['connect', `${base}/500`], { timeoutMs: 20_000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^wsbench: error: the server refused the WebSocket upgrade: HTTP 500 Internal Server Error$/m);
  assert.match(r.stderr, /^ {2}x-reason: db$/m);
  assert.match(r.stderr, /^ {2}body \(start\):$/m);
  assert.match(r.stderr, /^ {4}database is down$/m);
  assert.ok(r.stderr.length < 4000, 'only the start of the body is shown');
  assert.ok(!r.stderr.includes('    at '), 'no stack trace');
});

test('connection refused: one error line, exit 1', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const r = await runCli(['connect', `ws://127.0.0.1:${port}/`], { timeoutMs: 20_000 });
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^wsbench: error: cannot connect to ws:\/\/127\.0\.0\.1:\d+\/: connection refused$/m);
});

test('connection dropped without a close frame (1006): exit 2', async () => {
  const r = await runCli(['connect', `${base}/drop`, '-x', 'boom', '-w', '-1'], { timeoutMs: 20_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stdout, /^Disconnected \(code: 1006, reason: ""\)$/m);
});

test('server closes with a code and reason: shown wscat-style, exit 0', async () => {
  const r = await runCli(['connect', `${base}/close4001`, '--keep-open'], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Disconnected \(code: 4001, reason: "bye"\)$/m);
});

test('wscat handshake flags: headers, --auth, --origin, --host, subprotocols', async () => {
  const r = await runCli(
    [
      'connect',
      `${base}/echo`,
      '-H',
      'X-Test: yes',
      '--header',
      'Cookie: a=b',
      '--auth',
      'alice:s3cret',
      '-o',
      'http://origin.test',
      '--host',
      'example.test',
      '-s',
      'nope',
      '-s',
      'chat',
      '-x',
      'x',
      '-w',
      '0',
    ],
    { timeoutMs: 20_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lastHeaders['x-test'], 'yes');
  assert.equal(lastHeaders.cookie, 'a=b');
  assert.equal(lastHeaders.authorization, `Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
  assert.equal(lastHeaders.origin, 'http://origin.test');
  assert.equal(lastHeaders.host, 'example.test');
  assert.equal(lastHeaders['sec-websocket-protocol'], 'nope,chat');
});

test('slash commands: binary frames as hex or base64, /file, /ping with round trip, -P', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wsbench-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'blob.bin');
  writeFileSync(file, Buffer.from([1, 2, 3, 250]));
  const input = ['/binary 00 ff 10', `/file ${file}`, '/ping probe', '//literal', '/nope', ''].join('\n');
  const r = await runCli(['connect', `${base}/echo`, '--slash', '-P'], { input, timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^< \[binary 3 B\] 00 ff 10$/m);
  assert.match(r.stdout, /^< \[binary 4 B\] 01 02 03 fa$/m);
  assert.match(r.stdout, /^< Received pong \(data: "probe"\)$/m);
  assert.match(r.stdout, /^Pong received: round trip [\d.]+ ms$/m);
  assert.match(r.stdout, /^< \/literal$/m);
  assert.match(r.stderr, /^error: unknown command "\/nope"/m);

  const b64 = await runCli(['connect', `${base}/echo`, '--slash', '--binary-format', 'base64'], {
    input: '/binary 68656c6c6f\n',
    timeoutMs: 20_000,
  });
  assert.match(b64.stdout, /^< \[binary 5 B, base64\] aGVsbG8=$/m);
});

test('without --slash a slash line is sent verbatim (wscat)', async () => {
  const r = await runCli(['connect', `${base}/echo`], { input: '/ping\n', timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^< \/ping$/m);
});

test('--ndjson: one JSON event per line', async () => {
  const r = await runCli(['connect', `${base}/echo`, '--ndjson'], { input: 'hi\n', timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; dir?: string; data?: string; code?: number });
  assert.deepEqual(
    events.map((e) => e.type),
    ['connecting', 'open', 'message', 'message', 'close'],
  );
  assert.deepEqual(events[3], { ...events[3], type: 'message', dir: 'in', data: 'hi' });
  assert.equal(events[4]!.code, 1000);
});

test('--pretty prints JSON with big numbers exactly', async () => {
  const r = await runCli(['connect', `${base}/echo`, '--pretty'], { input: '{"id":123456789012345678901234567890}\n', timeoutMs: 20_000 });
  assert.match(r.stdout, /^< \{\n {4}"id": 123456789012345678901234567890\n {2}\}$/m);
});

test('--reconnect: a dropped connection is retried and -x messages are sent again', async () => {
  flakyHits = 0;
  const r = await runCli(['connect', `${base}/flaky`, '--reconnect=2', '-x', 'hi', '-w', '-1'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(flakyHits, 2);
  assert.match(r.stdout, /^Disconnected \(code: 1006, reason: ""\)$/m);
  assert.match(r.stdout, /^Reconnecting in 0\.5 s \(attempt 1\)$/m);
  assert.match(r.stdout, /^Disconnected \(code: 1000, reason: "done"\)$/m);
  assert.equal(r.stdout.match(/^> hi$/gm)?.length, 2);
});

test('-L follows a redirect; without it the 302 is a failed handshake', async () => {
  const followed = await runCli(['connect', `${base}/redirect`, '-L'], { input: 'moved\n', timeoutMs: 20_000 });
  assert.equal(followed.code, 0, followed.stderr);
  assert.match(followed.stdout, /^< moved$/m);
  const refused = await runCli(['connect', `${base}/redirect`], { timeoutMs: 20_000 });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /HTTP 302 Found/);
  assert.match(refused.stderr, /^ {2}location: \/echo$/m);
});

test('--proxy tunnels through an HTTP CONNECT proxy', async () => {
  proxied = [];
  const r = await runCli(['connect', `${base}/echo`, '--proxy', proxyUrl], { input: 'via proxy\n', timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^< via proxy$/m);
  assert.deepEqual(proxied, [base.replace('ws://', '')]);
});

test('SIGINT: closes the connection and exits 130', async () => {
  const cli = startCli(['connect', `${base}/echo`, '--keep-open']);
  await cli.waitForStdout(/Connected/);
  assert.ok(await waitFor(() => wss.clients.size === 1, 5000));
  cli.child.kill('SIGINT');
  const r = await cli.exited;
  assert.equal(r.code, 130, r.stderr);
  assert.ok(await waitFor(() => wss.clients.size === 0, 5000), 'socket closed');
});

test('bad flags: one line, exit 1', async () => {
  const r = await runCli(['connect', 'ws://127.0.0.1:1', '--wait', '-5'], { timeoutMs: 20_000 });
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), 'wsbench: error: --wait: must be seconds ≥ 0, or -1 to stay open');
  const unknown = await runCli(['connect', 'ws://127.0.0.1:1', '--frobnicate'], { timeoutMs: 20_000 });
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, 'wsbench: error: Unknown argument: frobnicate (wsbench connect --help lists the options)\n');
});

test('--listen: serves one client, prints what it sends, sends what is typed, exits 0 at EOF', async () => {
  const cli = startCli(['connect', '-l', '0', '--bind', '127.0.0.1', '--slash']);
  const out = await cli.waitForStdout(/Listening on port \d+ \(press CTRL\+C to quit\)/);
  const port = Number(/Listening on port (\d+)/.exec(out)![1]);
  cli.write('queued before the client\n');
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const received: string[] = [];
  client.on('message', (d) => received.push(d.toString()));
  await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
  await cli.waitForStdout(/^Client connected$/m);
  client.send('from client');
  await cli.waitForStdout(/^< from client$/m);
  cli.write('typed reply\n');
  assert.ok(await waitFor(() => received.length === 2, 5000), String(received));
  assert.deepEqual(received, ['queued before the client', 'typed reply']);
  const closed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
  cli.end();
  const r = await cli.exited;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await closed, 1000);
});
