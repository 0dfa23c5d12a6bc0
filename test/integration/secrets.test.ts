/**
 * Secrets never reach an output. A raw target `ws://user:secret@…/ws/{channel}?token=secret`
 * with an `X-Session: secret` header, run for real (real redis-server, the faulty relay, a server
 * that refuses and echoes what it was sent): the word "secret" appears nowhere — stdout, stderr,
 * --out JSON, --json NDJSON, --junit, --markdown, --hlog, error lines, the "NOT COMPLETED"
 * heading, --verbose stacks and cause chains, and `wsbench connect`'s output — and, through the
 * library's `runScenario`, the report, verdict, events and errors it hands to its caller.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { startTestRedis } from '../helpers/redis.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startFaultyRelay, type FaultyRelay, HEARTBEAT } from '../fixtures/faulty-relay.js';
import { parseScenario, RunFailedError, runScenario, textSummary } from '../../src/index.js';

const SECRET = 'secret';
let redis: EmbeddedRedis;
let relay: FaultyRelay;
let echo: Server;
let dir: string;

before(async () => {
  redis = await startTestRedis();
  relay = await startFaultyRelay(redis.url);
  // Refuses every upgrade with 401 and echoes back what it was sent: the URL and every header.
  // Plain HTTP requests get a WebSocket that greets with the same echo (for `connect`).
  echo = createServer((req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  echo.on('upgrade', (req, socket, head) => {
    const said = `you sent ${req.url} with ${JSON.stringify(req.headers)}`;
    if (req.url?.includes('/refuse/')) {
      socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${said}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(said);
      ws.on('message', () => ws.close(4001, `bad session ${req.headers['x-session']}`));
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  dir = await mkdtemp(join(tmpdir(), 'wsbench-secrets-'));
});
after(async () => {
  echo?.close();
  await relay?.close();
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function withSecrets(url: string): string {
  const u = url.replace('ws://', `ws://user:${SECRET}@`);
  return `${u}${u.includes('?') ? '&' : '?'}token=${SECRET}`;
}

function scenario(url: string, extra = ''): string {
  return `name: redaction
redis: { url: "${redis.url}" }
target:
  kind: raw
  url: "${withSecrets(url)}"
  redisChannel: "relay:{channel}"
  ignore: ["${HEARTBEAT}"]
  headers: { X-Session: ${SECRET}, X-Trace: visible-trace }
  publicHeaders: [x-trace]
${extra}clients: { connections: 3 }
publish: { rate: 50/s, duration: 300ms, channels: [news] }
drain: 500ms
`;
}

function assertNoSecret(what: string, text: string): void {
  const at = text.indexOf(SECRET);
  assert.equal(at, -1, `"${SECRET}" in ${what}: …${text.slice(Math.max(0, at - 120), at + 60)}…`);
}

function assertNoSecretIn(result: CliResult, files: Record<string, string> = {}): void {
  assertNoSecret('stdout', result.stdout);
  assertNoSecret('stderr', result.stderr);
  for (const [name, text] of Object.entries(files)) assertNoSecret(name, text);
}

test('a completed run: summary, progress, --verbose, --out, --junit, --markdown, --hlog carry no secret', async () => {
  const file = join(dir, 'ok.yaml');
  await writeFile(file, scenario(relay.url));
  const out = join(dir, 'ok.json');
  const junit = join(dir, 'ok.xml');
  const markdown = join(dir, 'ok.md');
  const hlog = join(dir, 'ok.hlog');
  const result = await runCli(
    ['run', file, '--verbose', '--out', out, '--junit', junit, '--markdown', markdown, '--hlog', hlog, '-t', 'delivery.lostRatio < 1'],
    { timeoutMs: 60_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  const files = {
    report: await readFile(out, 'utf8'),
    junit: await readFile(junit, 'utf8'),
    markdown: await readFile(markdown, 'utf8'),
    hlog: await readFile(hlog, 'utf8'),
  };
  assertNoSecretIn(result, files);
  const report = JSON.parse(files.report) as { scenario: { target: { url: string; headers: Record<string, string> } } };
  // Redacted where they were, not dropped: the reader sees that there was a value.
  assert.match(report.scenario.target.url, /^ws:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/ws\/\{channel\}\?token=\*\*\*$/);
  assert.deepEqual(report.scenario.target.headers, { 'X-Session': '***', 'X-Trace': 'visible-trace' });
});

test('--json: every NDJSON line and the report carry no secret', async () => {
  const file = join(dir, 'json.yaml');
  await writeFile(file, scenario(relay.url));
  const result = await runCli(['run', file, '--json'], { timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /"type":"report"/);
  assertNoSecretIn(result);
});

test('a run that cannot connect: the error line, the NOT COMPLETED heading, --verbose stacks and causes, the report', async () => {
  const file = join(dir, 'refused.yaml');
  // Port 1: nothing listens; every connection is refused and the run stops with the URL in its reason.
  await writeFile(file, scenario('ws://127.0.0.1:1/ws/{channel}', '  readiness: { numsub: 0 }\n'));
  const out = join(dir, 'refused.json');
  const junit = join(dir, 'refused.xml');
  const result = await runCli(['run', file, '--verbose', '--out', out, '--junit', junit, '-t', 'delivery.lostRatio < 1'], {
    timeoutMs: 60_000,
  });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stdout, /NOT COMPLETED \(no connection to raw ws:\/\/user:\*\*\*@127\.0\.0\.1:1\/ws\/\{channel\}\?token=\*\*\*/);
  assert.match(result.stderr, /^\s+at /m, '--verbose shows the stack');
  assertNoSecretIn(result, { report: await readFile(out, 'utf8'), junit: await readFile(junit, 'utf8') });
});

test("a server that refuses and echoes the token, the header and the URL: the run's error samples carry no secret", async () => {
  const { port } = echo.address() as AddressInfo;
  const file = join(dir, 'echo.yaml');
  await writeFile(file, scenario(`ws://127.0.0.1:${port}/refuse/{channel}`, '  readiness: { numsub: 0 }\n'));
  const out = join(dir, 'echo.json');
  const result = await runCli(['run', file, '--verbose', '--out', out], { timeoutMs: 60_000 });
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr, /HTTP 401/, 'the refusal is reported');
  assert.match(result.stderr, /\*\*\*/, 'with the secrets replaced');
  assertNoSecretIn(result, { report: await readFile(out, 'utf8') });
});

test('the library: runScenario returns, emits and throws nothing that carries a secret (its caller prints it)', async () => {
  const { port } = echo.address() as AddressInfo;
  // Accepted, then closed with a reason that echoes the session header: the error samples carry it.
  const events: unknown[] = [];
  const { report, gate } = await runScenario(
    parseScenario(scenario(`ws://127.0.0.1:${port}/ws/{channel}`, '  readiness: { numsub: 0 }\n  send: [hello]\n')),
    { thresholds: ['delivery.lostRatio < 1'], onEvent: (e) => events.push(e) },
  );
  const ws = report.transports.websocket!;
  assert.match(ws.errorSamples['socket.closed-4001'] ?? '', /bad session \*\*\*/, JSON.stringify(ws.errorSamples));
  assertNoSecret('the returned report', JSON.stringify(report));
  assertNoSecret('the returned verdict', JSON.stringify(gate));
  assertNoSecret('the events', JSON.stringify(events));
  // What a caller prints from it (the reporters are pure: they print what they are given).
  assertNoSecret('textSummary', textSummary(report));
  assert.match(JSON.stringify(report.scenario), /user:\*\*\*@/, 'redacted where it was');

  // Refused with 401 and the echo: the run fails, and the error, its partial report and its verdict
  // are what the caller gets.
  const failed = await runScenario(parseScenario(scenario(`ws://127.0.0.1:${port}/refuse/{channel}`, '  readiness: { numsub: 0 }\n')), {
    thresholds: ['delivery.lostRatio < 1'],
  }).then(
    () => assert.fail('a run that cannot connect throws'),
    (e: unknown) => e,
  );
  assert.ok(failed instanceof RunFailedError, String(failed));
  assert.match(JSON.stringify(failed.report.transports.websocket?.errorSamples), /HTTP 401/, 'the refusal is in the samples');
  assertNoSecret('the error message', failed.message);
  assertNoSecret('the error stack', failed.stack ?? '');
  assertNoSecret('the error cause', String((failed.cause as Error | undefined)?.message));
  assertNoSecret('the partial report', JSON.stringify(failed.report));
  assertNoSecret('the verdict on it', JSON.stringify(failed.gate));
});

test('wsbench connect: URL userinfo, query token and header values never printed, even when the server echoes them', async () => {
  const { port } = echo.address() as AddressInfo;
  const accepted = await runCli(
    ['connect', withSecrets(`ws://127.0.0.1:${port}/ws/news`), '-H', `X-Session: ${SECRET}`, '-x', 'hello', '-w', '1'],
    { timeoutMs: 20_000 },
  );
  assert.match(accepted.stdout, /^< you sent \/ws\/news\?token=\*\*\* with /m, accepted.stdout + accepted.stderr);
  assert.match(accepted.stdout, /Disconnected \(code: 4001, reason: "bad session \*\*\*"\)/);
  assertNoSecretIn(accepted);

  const refused = await runCli(['connect', withSecrets(`ws://127.0.0.1:${port}/refuse/news`), '-H', `X-Session: ${SECRET}`, '--verbose'], {
    timeoutMs: 20_000,
  });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /HTTP 401/);
  assertNoSecretIn(refused);

  const ndjson = await runCli(
    ['connect', withSecrets(`ws://127.0.0.1:${port}/ws/news`), '-H', `X-Session: ${SECRET}`, '-x', 'hello', '-w', '1', '--ndjson'],
    { timeoutMs: 20_000 },
  );
  assert.match(ndjson.stdout, /"type":"message"/);
  assertNoSecretIn(ndjson);
});
