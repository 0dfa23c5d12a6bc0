/**
 * A hostile server (a real one on 127.0.0.1) cannot drive the user's terminal through wsbench:
 * close reasons, HTTP error bodies and messages carrying escape sequences (set the title, clear
 * the screen, bell), bidi overrides and fake lines are shown visibly escaped in every output, and
 * a garbage close frame is reported as a protocol error that names the invalid code, not as a
 * close code.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import type { RunReport } from '../../src/results/types.js';
import { startTestRedis } from '../helpers/redis.js';
import { runCli, type CliResult } from '../helpers/cli.js';

/** Title change, clear screen, bell, a right-to-left override and a line that pretends to be wsbench's. */
const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J\u202eevil\r\nwsbench: error: fake';
/** Anything that can act on a terminal: C0 controls but \n, DEL, C1 controls, bidi controls. */
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let redis: EmbeddedRedis;
let server: Server;
let port: number;
let dir: string;

before(async () => {
  redis = await startTestRedis();
  server = createServer((_, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket: Socket, head) => {
    const path = req.url ?? '';
    if (path.startsWith('/refuse/')) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${HOSTILE}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (path.startsWith('/close/')) ws.close(4000, HOSTILE);
      // A close frame whose "code" is two arbitrary bytes (0x7212 = 29202), written raw: `ws` would refuse to send it.
      else if (path.startsWith('/garbage/')) socket.write(Buffer.from([0x88, 0x02, 0x72, 0x12]));
      else if (path.startsWith('/message/')) {
        ws.send(HOSTILE);
        ws.on('message', () => ws.close(4000, HOSTILE));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  dir = await mkdtemp(join(tmpdir(), 'wsbench-hostile-'));
});
after(async () => {
  server?.close();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function assertInert(what: string, text: string): void {
  const m = UNSAFE.exec(text);
  assert.equal(
    m,
    null,
    `${what} carries U+${m?.[0].charCodeAt(0).toString(16).padStart(4, '0')}: …${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 80), (m?.index ?? 0) + 40))}…`,
  );
}

function assertAllInert(result: CliResult, files: Record<string, string> = {}): void {
  assertInert('stdout', result.stdout);
  assertInert('stderr', result.stderr);
  for (const [name, text] of Object.entries(files)) assertInert(name, text);
}

async function run(
  path: string,
  client: 'fast' | 'ws',
  extra: string[] = [],
): Promise<{ result: CliResult; report: RunReport; files: Record<string, string> }> {
  const file = join(dir, `${path}-${client}.yaml`);
  await writeFile(
    file,
    `redis: { url: "${redis.url}" }
target: { kind: raw, url: "ws://127.0.0.1:${port}/${path}/{channel}", readiness: { numsub: 0 } }
clients: { connections: 2, wsClient: ${client} }
publish: { rate: 20/s, duration: 300ms }
drain: 200ms
`,
  );
  const out = join(dir, `${path}-${client}.json`);
  const junit = join(dir, `${path}-${client}.xml`);
  const markdown = join(dir, `${path}-${client}.md`);
  const result = await runCli(
    ['run', file, '--out', out, '--junit', junit, '--markdown', markdown, '-t', 'delivery.lostRatio < 2', ...extra],
    {
      timeoutMs: 60_000,
    },
  );
  assert.notEqual(result.code, 70, result.stderr);
  const files = { report: await readFile(out, 'utf8'), junit: await readFile(junit, 'utf8'), markdown: await readFile(markdown, 'utf8') };
  return { result, report: JSON.parse(files.report) as RunReport, files };
}

for (const client of ['fast', 'ws'] as const) {
  test(`${client} client: a hostile close reason is shown escaped in the summary, the error samples and every file`, async () => {
    const { result, report, files } = await run('close', client);
    assertAllInert(result, files);
    const sample = report.transports.websocket!.errorSamples['socket.closed-4000'];
    assert.ok(sample, JSON.stringify(report.transports.websocket!.errors));
    assert.equal(sample, '\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil\\r\\nwsbench: error: fake');
    assert.match(result.stdout, /socket\.closed-4000: \\x1b\]0;pwned\\x07\\x1b\[2J\\u202eevil\\r\\nwsbench: error: fake/);
  });

  test(`${client} client: a hostile HTTP error body is shown escaped in the error line and the report`, async () => {
    const { result, report, files } = await run('refuse', client, ['--verbose']);
    assert.equal(result.code, 3, result.stderr);
    assertAllInert(result, files);
    assert.match(result.stderr, /^wsbench: error: .*HTTP 403.*\\x1b\]0;pwned/m);
    assert.match(report.run.stopReason ?? '', /HTTP 403/);
  });

  test(`${client} client: a garbage close frame is a protocol error naming the invalid code, not "close code 29202"`, async () => {
    const { result, report, files } = await run('garbage', client);
    assertAllInert(result, files);
    const errors = report.transports.websocket!.errors;
    assert.ok(!Object.keys(errors).some((k) => k.includes('29202')), JSON.stringify(errors));
    const samples = Object.values(report.transports.websocket!.errorSamples).join('\n');
    assert.match(
      samples,
      client === 'fast' ? /invalid close frame: close code 29202 \(not a valid close code, RFC 6455 §7\.4\)/ : /invalid status code 29202/,
    );
  });
}

test('wsbench connect: a hostile message and close reason are printed escaped, plain and as NDJSON', async () => {
  const url = `ws://127.0.0.1:${port}/message/x`;
  const plain = await runCli(['connect', url, '-x', 'hi', '-w', '1'], { timeoutMs: 20_000 });
  assertAllInert(plain);
  assert.match(plain.stdout, /^< \\x1b\]0;pwned\\x07\\x1b\[2J\\u202eevil\\r$/m);
  // The message's own line break gives an indented continuation line, not a line of wsbench's.
  assert.match(plain.stdout, /^ {2}wsbench: error: fake$/m);
  assert.doesNotMatch(plain.stdout, /^wsbench: error: fake/m);
  assert.match(plain.stdout, /Disconnected \(code: 4000, reason: .*\\u001b\]0;pwned/);

  const ndjson = await runCli(['connect', url, '-x', 'hi', '-w', '1', '--ndjson'], { timeoutMs: 20_000 });
  assertAllInert(ndjson);
  const events = ndjson.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; dir?: string; data?: string; reason?: string });
  // NDJSON keeps the data exactly (JSON escapes it): a script gets what the server sent.
  assert.equal(events.find((e) => e.type === 'message' && e.dir === 'in')?.data, HOSTILE);
  assert.equal(events.find((e) => e.type === 'close')?.reason, HOSTILE);

  const refused = await runCli(['connect', `ws://127.0.0.1:${port}/refuse/x`], { timeoutMs: 20_000 });
  assert.equal(refused.code, 1);
  assertAllInert(refused);
  assert.match(refused.stderr, /403/);
});
