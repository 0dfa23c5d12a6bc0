/**
 * Where the native memory of a held wss:// connection goes: opens N connections of the fast client
 * to a reference server over TLS (in another process) and holds them, so that a native heap
 * profiler run on this process attributes what each connection keeps (BENCHMARKS.md, memory per
 * wss connection):
 *
 *   heaptrack node dist/bench/tls-native-memory.js 3000
 *   heaptrack_print -f heaptrack.node.<pid>.zst --print-peaks 1 --print-leaks 1 --peak-limit 12
 *
 * Without a profiler it prints RSS before and after (a rough check).
 */
import { startEmbeddedRedis } from '../src/redis/embedded.js';
import { selfSignedServerCertificate } from '../src/server/certificates.js';
import { spawnServer } from '../src/server/spawn.js';
import { createFastWebSocketClient } from '../src/transports/fast-websocket/client.js';
import { DEFAULT_CLIENT_TLS } from '../src/transports/tls.js';

const connections = Number(process.argv[2] ?? 3000);
const redis = await startEmbeddedRedis();
const certificate = await selfSignedServerCertificate('127.0.0.1');
const server = await spawnServer(
  { host: '127.0.0.1', port: 0, redisUrl: redis.url, maxPayload: 1024, perMessageDeflate: false, tls: certificate },
  60_000,
);
const tls = { ...DEFAULT_CLIENT_TLS, ca: [certificate.cert] };
const events = { onMessage() {}, onClose() {}, onError() {} };
const held = [];
const before = process.memoryUsage().rss;
try {
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < connections) {
        const i = next++;
        const client = createFastWebSocketClient(
          { url: `${server.url}/ws/memory`, clientIndex: i, headers: {}, subprotocols: [], timeoutMs: 30_000, maxPayload: 1024, tls },
          events,
        );
        held.push(client);
        await client.open();
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 1000));
  console.log(
    `${connections} wss connections held: RSS +${Math.round((process.memoryUsage().rss - before) / connections)} B per connection`,
  );
} finally {
  await server.stop();
  await redis.stop();
  process.exit(0);
}
