/**
 * permessage-deflate against the `ws` library over real loopback connections, both ways:
 *  - a `ws` server with perMessageDeflate on, and a raw client built the way the fast client is:
 *    negotiation with buildOffer / acceptResponse, frames written with websocket-frame.ts and read
 *    with its FrameParser (allowCompressed), messages sent with MessageDeflater and received with
 *    MessageInflater: what this codec compresses must inflate in `ws`, and what `ws` compresses
 *    (whole and fragmented) here;
 *  - a raw server that negotiates with negotiateServer, and a `ws` client: `ws` must accept the
 *    answer, and the echoes must come back intact (the client's fragmented compressed message is
 *    inflated frame by frame with inflateFragment).
 * Each configuration sends repeated messages (back-references with context takeover), an empty one,
 * large ones and a message fragmented into three compressed frames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { WebSocket, WebSocketServer, type PerMessageDeflateOptions } from 'ws';
import { encodeFrame, FirstByte, FrameParser, Opcode, encodeClosePayload } from '../../src/wire/websocket-frame.js';
import {
  acceptResponse,
  buildOffer,
  directionFor,
  MessageDeflater,
  MessageInflater,
  negotiateServer,
  type DeflateOffer,
  type DeflateParams,
  type ServerDeflateSettings,
} from '../../src/wire/permessage-deflate.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_PAYLOAD = 4 << 20;
const TIMEOUT_MS = 20_000;

interface Frame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
}

/** A frame's first byte: FIN, RSV1 (compressed: the first frame of a compressed message only), opcode. */
const first = (opcode: number, options: { fin?: boolean; compressed?: boolean } = {}) =>
  (options.fin === false ? 0 : FirstByte.Fin) | (options.compressed ? FirstByte.Rsv1 : 0) | opcode;
const clientFrame = (opcodeByte: number, payload: Uint8Array) => encodeFrame(opcodeByte, payload, randomBytes(4));

/** Client frames (masked) out of a byte stream: what the server side of this test reads. */
class FrameReader {
  private buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) return frames;
      let length = b[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (b.length < 4) return frames;
        length = b.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (b.length < 10) return frames;
        length = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      const masked = (b[1]! & 0x80) !== 0;
      const mask = masked ? b.subarray(at, at + 4) : null;
      if (masked) at += 4;
      if (b.length < at + length) return frames;
      const payload = Buffer.from(b.subarray(at, at + length));
      if (mask) for (let i = 0; i < length; i++) payload[i]! ^= mask[i & 3]!;
      frames.push({ fin: (b[0]! & 0x80) !== 0, rsv1: (b[0]! & 0x40) !== 0, opcode: b[0]! & 0x0f, payload });
      this.buffer = b.subarray(at + length);
    }
  }
}

/**
 * Turns frames into messages, inflating compressed ones with `inflater` (fragmented ones frame by
 * frame); counts the messages that arrived compressed, and those of them in several frames.
 */
class MessageAssembler {
  compressedMessages = 0;
  fragmentedCompressed = 0;
  private current: { compressed: boolean; binary: boolean; parts: Buffer[] } | null = null;

  constructor(
    private readonly inflater: MessageInflater,
    private readonly onMessage: (data: Buffer, binary: boolean) => void,
  ) {}

  frame(f: Frame): void {
    if (f.opcode >= 8) return; // control frames: nothing here needs them
    if (f.opcode !== 0) {
      this.current = { compressed: f.rsv1, binary: f.opcode === 2, parts: [] };
      if (f.rsv1) this.compressedMessages++;
    } else {
      assert.equal(f.rsv1, false, 'RSV1 only on the first frame of a message');
    }
    const m = this.current!;
    if (!m.compressed) {
      m.parts.push(f.payload);
      if (f.fin) this.onMessage(Buffer.concat(m.parts), m.binary);
    } else if (f.fin && f.opcode !== 0) {
      this.onMessage(Buffer.from(this.inflater!.inflate(f.payload, 0, f.payload.length)), m.binary);
    } else {
      if (f.opcode !== 0) this.fragmentedCompressed++;
      const whole = this.inflater!.inflateFragment(f.payload, 0, f.payload.length, f.fin);
      if (f.fin) this.onMessage(Buffer.from(whole!), m.binary);
    }
    if (f.fin) this.current = null;
  }
}

/** What each configuration sends: repeats, an empty message, text and binary, large ones. */
function messages(): { data: Buffer; binary: boolean }[] {
  const json = (i: number) => Buffer.from(JSON.stringify({ type: 'chat', room: 'room-42', seq: i, body: 'hello '.repeat(20 + i) }));
  const big = Buffer.from('wsbench '.repeat(40_000)); // 320 KB, compresses well
  const random = randomBytes(70_000); // does not compress
  return [
    { data: json(1), binary: false },
    { data: json(1), binary: false },
    { data: json(2), binary: false },
    { data: Buffer.alloc(0), binary: false },
    { data: random, binary: true },
    { data: big, binary: true },
    { data: json(3), binary: false },
    { data: Buffer.concat([random.subarray(0, 1000), json(3)]), binary: true },
    // Repeats bytes ~1.3 KB back, in the previous message: beyond an 8-bit window, inside a 15-bit one.
    { data: random.subarray(0, 600), binary: true },
  ];
}

/** Resolves when `check()` holds (checked on every call of the returned poke). */
function waitFor(check: () => boolean, what: string): { poke: () => void; done: Promise<void> } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  let timer: NodeJS.Timeout | null = null;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), TIMEOUT_MS);
  });
  const poke = () => {
    if (check()) resolve();
  };
  return { poke, done: Promise.race([done, timeout]).finally(() => clearTimeout(timer!)) };
}

function readUpgrade(socket: Socket): Promise<{ status: number; headers: Map<string, string>; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const [statusLine = '', ...lines] = head.toString('latin1', 0, end).split('\r\n');
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        // Several lines of one header are one comma-separated list.
        headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, rest: head.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

interface ClientCase {
  name: string;
  offers: DeflateOffer[];
  server: PerMessageDeflateOptions;
  expected: DeflateParams;
}

const clientCases: ClientCase[] = [
  {
    name: 'defaults: context takeover both ways, 15 bits',
    offers: [{ clientMaxWindowBits: true }],
    server: {},
    expected: { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
  },
  {
    name: 'the client asks for no context takeover both ways',
    offers: [{ serverNoContextTakeover: true, clientNoContextTakeover: true, clientMaxWindowBits: true }],
    server: {},
    expected: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 15 },
  },
  {
    name: 'the server imposes no context takeover and a 10-bit client window',
    offers: [{ clientMaxWindowBits: true }],
    server: { serverNoContextTakeover: true, clientNoContextTakeover: true, clientMaxWindowBits: 10 },
    expected: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 15, clientMaxWindowBits: 10 },
  },
  {
    name: 'the smallest windows: 8 bits each way, context takeover',
    offers: [{ serverMaxWindowBits: 8, clientMaxWindowBits: true }],
    server: { clientMaxWindowBits: 8 },
    expected: { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
  },
  {
    name: 'a constrained first offer the server declines, then a plain one',
    offers: [{ serverMaxWindowBits: 9 }, { clientMaxWindowBits: true }],
    // `ws` declines an offer whose server_max_window_bits is below its own setting.
    server: { serverMaxWindowBits: 11 },
    expected: { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 11, clientMaxWindowBits: 15 },
  },
];

for (const c of clientCases) {
  test(`this codec as a client of a ws server: ${c.name}`, { timeout: TIMEOUT_MS + 5000 }, async () => {
    const received: { data: Buffer; binary: boolean }[] = [];
    const fragmentEvery = 3;
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      maxPayload: MAX_PAYLOAD,
      perMessageDeflate: { threshold: 0, ...c.server },
    });
    server.on('connection', (ws) => {
      let count = 0;
      ws.on('message', (data: Buffer, isBinary) => {
        received.push({ data, binary: isBinary });
        count++;
        // Every third echo goes back in two compressed frames.
        if (count % fragmentEvery === 0 && data.length > 1) {
          ws.send(data.subarray(0, data.length >> 1), { binary: isBinary, compress: true, fin: false });
          ws.send(data.subarray(data.length >> 1), { binary: isBinary, compress: true, fin: true });
        } else {
          ws.send(data, { binary: isBinary, compress: true });
        }
      });
    });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    const socket = connect({ host: '127.0.0.1', port });
    try {
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      const key = randomBytes(16).toString('base64');
      const upgrade = readUpgrade(socket);
      socket.write(
        [
          'GET / HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${key}`,
          'Sec-WebSocket-Version: 13',
          `Sec-WebSocket-Extensions: ${buildOffer(c.offers)}`,
          '',
          '',
        ].join('\r\n'),
      );
      const response = await upgrade;
      assert.equal(response.status, 101);
      assert.equal(
        response.headers.get('sec-websocket-accept'),
        createHash('sha1')
          .update(key + GUID)
          .digest('base64'),
      );
      const params = acceptResponse(response.headers.get('sec-websocket-extensions'), c.offers, true)!;
      assert.deepEqual(params, c.expected, `negotiated from ${response.headers.get('sec-websocket-extensions')}`);

      const { receive, send } = directionFor(params, 'client');
      const inflater = new MessageInflater(receive, MAX_PAYLOAD);
      const deflater = new MessageDeflater(send);
      const sent = messages();
      const echoes: { data: Buffer; binary: boolean }[] = [];
      const all = waitFor(() => echoes.length === sent.length, `${sent.length} echoes`);
      // The fast client's receive path: the frame codec's parser, told that RSV1 means compressed.
      let compressedEchoes = 0;
      const parser = new FrameParser(MAX_PAYLOAD, {
        frameMessage(data, start, end, opcode, compressed) {
          if (compressed) compressedEchoes++;
          const plain = compressed ? inflater.inflate(data, start, end) : data.subarray(start, end);
          echoes.push({ data: Buffer.from(plain), binary: opcode === Opcode.Binary });
          all.poke();
        },
        frameControl() {},
        frameError(code, reason) {
          assert.fail(`frame error ${code}: ${reason}`);
        },
      });
      parser.allowCompressed();
      const onData = (chunk: Buffer) => parser.push(chunk);
      socket.on('data', onData);
      if (response.rest.length > 0) onData(response.rest);

      for (const [i, m] of sent.entries()) {
        const opcode = m.binary ? Opcode.Binary : Opcode.Text;
        const payload = Buffer.from(deflater.deflate(m.data));
        if (i === 5) {
          // One message in three compressed frames: RSV1 on the first only.
          const third = Math.ceil(payload.length / 3);
          socket.write(clientFrame(first(opcode, { fin: false, compressed: true }), payload.subarray(0, third)));
          socket.write(clientFrame(first(Opcode.Continuation, { fin: false }), payload.subarray(third, 2 * third)));
          socket.write(clientFrame(first(Opcode.Continuation), payload.subarray(2 * third)));
        } else {
          socket.write(clientFrame(first(opcode, { compressed: true }), payload));
        }
      }
      await all.done;
      // `ws` inflated what this codec compressed...
      assert.deepEqual(received, sent);
      // ...and this codec inflated what `ws` compressed, whole and in fragments.
      assert.deepEqual(echoes, sent);
      assert.equal(compressedEchoes, sent.length, 'every echo arrived compressed');
      if (!params.clientNoContextTakeover) {
        const again = deflateSeparately(send, sent[0]!.data, sent[1]!.data);
        assert.ok(again.second < again.first / 2, 'with client context takeover the repeated message went out as back-references');
      }
      socket.write(clientFrame(first(Opcode.Close), encodeClosePayload(1000, '')));
      inflater.close();
      deflater.close();
    } finally {
      socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const client of server.clients) client.terminate();
    }
  });
}

/** Sizes of two messages compressed one after the other with a fresh deflater. */
function deflateSeparately(
  send: { noContextTakeover: boolean; windowBits: number },
  first: Buffer,
  second: Buffer,
): { first: number; second: number } {
  const deflater = new MessageDeflater(send);
  const a = deflater.deflate(first).length;
  const b = deflater.deflate(second).length;
  deflater.close();
  return { first: a, second: b };
}

interface ServerCase {
  name: string;
  client: PerMessageDeflateOptions;
  settings: ServerDeflateSettings;
}

const serverCases: ServerCase[] = [
  { name: 'defaults', client: {}, settings: {} },
  {
    name: 'server imposes no context takeover both ways',
    client: {},
    settings: { serverNoContextTakeover: true, clientNoContextTakeover: true },
  },
  {
    name: 'the client asks for small windows',
    client: { serverMaxWindowBits: 9, clientMaxWindowBits: 10 },
    settings: { clientMaxWindowBits: 9 },
  },
  {
    name: 'the client asks for no server context takeover',
    client: { serverNoContextTakeover: true },
    settings: { serverMaxWindowBits: 12 },
  },
];

for (const c of serverCases) {
  test(`this codec as a server for a ws client: ${c.name}`, { timeout: TIMEOUT_MS + 5000 }, async () => {
    const sockets = new Set<Socket>();
    let negotiated: DeflateParams | null = null;
    let assembler: MessageAssembler | null = null;
    const http = createServer((_, res) => res.writeHead(426).end());
    http.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      sockets.add(socket);
      const n = negotiateServer(req.headers['sec-websocket-extensions'], c.settings);
      negotiated = n.params;
      const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${GUID}`).digest('base64');
      const extension = n.response === null ? [] : [`Sec-WebSocket-Extensions: ${n.response}`];
      socket.write(
        [
          'HTTP/1.1 101 Switching Protocols',
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Accept: ${accept}`,
          ...extension,
          '',
          '',
        ].join('\r\n'),
      );
      if (n.params === null) return;
      const { receive, send } = directionFor(n.params, 'server');
      const inflater = new MessageInflater(receive, MAX_PAYLOAD);
      const deflater = new MessageDeflater(send);
      const reader = new FrameReader();
      assembler = new MessageAssembler(inflater, (data, binary) => {
        // Echo, compressed by this codec.
        socket.write(encodeFrame(first(binary ? Opcode.Binary : Opcode.Text, { compressed: true }), deflater.deflate(data)));
      });
      socket.on('data', (chunk: Buffer) => {
        for (const f of reader.push(chunk)) {
          if (f.opcode === Opcode.Close) {
            socket.end(encodeFrame(first(Opcode.Close), f.payload.subarray(0, 2)));
            return;
          }
          assembler!.frame(f);
        }
      });
      socket.on('close', () => {
        inflater.close();
        deflater.close();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    const client = new WebSocket(`ws://127.0.0.1:${port}/`, { maxPayload: MAX_PAYLOAD, perMessageDeflate: { threshold: 0, ...c.client } });
    try {
      await new Promise<void>((resolve, reject) => client.once('open', resolve).once('error', reject));
      assert.ok(negotiated, 'the server accepted permessage-deflate');
      assert.match(client.extensions, /^permessage-deflate/, '`ws` took the answer');
      const sent = messages();
      const echoes: { data: Buffer; binary: boolean }[] = [];
      const all = waitFor(() => echoes.length === sent.length, `${sent.length} echoes`);
      client.on('message', (data: Buffer, isBinary) => {
        echoes.push({ data, binary: isBinary });
        all.poke();
      });
      for (const [i, m] of sent.entries()) {
        if (i === 5) {
          // One message in two compressed frames, inflated here frame by frame.
          const half = m.data.length >> 1;
          client.send(m.data.subarray(0, half), { binary: m.binary, compress: true, fin: false });
          client.send(m.data.subarray(half), { binary: m.binary, compress: true, fin: true });
        } else {
          client.send(m.data, { binary: m.binary, compress: true });
        }
      }
      await all.done;
      assert.deepEqual(echoes, sent);
      assert.equal(assembler!.compressedMessages, sent.length, '`ws` compressed every message it sent');
      assert.equal(assembler!.fragmentedCompressed, 1);
      client.close(1000);
      await new Promise<void>((resolve) => client.once('close', () => resolve()));
    } finally {
      client.terminate();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
}
