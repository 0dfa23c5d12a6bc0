/**
 * The fast WebSocket client against the `ws` client: the same ledger on the same deliberately
 * faulty target, both complete on the reference server, and the same one-line handshake errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import type { RunReport } from '../../src/results/types.js';
import { startTestRedis } from '../helpers/redis.js';
import { HEARTBEAT, startFaultyRelay, type FaultyRelay } from '../fixtures/faulty-relay.js';

let redis: EmbeddedRedis;
let relay: FaultyRelay;
let failing: Server;

before(async () => {
  redis = await startTestRedis();
  relay = await startFaultyRelay(redis.url);
  failing = createServer((_, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('database is on fire'));
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
});
after(async () => {
  failing?.close();
  await relay?.close();
  await redis?.stop();
});

async function runWith(client: 'fast' | 'ws', targetYaml: string, publish: string): Promise<RunReport> {
  const scenario = parseScenarioText(
    `redis: { url: "${redis.url}" }
${targetYaml}
clients: { connections: 6, wsClient: ${client} }
publish: ${publish}
drain: 1s
`,
    `${client}.yaml`,
  );
  return runEngine(scenario, { workers: 1 });
}

test('fast and ws clients count the same deliveries, losses, duplicates, reorders and ignored messages', async () => {
  const target = `target: { kind: raw, url: "${relay.url}", redisChannel: "relay:{channel}", ignore: ["${HEARTBEAT}"] }`;
  const publish = '{ rate: 300/s, duration: 200ms, channels: [faulty] }';
  const fast = (await runWith('fast', target, publish)).transports.websocket!.delivery;
  const ws = (await runWith('ws', target, publish)).transports.websocket!.delivery;
  assert.deepEqual(fast, ws);
  assert.ok(fast.lost > 0 && fast.duplicated > 0 && fast.reordered > 0, 'the relay did its faults');
});

test('both clients receive everything from the reference server, binary and text payloads', async () => {
  for (const encoding of ['binary', 'text']) {
    for (const client of ['fast', 'ws'] as const) {
      const report = await runWith(
        client,
        'target: { kind: builtin }',
        `{ rate: 200/s, duration: 300ms, channels: 2, payloadSize: 200, encoding: ${encoding} }`,
      );
      const d = report.transports.websocket!.delivery;
      assert.equal(d.delivered, d.expected, `${client} ${encoding}`);
      assert.equal(d.expected, 60 * 3);
    }
  }
});

test('a 500 on upgrade is reported with the status and the start of the body by both clients', async () => {
  const { port } = failing.address() as AddressInfo;
  for (const client of ['fast', 'ws'] as const) {
    await assert.rejects(
      runWith(
        client,
        `target: { kind: raw, url: "ws://127.0.0.1:${port}/ws/{channel}", readiness: { numsub: 0 } }`,
        '{ rate: 10, duration: 1s }',
      ),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'TARGET_UNREACHABLE', client);
        assert.match(e.message, /connect\.http-500 ×6 \(HTTP 500 .*database is on fire\)/, `${client}: ${e.message}`);
        return true;
      },
    );
  }
});
