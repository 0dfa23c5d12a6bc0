/**
 * The run around the transports' results: its id, when it started and ended, whether it
 * completed, the clock assumption, the host and its load, the scenario as run — and the RunReport
 * assembled from them and the transports' reports.
 */
import { randomBytes } from 'node:crypto';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import type { Scenario } from '../config/resolve.js';
import { CLOCK_ASSUMPTION, monotonicMs } from '../metrics/clock.js';
import { round2 } from '../metrics/rounding.js';
import { buildComparison } from '../results/comparison.js';
import { REPORT_SCHEMA, type Incident, type RunReport } from '../results/types.js';
import { TOOL_VERSION } from '../version.js';

export class ReportEnvelope {
  readonly runId = randomBytes(8).toString('hex');
  private readonly startedAt = new Date();
  private readonly loadAtStart = loadavg().map(round2);
  /** monotonicMs() of the run's start: time 0 of `elapsed()`, phases, incidents and timelines. */
  readonly startMs = monotonicMs();

  constructor(private readonly scenario: Pick<Scenario, 'name' | 'asRun'>) {}

  /** ms since the run started (the time axis of events and phases). */
  elapsed(): number {
    return this.elapsedAt(monotonicMs());
  }

  /** ms since the run started of a monotonicMs() reading (taken in any process of this host). */
  elapsedAt(monotonic: number): number {
    return Math.round(monotonic - this.startMs);
  }

  /** The report of the run so far; `stopReason` marks it incomplete. */
  report(transports: RunReport['transports'], stopReason?: string, incidents: Incident[] = []): RunReport {
    const comparison = buildComparison(transports);
    return {
      schema: REPORT_SCHEMA,
      tool: { name: 'wsbench', version: TOOL_VERSION, node: process.version },
      run: {
        id: this.runId,
        ...(this.scenario.name ? { name: this.scenario.name } : {}),
        startedAt: this.startedAt.toISOString(),
        endedAt: new Date().toISOString(),
        durationMs: this.elapsed(),
        completed: stopReason === undefined,
        ...(stopReason ? { stopReason } : {}),
        clock: CLOCK_ASSUMPTION,
        host: {
          platform: platform(),
          arch: arch(),
          cpus: cpus().length,
          cpuModel: cpus()[0]?.model ?? 'unknown',
          totalMemoryBytes: totalmem(),
          loadAverage: { start: this.loadAtStart, end: loadavg().map(round2) },
        },
        incidents,
      },
      scenario: this.scenario.asRun,
      transports,
      ...(comparison ? { comparison } : {}),
    };
  }
}
