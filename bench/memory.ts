/**
 * What one open connection costs the tool in memory, layer by layer, so the figure can be
 * explained and not only stated. Each layer runs in a fresh child process (with --expose-gc): it
 * opens `--connections` WebSocket connections to the reference server, and memory is read after a
 * full GC at one third and at all of them; the difference divided by the connections in between is
 * the marginal cost (the process's fixed cost — code, young generation, buffers — falls out). Every
 * layer runs with the 1 MiB young generation that workers of the fast client use.
 *
 *   node dist/bench/memory.js [--connections 15000] [--layers net,fast,ws,pool,tls,fast-tls,ws-tls,pool-tls,fast-deflate] [--snapshot]
 *
 * Layers:
 *   net   a bare net.Socket that sends the upgrade request and reads into a shared buffer (the
 *         floor for any client built on Node's sockets);
 *   fast  wsbench's fast WebSocket client (transports/fast-websocket/), opened and idle;
 *   ws    the `ws` library's client (the conformance transport);
 *   pool  what a worker holds: ClientPool with the fast client, ledger and protocol per client;
 *   tls, fast-tls, ws-tls, pool-tls   the same over wss:// (the reference server with a generated
 *         certificate, TLS 1.3): `tls` is a bare tls.connect socket sending the upgrade request,
 *         the floor for a TLS client on Node's sockets;
 *   fast-deflate  the fast client with permessage-deflate negotiated (server_no_context_takeover:
 *         no inflate context per connection; with takeover each connection would add a zlib
 *         context once messages flow, bench/results/deflate.txt).
 * --snapshot also writes a heap snapshot at the end of each layer and prints the heap by
 * constructor per connection (objects that exist about once or more per connection).
 */
import { fork } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import { selfSignedServerCertificate } from '../src/server/certificates.js';
import { DEFAULT_CLIENT_TLS } from '../src/transports/tls.js';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { startEmbeddedRedis } from '../src/redis/embedded.js';
import { spawnServer } from '../src/server/spawn.js';
import { createFastWebSocketClient } from '../src/transports/fast-websocket/client.js';
import { createWebSocketClient } from '../src/transports/ws-library-client.js';
import type { ConnectOptions, TransportEvents } from '../src/transports/transport.js';
import { ClientPool } from '../src/engine/client-pool.js';
import { ProcessMonitor } from '../src/process/monitor.js';
import type { WorkerPlan } from '../src/engine/worker-messages.js';
import { monotonicMs } from '../src/metrics/clock.js';
import { PLAIN_PROTOCOL } from '../src/targets/client-protocol.js';
import { constantRate } from '../src/engine/pacer.js';
import { STEADY_LIFECYCLE as STEADY } from '../src/engine/worker-plans.js';

export type Layer = 'net' | 'fast' | 'ws' | 'pool' | 'tls' | 'fast-tls' | 'ws-tls' | 'pool-tls' | 'fast-deflate';
const isTls = (layer: Layer) => layer === 'tls' || layer.endsWith('-tls');
export interface LayerResult {
  layer: Layer;
  connections: number;
  /** Bytes per connection between one third and all connections open, after a full GC. */
  rss: number;
  heapUsed: number;
  /** Outside the JS heap but known to V8 (Buffers). */
  external: number;
  /** RSS of the process with every connection open, divided by the connections. */
  rssTotalPerConnection: number;
  /** The whole process with every connection open, MiB: where the rest of the RSS is. */
  whole: { rss: number; heapTotal: number; heapUsed: number; youngGeneration: number; external: number };
  breakdown?: string[];
}

const SOURCE_ADDRESSES_FROM = 40;
/** Connections per source address (kernel port search stays fast well below the 28k range). */
const PER_ADDRESS = 5000;
const sourceAddress = (i: number) => `127.0.${SOURCE_ADDRESSES_FROM + Math.floor(i / PER_ADDRESS)}.1`;

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

function measureMemory(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  return process.memoryUsage();
}

const UPGRADE = (port: number) =>
  `GET /ws/memory HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

/** Opens connection i of a layer; resolves once it is open. Everything opened is kept alive by `held`. */
function opener(layer: Exclude<Layer, 'pool' | 'pool-tls'>, url: string, held: unknown[], ca: string[]): (i: number) => Promise<void> {
  const port = Number(new URL(url).port);
  const tls = { ...DEFAULT_CLIENT_TLS, ca };
  const events: TransportEvents = { onMessage() {}, onClose() {}, onError() {} };
  const readBuffer = Buffer.allocUnsafe(64 * 1024);
  const options = (i: number): ConnectOptions => ({
    url: `${url}/ws/memory`,
    clientIndex: i,
    headers: {},
    subprotocols: [],
    timeoutMs: 30_000,
    maxPayload: 1024,
    localAddress: sourceAddress(i),
    ...(isTls(layer) ? { tls } : {}),
    ...(layer === 'fast-deflate'
      ? { compression: { mode: 'require' as const, offer: { clientMaxWindowBits: true as const }, inflatePrefix: 32 } }
      : {}),
  });
  if (layer === 'tls') {
    // The TLS floor: Node's TLS socket (no shared read buffer is possible), 'data' events, one
    // secure context for all, as the fast client does.
    const secureContext = createSecureContext({ ca });
    return (i) =>
      new Promise((resolve, reject) => {
        const socket = tlsConnect({ ...{ host: '127.0.0.1', port, localAddress: sourceAddress(i) }, secureContext });
        socket.once('secureConnect', () => socket.write(UPGRADE(port)));
        socket.once('data', () => resolve());
        socket.on('data', () => {});
        socket.once('error', reject);
        held.push(socket);
      });
  }
  if (layer === 'net') {
    return (i) =>
      new Promise((resolve, reject) => {
        let upgraded = false;
        const socket = connect({
          host: '127.0.0.1',
          port,
          localAddress: sourceAddress(i),
          onread: {
            buffer: readBuffer,
            callback: () => {
              if (!upgraded) {
                upgraded = true;
                resolve();
              }
              return true;
            },
          },
        });
        socket.once('connect', () => socket.write(UPGRADE(port)));
        socket.once('error', reject);
        held.push(socket);
      });
  }
  const create = layer === 'ws' || layer === 'ws-tls' ? createWebSocketClient : createFastWebSocketClient;
  return (i) => {
    const client = create(options(i), events);
    held.push(client);
    return client.open();
  };
}

function poolPlan(url: string, connections: number, ca: string[]): WorkerPlan {
  return {
    workerId: 0,
    runId: '6d656d6f72790000',
    transport: 'websocket',
    transportSettings: { websocketClient: 'fast', pollIntervalMs: 1000, longPollHoldMs: 30_000 },
    firstClient: 0,
    clientCount: connections,
    totalClients: connections,
    channelNames: ['memory'],
    urlTemplate: `${url}/ws/{channel}`,
    headers: {},
    subprotocols: [],
    clientProtocol: PLAIN_PROTOCOL,
    rampUpMs: 0,
    connectStartMs: monotonicMs(),
    maxInFlight: 64,
    connectTimeoutMs: 30_000,
    maxPayload: 1024,
    encoding: 'binary',
    totalPublishes: 1000,
    warmupPublishes: 0,
    snapshotIntervalMs: 500,
    perPublishLimit: 1000,
    localAddresses: Array.from({ length: Math.ceil(connections / PER_ADDRESS) }, (_, k) => sourceAddress(k * PER_ADDRESS)),
    timeline: { originMs: monotonicMs(), lengthMs: 1000 },
    publishRate: constantRate(100),
    clientStride: 1,
    lifecycle: STEADY,
    upstream: null,
    ...(url.startsWith('wss:') ? { tls: { ...DEFAULT_CLIENT_TLS, ca } } : {}),
  };
}

/** Heap snapshot → self size per constructor, per connection, for objects held ≥ 0.9 per connection. */
function heapBreakdown(file: string, connections: number): string[] {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const totals = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name = /string/.test(type) ? '' : type === 'code' ? '' : snap.strings[snap.nodes[i + nameAt]!]!.slice(0, 50);
    const key = name ? `${type} ${name}` : type;
    const t = totals.get(key) ?? { count: 0, bytes: 0 };
    t.count++;
    t.bytes += snap.nodes[i + sizeAt]!;
    totals.set(key, t);
  }
  return [...totals]
    .filter(([, t]) => t.count >= connections * 0.9)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, 25)
    .map(([key, t]) => `${(t.bytes / connections).toFixed(0).padStart(5)} B  ${(t.count / connections).toFixed(1).padStart(4)}×  ${key}`);
}

async function runLayer(layer: Layer, url: string, connections: number, snapshot: boolean, ca: string[]): Promise<LayerResult> {
  const held: unknown[] = [];
  const third = Math.floor(connections / 3);
  let mid: NodeJS.MemoryUsage;
  if (layer === 'pool' || layer === 'pool-tls') {
    // Two pools, as two workers would be: the first third, then the rest.
    const openPool = async (first: number, count: number) => {
      const plan = { ...poolPlan(url, connections, ca), firstClient: first, clientCount: count };
      const pool = new ClientPool(plan, createFastWebSocketClient, new ProcessMonitor('worker'));
      held.push(pool);
      const connected = await pool.connectAll(monotonicMs());
      if (connected.failed) throw new Error(`${connected.failed} connections failed: ${JSON.stringify(connected.errors)}`);
    };
    await openPool(0, third);
    mid = measureMemory();
    await openPool(third, connections - third);
  } else {
    const open = opener(layer, url, held, ca);
    let next = 0;
    const openUpTo = (count: number) =>
      Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < count) await open(next++);
        }),
      );
    await openUpTo(third);
    mid = measureMemory();
    await openUpTo(connections);
  }
  await new Promise((r) => setTimeout(r, 500));
  const end = measureMemory();
  const opened = connections - third;
  const result: LayerResult = {
    layer,
    connections,
    rss: Math.round((end.rss - mid.rss) / opened),
    heapUsed: Math.round((end.heapUsed - mid.heapUsed) / opened),
    external: Math.round((end.external - mid.external) / opened),
    rssTotalPerConnection: Math.round(end.rss / connections),
    whole: {
      rss: mib(end.rss),
      heapTotal: mib(end.heapTotal),
      heapUsed: mib(end.heapUsed),
      youngGeneration: mib(getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0),
      external: mib(end.external),
    },
  };
  if (snapshot) {
    const file = join(tmpdir(), `wsbench-memory-${process.pid}.heapsnapshot`);
    writeHeapSnapshot(file);
    result.breakdown = heapBreakdown(file, connections);
    rmSync(file, { force: true });
  }
  return result;
}

/**
 * Measures each layer in its own child process against one reference server (2 processes) and
 * embedded Redis; `each` sees every result as it comes.
 */
export async function measureMemoryLayers(
  layers: Layer[],
  connections: number,
  snapshot: boolean,
  each: (result: LayerResult) => void = () => {},
): Promise<LayerResult[]> {
  const redis = await startEmbeddedRedis();
  const common = { host: '127.0.0.1', port: 0, redisUrl: redis.url, maxPayload: 1024, processes: 2 };
  // permessage-deflate on: clients that do not offer it are not affected (fast-deflate offers it).
  const server = await spawnServer({ ...common, perMessageDeflate: true }, 60_000);
  const certificate = layers.some(isTls) ? await selfSignedServerCertificate('127.0.0.1') : null;
  const tlsServer = certificate ? await spawnServer({ ...common, perMessageDeflate: false, tls: certificate }, 60_000) : null;
  const results: LayerResult[] = [];
  try {
    for (const layer of layers) {
      const url = isTls(layer) ? tlsServer!.url : server.url;
      const ca = certificate ? [certificate.cert] : [];
      const child = fork(fileURLToPath(import.meta.url), [], {
        // A fixed young generation (as workers of the fast client run): otherwise V8 grows it
        // while connections open and that growth would read as per-connection cost.
        execArgv: ['--expose-gc', '--max-old-space-size=4096', '--max-semi-space-size=1'],
        env: { ...process.env, WSBENCH_MEMORY_LAYER: JSON.stringify([layer, url, connections, snapshot, ca]) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      try {
        const result = await new Promise<LayerResult>((resolve, reject) => {
          child.once('message', (m) => resolve(m as LayerResult));
          child.once('exit', (code) => reject(new Error(`layer ${layer} exited with ${code}`)));
        });
        results.push(result);
        each(result);
      } finally {
        child.kill();
      }
    }
  } finally {
    await server.stop();
    await tlsServer?.stop();
    await redis.stop();
  }
  return results;
}

function printLayer(result: LayerResult): void {
  console.log(
    `${result.layer.padEnd(5)} RSS ${String(result.rss).padStart(6)} B   heap ${String(result.heapUsed).padStart(6)} B   external ${String(result.external).padStart(5)} B   (whole process: ${result.rssTotalPerConnection} B per connection)`,
  );
  const w = result.whole;
  console.log(
    `      whole process: RSS ${w.rss} MiB = JS heap ${w.heapTotal} MiB (${w.heapUsed} used, young generation ${w.youngGeneration}) + external ${w.external} + the rest`,
  );
  for (const line of result.breakdown ?? []) console.log(`        ${line}`);
}

if (process.env.WSBENCH_MEMORY_LAYER) {
  // Child: measure one layer and report over IPC.
  const [layer, url, connections, snapshot, ca] = JSON.parse(process.env.WSBENCH_MEMORY_LAYER) as [
    Layer,
    string,
    number,
    boolean,
    string[],
  ];
  const result = await runLayer(layer, url, connections, snapshot, ca);
  process.send!(result, () => process.exit(0));
} else if (process.argv[1] && resolvePath(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i++) {
    const name = process.argv[i]!.replace(/^--/, '');
    const value = process.argv[i + 1];
    if (value === undefined || value.startsWith('--')) args.set(name, 'true');
    else {
      args.set(name, value);
      i++;
    }
  }
  const connections = Number(args.get('connections') ?? 15_000);
  const layers = (args.get('layers') ?? 'net,fast,ws,pool').split(',') as Layer[];
  console.log(
    `${connections} connections per layer; bytes per connection, marginal (between ${Math.floor(connections / 3)} and ${connections} open, after full GC)`,
  );
  await measureMemoryLayers(layers, connections, args.has('snapshot'), printLayer);
}
