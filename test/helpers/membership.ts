/**
 * What clients in several channels are owed, counted from the rule as the README states it
 * (client i is in channels (i·k + j) mod n, j = 0…k−1; message s goes to channel s mod n) —
 * independently of src/config/membership.ts, so a test compares the two.
 */
import assert from 'node:assert/strict';
import type { TransportReport } from '../../src/results/types.js';

/** Publishes of each channel: message s goes to channel s mod n. */
export function publishesPerChannel(publishes: number, channels: number): number[] {
  return Array.from({ length: channels }, (_, c) => Math.max(0, Math.ceil((publishes - c) / channels)));
}

/**
 * Deliveries owed to `clients` clients in `k` channels each over `channels` channels for
 * `publishes` messages; with `only`, to those of the clients it keeps (by index).
 */
export function membershipSum(clients: number, k: number, channels: number, publishes: number, only?: (client: number) => boolean): number {
  const perChannel = publishesPerChannel(publishes, channels);
  let sum = 0;
  for (let i = 0; i < clients; i++) {
    if (only && !only(i)) continue;
    for (let j = 0; j < k; j++) sum += perChannel[(i * k + j) % channels]!;
  }
  return sum;
}

/** Everything owed delivered, once, to the right membership; the ledger identity holds. */
export function assertMembershipLedger(ws: TransportReport, expected: number, context: string): void {
  const d = ws.delivery;
  const why = `${context}: ${JSON.stringify({ delivery: d, errors: ws.errors, samples: ws.errorSamples })}`;
  assert.equal(d.expected, expected, why);
  assert.equal(d.delivered, expected, why);
  assert.equal(d.lost, 0, why);
  assert.equal(d.duplicated, 0, why);
  assert.equal(d.ignoredBy.misrouted, 0, why);
  assert.equal(d.delivered + d.lost + d.notOwed + d.unpublished, d.expected, why);
  console.log(
    `# ${context}: delivered ${d.delivered}/${d.expected} fan-out p50 ${ws.fanoutLatencyMs.p50} ms p99 ${ws.fanoutLatencyMs.p99} ms`,
  );
}
