/**
 * permessage-deflate end to end with real processes on loopback: the reference server compressing
 * once per channel (and per recipient with context takeover), a `ws` relay compressing with
 * takeover, a server that requires compression, one that declines it; identical ledgers with and
 * without compression and between the two clients; invalid compressed data (1007) and a message
 * inflating past maxPayload (1009) on the fast client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { deflateRawSync } from 'node:zlib';
import { WebSocketServer } from 'ws';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import type { DeliveryReport, RunReport } from '../../src/results/types.js';
import { createFastWebSocketClient } from '../../src/transports/fast-websocket/client.js';
import { startTestRedis } from '../helpers/redis.js';
import { startWsRelay, type WsRelay } from '../fixtures/ws-relay.js';

let redis: EmbeddedRedis;
let deflating: WsRelay;
let requiring: WsRelay;
let plain: WsRelay;

before(async () => {
  redis = await startTestRedis();
  deflating = await startWsRelay(redis.url, { perMessageDeflate: { threshold: 0 } });
  requiring = await startWsRelay(redis.url, { perMessageDeflate: { threshold: 0 }, requireCompression: true });
  plain = await startWsRelay(redis.url);
});
after(async () => {
  await Promise.all([deflating?.close(), requiring?.close(), plain?.close()]);
  await redis?.stop();
});

async function run(yaml: string): Promise<RunReport> {
  return runEngine(parseScenarioText(`redis: { url: "${redis.url}" }\n${yaml}`, 'compression.yaml'), { workers: 1 });
}

const PUBLISH = 'publish: { rate: 200/s, duration: 300ms, channels: 2, payloadSize: 1KiB, padding: json }\ndrain: 1s';

function relayTarget(relay: WsRelay): string {
  return `target: { kind: raw, url: "${relay.url}", redisChannel: "relay:{channel}", readiness: { numsub: 1 } }`;
}

function ledger(report: RunReport): DeliveryReport {
  return report.transports.websocket!.delivery;
}

test('reference server: the same ledger with and without compression, both clients; ratio below 1 only when compressed', async () => {
  const ledgers: DeliveryReport[] = [];
  for (const client of ['fast', 'ws'] as const) {
    for (const [server, offer] of [
      ['false', 'off'],
      ['true', 'offer'],
      ['{ serverNoContextTakeover: false }', 'offer'],
    ] as const) {
      const report = await run(`target: { kind: builtin, perMessageDeflate: ${server} }
clients: { connections: 6, wsClient: ${client}, compression: ${offer} }
${PUBLISH}`);
      const t = report.transports.websocket!;
      assert.equal(t.delivery.delivered, 6 * 30, `${client} ${server}`);
      ledgers.push(t.delivery);
      const c = t.compression!;
      if (offer === 'off') {
        assert.equal(c.connections, 0);
        assert.ok(c.ratio > 1, `uncompressed: framing and the handshake on top (${c.ratio})`);
      } else {
        assert.equal(c.connections, 6, `${client} ${server}`);
        assert.equal(c.share, 1);
        assert.ok(c.ratio < 0.7, `${client} ${server}: compressed JSON-like payloads (${c.ratio})`);
        const [params] = Object.keys(c.parameters);
        // The server answers server_no_context_takeover unasked unless configured not to.
        if (server === 'true') assert.match(params!, /server_no_context_takeover/);
        else assert.doesNotMatch(params!, /server_no_context_takeover/);
      }
      assert.equal(c.payloadBytes, 1024 * t.delivery.delivered);
    }
  }
  for (const l of ledgers) assert.deepEqual(l, ledgers[0]);
});

test('a ws server with perMessageDeflate (context takeover): same ledger as the uncompressed run, both clients', async () => {
  const ledgers: DeliveryReport[] = [];
  for (const client of ['fast', 'ws'] as const) {
    for (const mode of ['off', 'offer'] as const) {
      const report = await run(`${relayTarget(deflating)}
clients: { connections: 4, wsClient: ${client}, compression: ${mode} }
${PUBLISH}`);
      ledgers.push(ledger(report));
      const c = report.transports.websocket!.compression!;
      assert.equal(c.connections, mode === 'off' ? 0 : 4, `${client} ${mode}`);
      if (mode === 'offer') {
        assert.match(Object.keys(c.parameters)[0]!, /^permessage-deflate; server_max_window_bits=15/);
        assert.ok(c.ratio < 0.7, `${client}: ${c.ratio}`);
      }
    }
  }
  assert.equal(ledgers[0]!.delivered, 4 * 30);
  for (const l of ledgers) assert.deepEqual(l, ledgers[0]);
});

test('a server that requires compression: the fast client with require works, without an offer it is refused', async () => {
  const report = await run(`${relayTarget(requiring)}
clients: { connections: 3, compression: require, deflate: { serverNoContextTakeover: true } }
${PUBLISH}`);
  assert.equal(ledger(report).delivered, 3 * 30);
  assert.match(Object.keys(report.transports.websocket!.compression!.parameters)[0]!, /server_no_context_takeover/);
  await assert.rejects(
    run(`${relayTarget(requiring)}
clients: { connections: 2 }
${PUBLISH}`),
    (e: Error) => {
      assert.match(e.message, /connect\.http-400 ×2/);
      return true;
    },
  );
});

test('require against a server that declines: one clear line, both clients', async () => {
  for (const client of ['fast', 'ws'] as const) {
    await assert.rejects(
      run(`${relayTarget(plain)}
clients: { connections: 2, compression: require, wsClient: ${client} }
${PUBLISH}`),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'TARGET_UNREACHABLE');
        assert.doesNotMatch(e.message, /\n/);
        assert.match(
          e.message,
          /connect\.compression-declined ×2 \(server did not accept permessage-deflate, which compression: require needs\)/,
        );
        return true;
      },
    );
  }
});

// ─── invalid data and oversize, on the fast client's own connection ──────────────────────────

/** A server that negotiates permessage-deflate (no takeover) and then writes `frame` raw to the socket. */
async function scriptedServer(frame: Buffer): Promise<{ url: string; close(): Promise<void> }> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: { serverNoContextTakeover: true } });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    (ws as unknown as { _socket: Socket })._socket.write(frame);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/`,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function compressedFrame(payload: Buffer): Buffer {
  const head =
    payload.length < 126 ? Buffer.from([0xc2, payload.length]) : Buffer.from([0xc2, 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, payload]);
}

for (const c of [
  {
    name: 'invalid compressed data closes with 1007',
    payload: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01]),
    code: 1007,
    reason: /invalid compressed message/,
  },
  {
    name: 'a message inflating past maxPayload closes with 1009',
    // 64 KiB of zeros compress to a few hundred bytes; the client accepts 4 KiB.
    payload: deflateRawSync(Buffer.alloc(64 * 1024), { finishFlush: 2 }).subarray(0, -4),
    code: 1009,
    reason: /exceeds the maximum payload/,
  },
]) {
  test(`fast client: ${c.name}`, async () => {
    const server = await scriptedServer(compressedFrame(c.payload));
    try {
      let closed: { code: number; reason: string } | null = null;
      let messages = 0;
      const client = createFastWebSocketClient(
        {
          url: server.url,
          clientIndex: 0,
          headers: {},
          subprotocols: [],
          timeoutMs: 5000,
          maxPayload: 4096,
          compression: { mode: 'require', offer: { clientMaxWindowBits: true }, inflatePrefix: null },
        },
        {
          onMessage: () => messages++,
          onClose: (code, reason) => (closed = { code, reason }),
          onError: () => {},
        },
      );
      await client.open();
      const deadline = Date.now() + 5000;
      while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(closed, 'the connection was closed');
      const { code, reason } = closed as { code: number; reason: string };
      assert.equal(code, c.code);
      assert.match(reason, c.reason);
      assert.equal(messages, 0);
      await client.close();
    } finally {
      await server.close();
    }
  });
}

test('a 1007 in a run is counted as an error of that kind', async () => {
  const server = await scriptedServer(compressedFrame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01])));
  try {
    const report = await run(`target: { kind: raw, url: "${server.url}{channel}", readiness: { numsub: 0 } }
clients: { connections: 2, compression: offer }
publish: { rate: 10/s, duration: 200ms }
drain: 200ms`);
    const t = report.transports.websocket!;
    assert.equal(t.errors['socket.dropped-1007'], 2, JSON.stringify(t.errors));
    assert.match(t.errorSamples['socket.dropped-1007']!, /invalid compressed message/);
  } finally {
    await server.close();
  }
});
