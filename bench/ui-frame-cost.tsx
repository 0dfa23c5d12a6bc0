/**
 * What one dashboard frame costs the coordinator: renders the live Dashboard with Ink into a fake
 * 80×24 terminal (a Writable that says it is a TTY and counts bytes), changing the snapshot every
 * frame, and reports CPU per frame and the bytes written. At the dashboard's 10 fps cap, the CPU
 * share of one core is cpu-per-frame × 10 / 1000.
 *
 *   npm run build && node dist/bench/ui-frame-cost.js [frames=2000]
 */
import { Writable } from 'node:stream';
import { render } from 'ink';
import { Dashboard } from '../src/ui/dashboard/Dashboard.js';
import { initialState, reduce, type DashboardState } from '../src/ui/dashboard/state.js';
import { phaseEvent, snapshot } from '../test/fixtures/ui.js';

const frames = Number(process.argv[2] ?? 2000);
let bytes = 0;
const tty = Object.assign(
  new Writable({
    write(chunk: Buffer | string, _enc, done) {
      bytes += chunk.length;
      done();
    },
  }),
  { isTTY: true, columns: 80, rows: 24 },
) as unknown as NodeJS.WriteStream;

let state: DashboardState = [phaseEvent('starting-redis', null, 0), phaseEvent('connecting'), phaseEvent('publishing')].reduce(
  reduce,
  initialState('bench'),
);
const view = () => <Dashboard state={state} width={80} color unicode interactive={false} />;
// maxFps high so Ink's own throttle does not hide frames from the count.
const ink = render(view(), { stdout: tty, patchConsole: false, exitOnCtrlC: false, maxFps: 100_000 });

const step = (i: number) => {
  const base = snapshot('publishing');
  state = reduce(state, {
    type: 'snapshot',
    snapshot: snapshot('publishing', {
      elapsedMs: 5_000 + i * 100,
      phaseProgress: (i % 100) / 100,
      delivery: { ...base.delivery, delivered: base.delivery.delivered + i * 4000, perSec: 38_000 + ((i * 7919) % 4000) },
      latencyMs: { p50: 0.4 + (i % 10) / 100, p99: 1.2 + (i % 13) / 10, max: 3 + (i % 17) / 10, count: 20_000 + i },
    }),
  });
  ink.rerender(view());
};

for (let i = 0; i < 200; i++) step(i); // warm up the JIT
await new Promise((r) => setTimeout(r, 50));
bytes = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < frames; i++) {
  step(i);
  // Let Ink's throttled writer run, as it does between real frames.
  if (i % 10 === 0) await new Promise((r) => setImmediate(r));
}
await new Promise((r) => setTimeout(r, 50));
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
ink.unmount();
const cpuMsPerFrame = (cpu.user + cpu.system) / 1000 / frames;
process.stdout.write(
  `${frames} frames: ${cpuMsPerFrame.toFixed(3)} ms CPU per frame (wall ${(wall / frames).toFixed(3)} ms), ` +
    `${Math.round(bytes / frames)} bytes written per frame; at 10 fps ≈ ${cpuMsPerFrame.toFixed(2)}% of one core\n`,
);
