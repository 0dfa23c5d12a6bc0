/**
 * CPU per message of the fast client's frame parser alone (src/wire/websocket-frame.ts): no
 * sockets, no kernel, only the loop a parser change can make faster or slower. The end-to-end
 * client bench (run.ts --only client) cannot see a nanosecond per message under a delivery's
 * ~6 µs; this can. Measured as process CPU time (user + system), so other load on a shared
 * machine does not count as the parser's.
 *
 *   node dist/bench/frame-parser.js [--payload 64] [--per-read 1,4,32] [--runs 7]
 *
 * Each messages-per-read figure is measured in a fresh process: code the JIT optimised for one
 * shape of read would otherwise be measured on the next. To compare two versions, run each
 * build's copy in turn.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FrameParser, Opcode, encodeServerFrame, type FrameSink } from '../src/wire/websocket-frame.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const payloadBytes = Number(args.get('payload') ?? 64);
const perReads = (args.get('per-read') ?? '1,4,32').split(',').map(Number);
const runs = Number(args.get('runs') ?? 7);
/** Messages parsed per run. */
const MESSAGES = 4_000_000;

let bytes = 0;
const sink: FrameSink = {
  frameMessage(_data, start, end) {
    bytes += end - start;
  },
  frameControl() {},
  frameError(code, reason) {
    throw new Error(`protocol error ${code}: ${reason}`);
  },
};

if (perReads.length > 1) {
  for (const perRead of perReads) {
    const own = ['--payload', String(payloadBytes), '--per-read', String(perRead), '--runs', String(runs)];
    process.stdout.write(execFileSync(process.execPath, [fileURLToPath(import.meta.url), ...own], { timeout: 120_000 }));
  }
} else {
  measure(perReads[0]!);
}

function measure(perRead: number): void {
  const frame = encodeServerFrame(Opcode.Binary, Buffer.alloc(payloadBytes, 7));
  const read = Buffer.concat(Array.from({ length: perRead }, () => frame));
  const parser = new FrameParser(1 << 20, sink);
  const reads = Math.round(MESSAGES / perRead);
  const nsPerMessage = (): number => {
    const before = process.cpuUsage();
    for (let i = 0; i < reads; i++) parser.push(read, read.length);
    const used = process.cpuUsage(before);
    return ((used.user + used.system) * 1000) / (reads * perRead);
  };
  for (let i = 0; i < 3; i++) nsPerMessage(); // warm-up: let the JIT settle
  const samples = Array.from({ length: runs }, nsPerMessage).sort((a, b) => a - b);
  const median = samples[samples.length >> 1]!;
  console.log(
    `${String(perRead).padStart(3)} messages of ${payloadBytes} B per read: ${median.toFixed(2)} ns CPU per message (median of ${runs}; ${samples[0]!.toFixed(2)}–${samples[samples.length - 1]!.toFixed(2)})`,
  );
  if (bytes === 0) throw new Error('nothing was parsed');
}
