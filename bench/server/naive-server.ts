/**
 * The anchor of the fan-out CPU benchmark: what a straightforward `ws` server does — one Redis
 * subscriber, and for every message `client.send(message)` for each client. Same routes as the
 * reference server's /ws/<channel> (one channel), so the same clients can connect to either.
 */
import { createServer } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { Redis } from 'ioredis';

process.on('disconnect', () => process.exit(0));
process.on('message', async (msg: { type: 'start'; redisUrl: string; channel: string } | { type: 'cpu' }) => {
  if (msg.type === 'cpu') {
    const cpu = process.cpuUsage();
    process.send!({
      type: 'cpu',
      cpuUs: cpu.user + cpu.system,
      clients: wss.clients.size,
      deliveries,
      rssBytes: process.memoryUsage.rss(),
    });
    return;
  }
  const sub = new Redis(msg.redisUrl);
  await sub.subscribe(msg.channel);
  sub.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
    const binary = !isUtf8(message);
    for (const client of wss.clients) {
      client.send(message, { binary });
      deliveries++;
    }
  });
  http.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () =>
    process.send!({ type: 'listening', port: (http.address() as AddressInfo).port }),
  );
});

let deliveries = 0;
const http = createServer((_req, res) => res.end());
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('error', () => {}));
