/**
 * One clock for every wsbench process on a host: CLOCK_MONOTONIC in milliseconds (as a double).
 * process.hrtime.bigint() reads it but allocates a BigInt; performance.now() is cheap but counts
 * from this process's start. The offset between the two is taken once, so `monotonicMs()` is
 * cheap and comparable across processes (sub-microsecond agreement).
 */
import { performance } from 'node:perf_hooks';

const offsetMs = Number(process.hrtime.bigint()) / 1e6 - performance.now();

export function monotonicMs(): number {
  return performance.now() + offsetMs;
}

/** Stated in every report: what the latency figures assume about clocks. */
export const CLOCK_ASSUMPTION =
  'publisher and clients run on one host and share CLOCK_MONOTONIC; latency = receipt time - intended publish time, error < 1 µs from the clock';
