/**
 * One clock for every wsbench process on a host: CLOCK_MONOTONIC in milliseconds (as a double).
 * process.hrtime.bigint() reads it but allocates a BigInt; performance.now() is cheap but counts
 * from this process's start. The offset between the two is taken once, so `monotonicMs()` is
 * cheap and comparable across processes (sub-microsecond agreement).
 */
import { performance } from 'node:perf_hooks';

/**
 * The offset is read as hrtime − performance.now() from two back-to-back reads; a preemption
 * between them would skew every latency this process records. Of several read pairs, the one
 * with the smallest gap (bracketed by performance.now() on both sides) is kept.
 */
function measureOffset(pairs = 16): number {
  let best = Number.POSITIVE_INFINITY;
  let offset = 0;
  for (let i = 0; i < pairs; i++) {
    const before = performance.now();
    const mono = Number(process.hrtime.bigint()) / 1e6;
    const after = performance.now();
    if (after - before < best) {
      best = after - before;
      offset = mono - (before + after) / 2;
    }
  }
  return offset;
}

const offsetMs = measureOffset();

export function monotonicMs(): number {
  return performance.now() + offsetMs;
}

/** Stated in every report: what the latency figures assume about clocks. */
export const CLOCK_ASSUMPTION =
  'publisher and clients run on one host and share CLOCK_MONOTONIC; latency = receipt time - intended publish time, error < 1 µs from the clock';
