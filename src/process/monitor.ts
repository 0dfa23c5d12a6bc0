/**
 * How busy this process is: CPU time over wall time and event-loop delay. Every wsbench process
 * (coordinator, workers, server) runs one so a run can tell when the tool, not the target, was
 * the limit.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { ProcessStats } from '../results/types.js';
import { round3 } from '../metrics/rounding.js';

/** Sampling period of the event-loop delay monitor; Node's samples include it, so it is subtracted. */
const DELAY_RESOLUTION_MS = 10;

/**
 * A delay sample (ns) as ms of delay: samples are the time between ticks of a
 * DELAY_RESOLUTION_MS timer, so the delay is the excess over it.
 */
function excessMs(ns: number): number {
  return Number.isFinite(ns) ? Math.max(0, round3(ns / 1e6 - DELAY_RESOLUTION_MS)) : 0;
}

/** This process's CPU % (of one core) span by span: each `percent()` covers the time since the previous one. */
class CpuSpans {
  private lastCpu = process.cpuUsage();
  private lastWall = performance.now();

  percent(): number {
    const cpu = process.cpuUsage();
    const wall = performance.now();
    const usedMs = (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / 1000;
    const percent = wall > this.lastWall ? (100 * usedMs) / (wall - this.lastWall) : 0;
    this.lastCpu = cpu;
    this.lastWall = wall;
    return Math.round(percent * 10) / 10;
  }
}

export class ProcessMonitor {
  private readonly delay: IntervalHistogram;
  private startCpu = process.cpuUsage();
  private startWall = performance.now();
  private spans = new CpuSpans();

  constructor(readonly role: ProcessStats['role']) {
    this.delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
    this.delay.enable();
  }

  /** Restart the totals (e.g. at the start of a transport's run). */
  reset(): void {
    this.startCpu = process.cpuUsage();
    this.startWall = performance.now();
    this.spans = new CpuSpans();
    this.delay.reset();
  }

  /**
   * Restart only the event-loop delay: at the start of publishing, so a burst of handshakes while
   * connecting does not count against the receipt timestamps of the measured messages.
   */
  resetEventLoopDelay(): void {
    this.delay.reset();
  }

  /** CPU % since the previous call (for live snapshots). */
  intervalCpuPercent(): number {
    return this.spans.percent();
  }

  /** Event-loop delay p99 (ms) since the last reset. */
  eventLoopDelayP99Ms(): number {
    return excessMs(this.delay.percentile(99));
  }

  /** Totals since construction or reset. */
  stats(): ProcessStats {
    const cpu = process.cpuUsage(this.startCpu);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const wallMs = performance.now() - this.startWall;
    return {
      role: this.role,
      pid: process.pid,
      cpuMs: Math.round(cpuMs),
      cpuPercent: wallMs > 0 ? Math.round((1000 * cpuMs) / wallMs) / 10 : 0,
      eventLoopDelayMs: {
        p50: excessMs(this.delay.percentile(50)),
        p99: this.eventLoopDelayP99Ms(),
        max: excessMs(this.delay.max),
      },
      rssBytes: process.memoryUsage.rss(),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  }

  stop(): void {
    this.delay.disable();
  }
}

/** CPU % (of one core) and event-loop delay p99 (ms) of this process over some span. */
export interface LoadSample {
  cpuPercent: number;
  eventLoopDelayP99Ms: number;
}

/**
 * This process's load span by span (the timeline's intervals): each `sample()` returns CPU % and
 * the event-loop delay p99 since the previous one. Its own delay monitor, so the run's totals
 * (ProcessMonitor) are not disturbed.
 */
export class LoadSampler {
  private readonly delay: IntervalHistogram;
  private readonly cpu = new CpuSpans();

  constructor() {
    this.delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
    this.delay.enable();
  }

  sample(): LoadSample {
    const cpuPercent = this.cpu.percent();
    // No tick of the delay monitor yet (a span shorter than its resolution): no delay seen.
    const p99 = this.delay.count > 0 ? excessMs(this.delay.percentile(99)) : 0;
    this.delay.reset();
    return { cpuPercent, eventLoopDelayP99Ms: p99 };
  }

  stop(): void {
    this.delay.disable();
  }
}
