/**
 * Samples of the common clock reference, Redis `TIME`, bracketed by this process's monotonic
 * clock; and a clock that re-estimates its offset to it on a timer during a run. The arithmetic
 * is metrics/clock-offset.ts.
 *
 * The sampling connection must be one no other command waits on: a blocking XREAD ahead of a TIME
 * on the same connection would hold it for seconds, and anything queued adds to the round trip.
 * Samples are taken one after another, never pipelined (a pipelined request's "sent" time would
 * be stale by the requests ahead of it).
 */
import { monotonicMs } from '../metrics/clock.js';
import { DEFAULT_MAX_DRIFT_PPM, estimateOffset, type OffsetEstimate, type ReferenceSample } from '../metrics/clock-offset.js';
import type { RedisClient } from '../redis/client.js';
import { WsbenchError, messageOf } from '../errors.js';
import { DEFAULT_TIMING } from './protocol.js';

/**
 * Both sides express `TIME` in milliseconds from this instant (2023-11-14 22:13:20 UTC), not from
 * 1970: at today's ~1.7·10¹² ms a double's step is 0.24 µs, a quarter of TIME's resolution; from
 * here it stays below 1 ns for a century.
 */
export const REFERENCE_EPOCH_S = 1_700_000_000;

/** TIME's reply (seconds, microseconds) in milliseconds since REFERENCE_EPOCH_S. */
export function redisTimeMs(seconds: string | number, micros: string | number): number {
  return (Number(seconds) - REFERENCE_EPOCH_S) * 1000 + Number(micros) / 1000;
}

export interface SampleOptions {
  /** Reads in the window (default 64). */
  samples?: number;
  /** The local clock; tests inject an offset here (`() => monotonicMs() + 250`). */
  now?: () => number;
}

/** One window of reads of Redis TIME, one after another. */
export async function sampleRedisTime(client: RedisClient, options: SampleOptions = {}): Promise<ReferenceSample[]> {
  const count = options.samples ?? 64;
  const now = options.now ?? monotonicMs;
  const out: ReferenceSample[] = [];
  for (let i = 0; i < count; i++) {
    const sentMs = now();
    const reply = (await client.time()) as unknown as [string, string];
    const receivedMs = now();
    out.push({ sentMs, referenceMs: redisTimeMs(reply[0], reply[1]), receivedMs });
  }
  return out;
}

export interface ReferenceClockOptions extends SampleOptions {
  /** A new window this often (default: the protocol's DEFAULT_TIMING.clockResampleMs, 10 s). */
  everyMs?: number;
  /** Estimates kept for the drift (the oldest dropped first; default 30: five minutes at 10 s). */
  keep?: number;
  /** Share of each window's samples kept (the lowest round trips). */
  keepFraction?: number;
  maxDriftPpm?: number;
  onEstimate?: (estimate: OffsetEstimate) => void;
  /** A window failed (the connection is gone); the clock keeps its estimates and tries again at the next tick. */
  onError?: (error: WsbenchError) => void;
}

/** This process's offset to Redis TIME, re-estimated on a timer. */
export class ReferenceClock {
  private readonly kept: OffsetEstimate[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly client: RedisClient,
    private readonly options: ReferenceClockOptions = {},
  ) {}

  /** Takes the first window (its failure is thrown), then one every `everyMs`. */
  async start(): Promise<OffsetEstimate> {
    await this.window(true);
    this.timer = setInterval(() => {
      if (!this.sampling) this.sampling = this.window(false).finally(() => (this.sampling = undefined));
    }, this.options.everyMs ?? DEFAULT_TIMING.clockResampleMs);
    this.timer.unref();
    return this.latest()!;
  }

  /** Takes one window now (besides the timer's). */
  async resample(): Promise<OffsetEstimate> {
    await this.window(true);
    return this.latest()!;
  }

  estimates(): readonly OffsetEstimate[] {
    return this.kept;
  }

  latest(): OffsetEstimate | undefined {
    return this.kept.at(-1);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.sampling;
  }

  private async window(throwing: boolean): Promise<void> {
    try {
      const samples = await sampleRedisTime(this.client, this.options);
      if (this.stopped && !throwing) return;
      const estimate = estimateOffset(samples, {
        keepFraction: this.options.keepFraction,
        maxDriftPpm: this.options.maxDriftPpm ?? DEFAULT_MAX_DRIFT_PPM,
      });
      if (!estimate) throw new Error('no valid sample of Redis TIME');
      this.kept.push(estimate);
      if (this.kept.length > (this.options.keep ?? 30)) this.kept.shift();
      this.options.onEstimate?.(estimate);
    } catch (e) {
      const error = new WsbenchError('REDIS_UNREACHABLE', `cannot read the control Redis's TIME for the clock offset: ${messageOf(e)}`, {
        cause: e,
      });
      if (throwing) throw error;
      this.options.onError?.(error);
    }
  }
}
