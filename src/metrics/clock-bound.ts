/**
 * What the agents' clocks mean for the run's latency figures. Pure.
 *
 * A latency measured on an agent is its receipt time (converted to the coordinator's clock)
 * minus the intended publish time (the coordinator's clock): it is off by at most the agent's
 * clock error bound. A percentile of samples that are each off by at most B is itself off by at
 * most B (moving every sample by ≤ B moves every order statistic by ≤ B), so the run's latency
 * error bound is the largest bound among the agents that measured — merged histograms included.
 * The wording of the summary's line is reporters/clock-note.ts.
 */
import { SAME_HOST_CLOCK_ERROR_MS, type AgentClock } from './clock-offset.js';

/** The bound is called out when it exceeds this share of the median latency. */
export const CLOCK_BOUND_NOTE_RATIO = 0.1;

/**
 * The run's latency error bound (ms): the largest agent bound; one host's when there is no agent.
 * With client senders on agents (`clientSenders`) a round trip can be sent on one agent and
 * received on another, two conversions whose errors add (on one agent they are the same error and
 * cancel): then the two largest bounds summed.
 */
export function runLatencyErrorBound(agents: readonly Pick<AgentClock, 'errorBoundMs'>[], clientSenders = false): number {
  const bounds = agents.map((a) => a.errorBoundMs).sort((a, b) => b - a);
  const worst = clientSenders && bounds.length >= 2 ? bounds[0]! + bounds[1]! : (bounds[0] ?? 0);
  return Math.max(worst, SAME_HOST_CLOCK_ERROR_MS);
}

/** Why the summary must mention the clock bound for one set of latency figures. */
export type ClockBoundVerdict =
  /** The bound is more than `ratio` of the median latency. */
  | { kind: 'large'; boundMs: number; p50Ms: number; share: number }
  /** Nothing to compare with (no delivery, or a median of zero or less) while the bound is above one host's. */
  | { kind: 'no-median'; boundMs: number };

/**
 * Whether the clock error bound must be called out next to latency figures whose median is
 * `p50Ms` (null when nothing was measured): a bound above `ratio` of p50 is; so is any bound above
 * one host's when there is no median to compare it with — said, rather than passed over. Null:
 * nothing to say.
 */
export function clockBoundVerdict(boundMs: number, p50Ms: number | null, ratio = CLOCK_BOUND_NOTE_RATIO): ClockBoundVerdict | null {
  if (!(boundMs > SAME_HOST_CLOCK_ERROR_MS)) return null;
  if (p50Ms === null || !Number.isFinite(p50Ms) || p50Ms <= 0) return { kind: 'no-median', boundMs };
  const share = boundMs / p50Ms;
  return share > ratio ? { kind: 'large', boundMs, p50Ms, share } : null;
}
