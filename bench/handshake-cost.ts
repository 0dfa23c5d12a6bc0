/**
 * What opening one connection costs the client side, upgrade included (issue 16): in this one
 * process, N WebSocket connections are opened to the reference server (2 processes, its own
 * embedded Redis) with at most `--in-flight` handshakes at once, by each client in turn — a bare
 * net.Socket sending the upgrade request and waiting for the answer (the floor for any client on
 * Node's sockets), the `ws` library's client (the anchor) and wsbench's fast client. For each: this
 * process's CPU (user + system, process.cpuUsage) from the first open to the last, ÷ N, and the
 * handshakes per second. Closing is not measured. The server and Redis share the machine, so the
 * rate is the pair's; the CPU per handshake is the client's alone.
 *
 *   node dist/bench/handshake-cost.js [--connections 4000] [--in-flight 256] [--clients net,ws,fast] [--rounds 3] [--no-bind]
 *
 * Profile one client: node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/handshake-cost.js --clients fast
 */
import { connect, type Socket } from 'node:net';
import { startEmbeddedRedis } from '../src/redis/embedded.js';
import { spawnServer } from '../src/server/spawn.js';
import { createFastWebSocketClient } from '../src/transports/fast-websocket/client.js';
import { createWebSocketClient } from '../src/transports/ws-library-client.js';
import type { ConnectOptions, TransportClient, TransportEvents } from '../src/transports/transport.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1]! : fallback;
};
const connections = Number(arg('connections', '4000'));
const inFlight = Number(arg('in-flight', '256'));
const rounds = Number(arg('rounds', '3'));
const clients = arg('clients', 'net,ws,fast').split(',') as Client[];
/** --no-bind: let the kernel choose the source address and port (no bind before connect). */
const bind = !args.includes('--no-bind');

type Client = 'net' | 'ws' | 'fast';

/** Connections per source address (the kernel's port search stays fast well below its range). */
const PER_ADDRESS = 5000;
/**
 * Each batch of opens gets source addresses of its own: the previous batch's closed sockets sit in
 * TIME_WAIT on their ports, and connect()'s search for a free port past them costs system CPU that
 * grows with every round (measured: 0.1 → 1.9 ms per handshake over three rounds on one address).
 */
let batch = 0;
const sourceAddress = (i: number) => `127.${60 + batch}.${Math.floor(i / PER_ADDRESS)}.1`;

const UPGRADE = (port: number, i: number) =>
  `GET /ws/hs-${i % 10} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

interface Opened {
  close(): Promise<void>;
}

function opener(client: Client, url: string): (i: number) => Promise<Opened> {
  const port = Number(new URL(url).port);
  const events: TransportEvents = { onMessage() {}, onClose() {}, onError() {} };
  if (client === 'net')
    return (i) =>
      new Promise((resolve, reject) => {
        const socket: Socket = connect({ host: '127.0.0.1', port, ...(bind ? { localAddress: sourceAddress(i) } : {}) });
        socket.once('connect', () => socket.write(UPGRADE(port, i)));
        socket.once('data', () => resolve({ close: () => new Promise((r) => socket.end(r)) }));
        socket.on('data', () => {});
        socket.once('error', reject);
      });
  const create = client === 'fast' ? createFastWebSocketClient : createWebSocketClient;
  return async (i) => {
    const options: ConnectOptions = {
      url: `${url}/ws/hs-${i % 10}`,
      clientIndex: i,
      headers: {},
      subprotocols: [],
      timeoutMs: 30_000,
      maxPayload: 1024,
      ...(bind ? { localAddress: sourceAddress(i) } : {}),
    };
    const transport: TransportClient = create(options, events);
    await transport.open();
    return { close: () => transport.close() };
  };
}

/** Opens `n` connections with at most `limit` in flight; the CPU and wall time of opening them. */
async function openAll(open: (i: number) => Promise<Opened>, n: number, limit: number) {
  batch++;
  const held: Opened[] = [];
  let next = 0;
  let failed = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const lane = async () => {
    while (next < n) {
      const i = next++;
      try {
        held.push(await open(i));
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  await Promise.all(held.map((h) => h.close().catch(() => {})));
  return { opened: held.length, failed, wallMs, cpuMs };
}

async function main(): Promise<void> {
  const redis = await startEmbeddedRedis();
  let server: Awaited<ReturnType<typeof spawnServer>> | null = null;
  try {
    server = await spawnServer(
      { host: '127.0.0.1', port: 0, redisUrl: redis.url, maxPayload: 1024, perMessageDeflate: false, processes: 2 },
      60_000,
    );
    console.log(
      `${connections} connections, at most ${inFlight} in flight, ${rounds} rounds per client; reference server with 2 processes`,
    );
    for (const client of clients) {
      const open = opener(client, server.url);
      // Warm-up: the JIT and the server's channels.
      await openAll(open, Math.min(500, connections), inFlight);
      for (let r = 1; r <= rounds; r++) {
        const m = await openAll(open, connections, inFlight);
        console.log(
          `${client.padEnd(5)} round ${r}: ${Math.round((m.cpuMs * 1000) / m.opened)} µs CPU per handshake (client process), ` +
            `${Math.round((m.opened * 1000) / m.wallMs)} handshakes/s, ${m.opened} opened, ${m.failed} failed in ${Math.round(m.wallMs)} ms`,
        );
      }
    }
  } finally {
    await server?.stop();
    await redis.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
