/**
 * `clients.slow`: a share of the clients that read slowly — at a byte rate, or pausing now and
 * then — so the server's per-connection buffers fill as with slow phones on a real app. Which
 * clients are slow, and how they read, is decided here once; the workers get it in their plans
 * and the transports do the reading (transports/read-throttle.ts). The report splits its figures
 * into the classes `normal` and `slow`.
 */
import { z } from 'zod';
import { positiveDuration, unitValue } from './fields.js';
import { parseByteRatePerSec, parseFraction } from './units.js';
import type { ReadThrottle } from '../transports/read-throttle.js';

const fraction = unitValue(parseFraction, 'fraction', '"5%", 0.05', (n) =>
  n <= 0 ? 'must be greater than zero' : n > 1 ? 'must be at most 100%' : undefined,
).describe('Share of the clients that read slowly: a percentage ("5%") or a fraction (0.05). At least one client.');

const readRate = unitValue(parseByteRatePerSec, 'byte rate', '"16KiB/s", "1MB/s", 2048', (n) =>
  n < 1 ? 'must be at least 1 byte per second' : undefined,
).describe('Bytes per second a slow client reads at most ("16KiB/s"; a bare number is bytes per second).');

export const slowClients = z
  .strictObject({
    fraction,
    readRate: readRate.optional(),
    pauseEvery: positiveDuration()
      .optional()
      .describe('Instead of readRate: a slow client reads normally and stops reading every this long…'),
    pauseFor: positiveDuration().optional().describe('…for this long (with pauseEvery).'),
  })
  .superRefine((slow, ctx) => {
    const pausing = slow.pauseEvery !== undefined || slow.pauseFor !== undefined;
    if (slow.readRate !== undefined && pausing) {
      ctx.issues.push({
        code: 'custom',
        input: slow,
        path: ['readRate'],
        message: 'slow clients read either at a readRate or with pauseEvery/pauseFor, not both',
      });
    } else if (slow.readRate === undefined && !pausing) {
      ctx.issues.push({
        code: 'custom',
        input: slow,
        message: 'says how slow clients read: readRate (e.g. "16KiB/s") or pauseEvery and pauseFor',
      });
    } else if (pausing && (slow.pauseEvery === undefined || slow.pauseFor === undefined)) {
      ctx.issues.push({
        code: 'custom',
        input: slow,
        path: [slow.pauseEvery === undefined ? 'pauseEvery' : 'pauseFor'],
        message: 'pauseEvery and pauseFor go together',
      });
    }
  })
  .optional()
  .describe(
    'Slow consumers: this share of the clients pauses reading its socket (TCP backpressure) to read at readRate, or for pauseFor every pauseEvery. The report shows classes.normal and classes.slow side by side. WebSocket transports only.',
  );

export type SlowClientsSetting = NonNullable<z.output<typeof slowClients>>;

/** How many of `connections` clients are slow: the fraction rounded, at least one. */
export function slowClientCount(fractionOfClients: number, connections: number): number {
  return Math.min(connections, Math.max(1, Math.round(fractionOfClients * connections)));
}

/**
 * Whether global client `index` (of `total`) is one of the `slow` slow clients: they are spread
 * evenly over the indices (so over the workers and the ramp-up), exactly `slow` of them.
 */
export function isSlowClient(index: number, total: number, slow: number): boolean {
  return Math.floor(((index + 1) * slow) / total) > Math.floor((index * slow) / total);
}

/** What the transports are told (plain data for the workers). */
export function readThrottleOf(slow: SlowClientsSetting): ReadThrottle {
  return slow.readRate !== undefined ? { bytesPerSec: slow.readRate } : { pauseEveryMs: slow.pauseEvery!, pauseForMs: slow.pauseFor! };
}
