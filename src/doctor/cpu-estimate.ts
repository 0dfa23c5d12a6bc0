/**
 * How much CPU a run needs, from costs measured with wsbench itself on the project's standard
 * machine (2-vCPU AMD EPYC, Node 20; BENCHMARKS.md and bench/results/100k.json). A different CPU
 * shifts these figures, so the doctor shows them as an estimate with their source. Pure.
 */

/** CPU per delivered message, µs: wsbench's own processes (coordinator, publisher, workers). */
export const TOOL_US_PER_DELIVERY = {
  /** 1,000 clients × 400 msg/s: several messages per socket read (BENCHMARKS.md, tool CPU table). */
  batched: 2.87,
  /** 500 clients × 200 msg/s, the server writing each message alone: one read per message. */
  unbatched: 7.87,
} as const;

/** CPU per recipient, µs, of the reference server writing each message alone (BENCHMARKS.md, 20 msg/s). */
export const SERVER_US_PER_DELIVERY_UNBATCHED = 9.75;

/**
 * Everything on the machine — wsbench, the reference server and Redis — per delivery at the
 * highest load measured: 600,002 deliveries/s at 100 % on 2 cores, not saturated (BENCHMARKS.md,
 * deliveries per second), so at most 2 cores ÷ 600,002/s.
 */
export const MACHINE_US_PER_DELIVERY_BATCHED = (2 * 1e6) / 600_002;

/**
 * CPU per connection over its life — handshake, 60 s held, close — ms: the 100,000-connection run
 * (bench/results/100k.json) used 49.9 CPU-seconds in wsbench's processes and 61.0 in the
 * reference server's, its 600,000 deliveries included (at most ~10 % of it).
 */
export const TOOL_MS_PER_CONNECTION = 0.5;
export const SERVER_MS_PER_CONNECTION = 0.61;

export const COST_SOURCE = 'costs measured on a 2-vCPU EPYC: BENCHMARKS.md, bench/results/100k.json';

/** Above this share of the cores, a run may be limited by CPU (Redis and the OS need some too). */
export const BUSY_SHARE = 0.8;

export interface CpuInput {
  cores: number;
  connections: number;
  /** PUBLISH commands per second; null when not given. */
  ratePerSec: number | null;
  /** Channels the clients are spread over (each publish reaches connections ÷ channels clients). */
  channels: number;
  /** The reference server runs on this machine (its cost counts too). */
  serverHere: boolean;
}

export interface CpuEstimate {
  /** CPU-seconds to open, hold and close every connection. */
  connectionCpuSeconds: number;
  /** Wall-clock seconds that takes with every core busy: the least sensible ramp-up. */
  connectionSecondsOnAllCores: number;
  /** Deliveries per second the run asks for (null without a rate). */
  deliveriesPerSec: number | null;
  /** Cores the deliveries need: [best case (batched), worst case (one message per read/write)]. */
  deliveryCores: [number, number] | null;
  /** Deliveries per second all cores can carry: [worst case, best case]. */
  maxDeliveriesPerSec: [number, number];
  /** µs per delivery used: [batched, unbatched]. */
  usPerDelivery: [number, number];
  msPerConnection: number;
  verdict: 'ok' | 'busy' | 'too-much';
}

export function estimateCpu(input: CpuInput): CpuEstimate {
  // Best case: messages share reads and writes (high rates); worst: every message alone.
  const us: [number, number] = input.serverHere
    ? [MACHINE_US_PER_DELIVERY_BATCHED, TOOL_US_PER_DELIVERY.unbatched + SERVER_US_PER_DELIVERY_UNBATCHED]
    : [TOOL_US_PER_DELIVERY.batched, TOOL_US_PER_DELIVERY.unbatched];
  const msPerConnection = TOOL_MS_PER_CONNECTION + (input.serverHere ? SERVER_MS_PER_CONNECTION : 0);
  const cores = Math.max(1, input.cores);
  const connectionCpuSeconds = (input.connections * msPerConnection) / 1000;
  const deliveriesPerSec =
    input.ratePerSec === null
      ? null
      : (input.ratePerSec * input.connections) / Math.max(1, Math.min(input.channels, input.connections || 1));
  const deliveryCores: [number, number] | null =
    deliveriesPerSec === null ? null : [(deliveriesPerSec * us[0]) / 1e6, (deliveriesPerSec * us[1]) / 1e6];
  let verdict: CpuEstimate['verdict'] = 'ok';
  if (deliveryCores && deliveryCores[0] > cores) verdict = 'too-much';
  else if (deliveryCores && deliveryCores[1] > cores * BUSY_SHARE) verdict = 'busy';
  return {
    connectionCpuSeconds,
    connectionSecondsOnAllCores: connectionCpuSeconds / cores,
    deliveriesPerSec,
    deliveryCores,
    maxDeliveriesPerSec: [(cores * 1e6) / us[1], (cores * 1e6) / us[0]],
    usPerDelivery: us,
    msPerConnection,
    verdict,
  };
}
