/**
 * The drain: after the last publish, wait for late messages until everything owed arrived, the
 * drain period ends, or the run is stopped. A transport may need a longer drain than the
 * scenario's to collect its last messages at all (interval polling: one more poll).
 */
import { monotonicMs } from '../metrics/clock.js';
import type { TransportDescriptor, TransportSettings } from '../transports/descriptor.js';

/** The drain to use, and a warning when the transport raised the scenario's. */
export function drainFor(
  scenarioDrainMs: number,
  transport: TransportDescriptor,
  settings: TransportSettings,
): { drainMs: number; warning?: string } {
  const minimum = transport.minimumDrain(settings);
  if (!minimum || scenarioDrainMs >= minimum.ms) return { drainMs: scenarioDrainMs };
  return { drainMs: minimum.ms, warning: `drain raised to ${minimum.ms} ms for ${minimum.reason}` };
}

/** How often the drain looks at the deliveries so far. */
const DRAIN_CHECK_MS = 25;

/**
 * Resolves once `outstanding()` — owed deliveries of published messages not received yet, as the
 * workers count them from their ledgers (null until every worker said) — is 0, after `drainMs`, or
 * when `signal` aborts.
 */
export async function waitUntilDrained(outstanding: () => number | null, drainMs: number, signal: AbortSignal): Promise<void> {
  const deadline = monotonicMs() + drainMs;
  while (monotonicMs() < deadline && !signal.aborted) {
    if (outstanding() === 0) return;
    await new Promise((r) => setTimeout(r, DRAIN_CHECK_MS));
  }
}
