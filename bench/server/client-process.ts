/**
 * Bench client process: opens many WebSocket connections with plain `net` sockets (hand-written
 * handshake, frame headers parsed to count messages, payloads skipped) so that the client side
 * stays cheap and the server is what gets measured. Driven over IPC by fanout-cpu.ts and hold.ts.
 */
import { connect, type Socket } from 'node:net';
import { headerLengthOf, payloadLengthOf } from '../../src/wire/websocket-frame.js';

export interface ClientConfig {
  host: string;
  port: number;
  path: string;
  connections: number;
  /**
   * Source addresses, used in turn. A few per process keep bind()'s search for a free port short:
   * with a source address set, the kernel picks the port at bind time, which slows down as the
   * address's ports fill up.
   */
  localAddresses?: string[];
  /** Handshakes in flight at once. */
  maxInFlight: number;
}

export interface ClientCounts {
  opened: number;
  failed: number;
  /** Connections that closed after opening. */
  closed: number;
  frames: number;
  bytes: number;
  /** Frames whose order was not the published one (payload starts with a 4-byte sequence). */
  outOfOrder: number;
  cpuUs: number;
  rssBytes: number;
}

type Msg = { type: 'open'; config: ClientConfig } | { type: 'counts' } | { type: 'close' };

const counts: ClientCounts = { opened: 0, failed: 0, closed: 0, frames: 0, bytes: 0, outOfOrder: 0, cpuUs: 0, rssBytes: 0 };
const sockets = new Set<Socket>();
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

let opening = 0;

function openOne(config: ClientConfig): Promise<void> {
  const local = config.localAddresses?.length ? config.localAddresses[opening++ % config.localAddresses.length] : undefined;
  return new Promise((resolve) => {
    const socket = connect({ host: config.host, port: config.port, ...(local ? { localAddress: local } : {}) });
    socket.setNoDelay(true);
    let handshaking = true;
    let head = '';
    let leftover: Buffer | null = null;
    let skip = 0;
    let lastSeq = -1;
    let opened = false;
    const done = () => resolve();
    socket.once('connect', () => {
      socket.write(
        `GET ${config.path} HTTP/1.1\r\nHost: ${config.host}:${config.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      sockets.delete(socket);
      if (opened) counts.closed++;
      else {
        counts.failed++;
        done();
      }
    });
    socket.on('data', (chunk: Buffer) => {
      counts.bytes += chunk.length;
      if (handshaking) {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!head.startsWith('HTTP/1.1 101')) {
          socket.destroy();
          return;
        }
        handshaking = false;
        opened = true;
        counts.opened++;
        sockets.add(socket);
        done();
        chunk = Buffer.from(head.slice(end + 4), 'latin1');
      }
      if (leftover) {
        chunk = Buffer.concat([leftover, chunk]);
        leftover = null;
      }
      let i = 0;
      const n = chunk.length;
      while (i < n) {
        if (skip > 0) {
          const take = Math.min(skip, n - i);
          skip -= take;
          i += take;
          continue;
        }
        if (n - i < 2) break;
        const hl = headerLengthOf(chunk[i + 1]!);
        if (n - i < hl) break;
        const len = payloadLengthOf(chunk, i);
        const opcode = chunk[i]! & 0x0f;
        if (opcode === 1 || opcode === 2) {
          counts.frames++;
          if (len >= 4 && n - i >= hl + 4) {
            const seq = chunk.readUInt32BE(i + hl);
            if (seq <= lastSeq) counts.outOfOrder++;
            lastSeq = seq;
          }
        }
        i += hl;
        skip = len;
      }
      if (i < n) leftover = chunk.subarray(i);
    });
  });
}

async function openAll(config: ClientConfig): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < config.connections) {
      next++;
      await openOne(config);
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.maxInFlight, config.connections) }, lane));
}

process.on('disconnect', () => process.exit(0));
process.on('message', (msg: Msg) => {
  if (msg.type === 'open') {
    void openAll(msg.config).then(() => process.send!({ type: 'opened', counts: snapshot() }));
  } else if (msg.type === 'counts') {
    process.send!({ type: 'counts', counts: snapshot() });
  } else if (msg.type === 'close') {
    for (const s of sockets) s.destroy();
    process.send!({ type: 'closed' });
  }
});

function snapshot(): ClientCounts {
  const cpu = process.cpuUsage();
  return { ...counts, cpuUs: cpu.user + cpu.system, rssBytes: process.memoryUsage.rss() };
}
