/**
 * What permessage-deflate costs per message and per connection (src/wire/permessage-deflate.ts),
 * against the obvious alternatives, so the choice of zlib's synchronous handle can be checked.
 *
 *   node --expose-gc dist/bench/deflate.js [--quick] [--out bench/results/deflate.json]
 *
 * Method:
 *  - Payloads: 64 B (a text stamp in a small JSON envelope), 1 KiB (a JSON chat message: stamp,
 *    user, room, numbers and words drawn from a small vocabulary, so it compresses like real JSON)
 *    and 16 KiB (an array of such records). 1,024 distinct messages of each size, generated from a
 *    fixed seed and sent in the same order every run.
 *  - The compressed stream is made once per case with the module's own deflater (context takeover
 *    or not); inflating is then timed over that stream.
 *  - Time is CPU time (process.cpuUsage, user + system) of a loop over the messages, repeated until
 *    at least 250 ms (--quick: 60 ms) have been spent, after one untimed warm-up pass; each figure
 *    is the median of 5 such runs (--quick: 3), in µs per message.
 *  - "connections": with context takeover every connection has its own zlib context; with 1,000
 *    connections each message is inflated (or deflated) once per connection, round-robin, as in a
 *    worker that holds many connections to one channel. Without takeover every connection shares
 *    one context, so the count does not matter.
 *  - Alternatives: zlib.inflateRawSync / deflateRawSync per message (a new zlib stream each time);
 *    with context takeover they get the last 32 KiB of the plaintext as `dictionary`: the LZ77
 *    window is nothing but that, so this is the other correct synchronous way to carry it over.
 *  - Memory per context (context takeover only: without it there is no per-connection state): a
 *    fresh child process per row creates 2,000 contexts, puts 1 KiB (one message) or 64 KiB (64
 *    messages: the 32 KiB window is full, as on any connection that has been up for a while)
 *    through each, and reads RSS, JS heap and external memory after a full GC, before and after;
 *    the difference divided by 2,000.
 * The machine has 2 shared cores: say what else was running when you record figures.
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import { MessageDeflater, MessageInflater, type DeflaterOptions, type DirectionParams } from '../src/wire/permessage-deflate.js';
import { jsonLikePayload, seededRandom } from '../src/metrics/json-padding.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outAt = args.indexOf('--out');
const outFile = outAt >= 0 ? args[outAt + 1] : undefined;
const MIN_RUN_US = quick ? 60_000 : 250_000;
const RUNS = quick ? 3 : 5;
const DISTINCT = 1024;
const MAX_PAYLOAD = 1 << 20;
const WINDOW = 32 * 1024;
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

// ---------------------------------------------------------------------------------------------
// Payloads

/** The same generator as `publish.padding: json` (src/metrics/json-padding.ts). */
function payloads(size: number): Buffer[] {
  const random = seededRandom(size);
  const out: Buffer[] = [];
  for (let seq = 0; seq < DISTINCT; seq++) out.push(jsonLikePayload(random, seq, size));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Timing

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Median µs of CPU per call of `step(i)` (i counts calls), over RUNS runs of at least MIN_RUN_US. */
function measure(step: (i: number) => void, calibrate: number): number {
  for (let i = 0; i < calibrate; i++) step(i); // warm-up
  const results: number[] = [];
  let i = 0;
  for (let run = 0; run < RUNS; run++) {
    const start = cpuUs();
    let calls = 0;
    let spent = 0;
    while (spent < MIN_RUN_US) {
      for (let k = 0; k < calibrate; k++) step(i++);
      calls += calibrate;
      spent = cpuUs() - start;
    }
    results.push(spent / calls);
  }
  results.sort((a, b) => a - b);
  return results[results.length >> 1]!;
}

interface Row {
  op: 'inflate' | 'deflate';
  size: number;
  takeover: boolean;
  method: string;
  connections: number;
  usPerMessage: number;
  /** Compressed ÷ plain bytes (frame payloads, tails stripped). */
  ratio: number;
}

const rows: Row[] = [];
const fmt = (n: number) => (n >= 10 ? n.toFixed(1) : n.toFixed(2));

function compressAll(messages: Buffer[], params: DeflaterOptions): Buffer[] {
  const deflater = new MessageDeflater(params);
  const out = messages.map((m) => Buffer.from(deflater.deflate(m)));
  deflater.close();
  return out;
}

function ratioOf(plain: Buffer[], compressed: Buffer[]): number {
  const sum = (list: Buffer[]) => list.reduce((total, b) => total + b.length, 0);
  return sum(compressed) / sum(plain);
}

function add(row: Row): void {
  rows.push(row);
  const mode = row.takeover ? 'takeover' : 'no takeover';
  console.log(
    `${row.op.padEnd(7)} ${String(row.size).padStart(5)} B  ${mode.padEnd(11)}  ${row.method.padEnd(48)} ${String(row.connections).padStart(5)} conn  ${fmt(row.usPerMessage).padStart(7)} µs  ratio ${row.ratio.toFixed(3)}`,
  );
}

/** The last 32 KiB of what came before, as the next message's dictionary. */
class Window {
  data = Buffer.alloc(0);
  push(plain: Buffer): void {
    const joined = Buffer.concat([this.data, plain]);
    this.data = joined.length > WINDOW ? joined.subarray(joined.length - WINDOW) : joined;
  }
}

function benchInflate(size: number, messages: Buffer[]): void {
  for (const takeover of [true, false]) {
    const params: DirectionParams = { noContextTakeover: !takeover, windowBits: 15 };
    const compressed = compressAll(messages, params);
    const ratio = ratioOf(messages, compressed);
    const n = compressed.length;
    const calibrate = Math.max(n, 256);

    // This module, one connection. With takeover the stream is inflated in order and wraps around:
    // message 0 has no back-references and message k refers only to messages 0..k-1, so a context
    // that goes on past message 1,023 into message 0 again stays correct (no restart, no re-creation).
    {
      const inflater = new MessageInflater(params, MAX_PAYLOAD);
      const us = measure((i) => {
        const c = compressed[i % n]!;
        inflater.inflate(c, 0, c.length);
      }, calibrate);
      inflater.close();
      add({ op: 'inflate', size, takeover, method: 'this module (zlib handle, sync)', connections: 1, usPerMessage: us, ratio });
    }
    if (takeover) {
      // 1,000 connections, each with its own context, each receiving the same stream: message m
      // goes to every connection before message m + 1 does.
      const connections = 1000;
      const inflaters = Array.from({ length: connections }, () => new MessageInflater(params, MAX_PAYLOAD));
      const us = measure((i) => {
        const c = compressed[Math.floor(i / connections) % n]!;
        inflaters[i % connections]!.inflate(c, 0, c.length);
      }, connections);
      inflaters.forEach((x) => x.close());
      add({ op: 'inflate', size, takeover, method: 'this module, a context per connection', connections, usPerMessage: us, ratio });
    } else {
      const inflater = new MessageInflater(params, MAX_PAYLOAD);
      const us = measure((i) => {
        const c = compressed[i % n]!;
        inflater.inflate(c, 0, c.length, 32);
      }, calibrate);
      add({
        op: 'inflate',
        size,
        takeover,
        method: 'this module, first 32 bytes only (binary stamp)',
        connections: 1,
        usPerMessage: us,
        ratio,
      });
    }
    // The alternative: a new zlib stream per message.
    {
      const withTail = compressed.map((c) => Buffer.concat([c, TAIL]));
      const window = new Window();
      const us = measure((i) => {
        const c = withTail[i % n]!;
        const options =
          takeover && window.data.length > 0
            ? { finishFlush: constants.Z_SYNC_FLUSH, dictionary: window.data }
            : { finishFlush: constants.Z_SYNC_FLUSH };
        const plain = inflateRawSync(c, options);
        if (takeover) window.push(plain);
      }, calibrate);
      const method = takeover ? 'inflateRawSync + last 32 KiB as dictionary' : 'inflateRawSync per message';
      add({ op: 'inflate', size, takeover, method, connections: 1, usPerMessage: us, ratio });
    }
  }
}

function benchDeflate(size: number, messages: Buffer[]): void {
  const n = messages.length;
  const calibrate = Math.max(n, 256);
  for (const takeover of [true, false]) {
    const params: DirectionParams = { noContextTakeover: !takeover, windowBits: 15 };
    const ratio = ratioOf(messages, compressAll(messages, params));
    {
      const deflater = new MessageDeflater(params);
      const us = measure((i) => deflater.deflate(messages[i % n]!), calibrate);
      deflater.close();
      const method = takeover ? 'this module (zlib handle, sync)' : 'this module (one shared context, reset)';
      add({ op: 'deflate', size, takeover, method, connections: 1, usPerMessage: us, ratio });
    }
    if (size === 1024) {
      // The cheapest zlib level, for a server that compresses for many recipients.
      const fast = { ...params, level: 1 };
      const deflater = new MessageDeflater(fast);
      const us = measure((i) => deflater.deflate(messages[i % n]!), calibrate);
      deflater.close();
      const fastRatio = ratioOf(messages, compressAll(messages, fast));
      add({ op: 'deflate', size, takeover, method: 'this module, zlib level 1', connections: 1, usPerMessage: us, ratio: fastRatio });
    }
    if (takeover) {
      // Fan-out with takeover: the same message compressed once per recipient's context.
      const connections = 1000;
      const deflaters = Array.from({ length: connections }, () => new MessageDeflater(params));
      const us = measure((i) => deflaters[i % connections]!.deflate(messages[Math.floor(i / connections) % n]!), connections);
      deflaters.forEach((d) => d.close());
      add({ op: 'deflate', size, takeover, method: 'this module, a context per recipient', connections, usPerMessage: us, ratio });
    }
    {
      const window = new Window();
      const us = measure((i) => {
        const plain = messages[i % n]!;
        const options =
          takeover && window.data.length > 0
            ? { finishFlush: constants.Z_SYNC_FLUSH, windowBits: 15, dictionary: window.data }
            : { finishFlush: constants.Z_SYNC_FLUSH, windowBits: 15 };
        deflateRawSync(plain, options);
        if (takeover) window.push(plain);
      }, calibrate);
      const method = takeover ? 'deflateRawSync + last 32 KiB as dictionary' : 'deflateRawSync per message';
      add({ op: 'deflate', size, takeover, method, connections: 1, usPerMessage: us, ratio });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Memory per context (child processes)

interface MemoryRow {
  kind: 'inflate' | 'deflate';
  windowBits: number;
  memLevel: number | null;
  /** KiB that went through each context before measuring (1: one message; 64: the window is full). */
  kibPerContext: number;
  rssPerContext: number;
  heapPerContext: number;
  externalPerContext: number;
}

const CONTEXTS = 2000;

function gcMemory(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage();
}

/** In the child: make CONTEXTS contexts, each used for `messages` 1 KiB messages, and report the difference. */
function memoryChild(kind: 'inflate' | 'deflate', windowBits: number, memLevel: number, messages: number): void {
  const plain = payloads(1024).slice(0, messages);
  const message = plain[0]!;
  const params = { noContextTakeover: false, windowBits };
  const stream = compressAll(plain, params);
  const compressed = stream[0]!;
  const held: unknown[] = [];
  // One of each first, so that code, shared buffers and the output scratch are out of the figure.
  new MessageInflater(params, MAX_PAYLOAD).inflate(compressed, 0, compressed.length);
  new MessageDeflater({ ...params, memLevel }).deflate(message);
  const before = gcMemory();
  for (let i = 0; i < CONTEXTS; i++) {
    if (kind === 'inflate') {
      const inflater = new MessageInflater(params, MAX_PAYLOAD);
      for (const c of stream) inflater.inflate(c, 0, c.length);
      held.push(inflater);
    } else {
      const deflater = new MessageDeflater({ ...params, memLevel });
      for (const m of plain) deflater.deflate(m);
      held.push(deflater);
    }
  }
  const after = gcMemory();
  const row: MemoryRow = {
    kind,
    windowBits,
    memLevel: kind === 'deflate' ? memLevel : null,
    kibPerContext: messages,
    rssPerContext: (after.rss - before.rss) / CONTEXTS,
    heapPerContext: (after.heapUsed - before.heapUsed) / CONTEXTS,
    externalPerContext: (after.external - before.external) / CONTEXTS,
  };
  process.send!(row, () => process.exit(0));
  if (held.length !== CONTEXTS) throw new Error('unreachable');
}

function measureMemoryRow(kind: 'inflate' | 'deflate', windowBits: number, memLevel: number, messages: number): Promise<MemoryRow> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--memory-child', kind, String(windowBits), String(memLevel), String(messages)], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('message', (row: MemoryRow) => resolve(row));
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`memory child exited with ${code}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  console.log(
    `permessage-deflate cost, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, zlib ${process.versions.zlib}`,
  );
  console.log(`CPU time per message, median of ${RUNS} runs of ≥ ${MIN_RUN_US / 1000} ms each\n`);
  for (const size of [64, 1024, 16384]) {
    const messages = payloads(size);
    benchInflate(size, messages);
    benchDeflate(size, messages);
  }
  console.log(`\nmemory per context with context takeover (${CONTEXTS} contexts, after 1 KiB and after 64 KiB through each)`);
  const memory: MemoryRow[] = [];
  const cases: ['inflate' | 'deflate', number, number][] = [
    ['inflate', 15, 8],
    ['inflate', 10, 8],
    ['deflate', 15, 8],
    ['deflate', 10, 8],
    ['deflate', 15, 4],
    ['deflate', 10, 1],
  ];
  for (const [kind, bits, memLevel] of cases) {
    for (const messages of quick ? [64] : [1, 64]) {
      const row = await measureMemoryRow(kind, bits, memLevel, messages);
      memory.push(row);
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
      console.log(
        `${kind} windowBits ${bits}${kind === 'deflate' ? ` memLevel ${memLevel}` : ''}, ${messages} KiB through it: RSS ${kib(row.rssPerContext)}, JS heap ${kib(row.heapPerContext)}, external ${kib(row.externalPerContext)} per context`,
      );
    }
  }
  if (outFile) writeFileSync(outFile, JSON.stringify({ node: process.version, zlib: process.versions.zlib, rows, memory }, null, 2) + '\n');
}

if (args[0] === '--memory-child') {
  memoryChild(args[1] as 'inflate' | 'deflate', Number(args[2]), Number(args[3]), Number(args[4]));
} else {
  await main();
}
