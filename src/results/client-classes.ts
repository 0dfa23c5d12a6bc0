/**
 * The report's figures per client class (`classes.normal`, `classes.slow`) when a scenario has slow
 * clients (`clients.slow`): delivery, fan-out latency, errors and closes by code of each class,
 * side by side, so a reader sees what the slow clients got and whether they hurt the others
 * (head-of-line blocking, a stalled server loop) — and what the server did to them (buffered
 * without bound: latency; dropped: loss; disconnected: closes by code).
 *
 * Workers count each class (ClientClassCounts, plain data); the coordinator adds them (exact: the
 * histograms are added from their encodings) and `--repeat` merges reports as merge.ts does the
 * rest (counts as per-run means, ratios pooled). Pure.
 */
import { encodeHistogram, mergeEncoded, summarizeMs } from '../metrics/histogram.js';
import { addDelivery, deliveryReport, emptyDelivery } from '../metrics/ledger.js';
import { round3 } from '../metrics/rounding.js';
import type { ReadThrottle } from '../transports/read-throttle.js';
import type { ClientClassName, ClientClassReport, ClientClassesReport, DeliveryCounts } from './types.js';

export type { ClientClassName, ClientClassReport, ClientClassesReport };

export const CLIENT_CLASSES = ['normal', 'slow'] as const satisfies readonly ClientClassName[];

/** One class's figures as a worker counts them (and as they add up). */
export interface ClientClassCounts {
  /** Clients of the class (planned). */
  clients: number;
  opened: number;
  failed: number;
  /** Connections of the class that closed before the run ended (their close codes in `closesByCode`). */
  closedEarly: number;
  delivery: DeliveryCounts;
  /** Errors by kind (the kinds of the transport's `errors`) counted on the class's clients. */
  errors: Record<string, number>;
  /** Closes before the run ended by WebSocket close code, e.g. `{"1013": 3, "1006": 1}`. */
  closesByCode: Record<string, number>;
  /** Encoded fan-out histogram of the class's measured deliveries. */
  fanout: string;
}

/** How a class reads, for a person: "reads at most 16384 B/s", "pauses 200 ms every 1000 ms". */
export function describeReadThrottle(throttle: ReadThrottle): string {
  return 'bytesPerSec' in throttle
    ? `reads at most ${throttle.bytesPerSec} B/s`
    : `pauses ${throttle.pauseForMs} ms every ${throttle.pauseEveryMs} ms`;
}

export function emptyClassCounts(clients: number): ClientClassCounts {
  return { clients, opened: 0, failed: 0, closedEarly: 0, delivery: emptyDelivery(), errors: {}, closesByCode: {}, fanout: '' };
}

/** Counts added into `into` (errors and closes by key); histograms are kept apart by the caller. */
function addRecord(into: Record<string, number>, add: Record<string, number>, scale = 1): void {
  for (const [k, v] of Object.entries(add)) into[k] = (into[k] ?? 0) + v * scale;
}

/** The ratios as the transport's `delivery` has them (one place: metrics/ledger.ts deliveryReport). */
function ratios(d: DeliveryCounts): { lostRatio: number; deliveryRatio: number } {
  const { lostRatio, deliveryRatio } = deliveryReport(d, { foreign: 0, unstamped: 0, control: 0, misrouted: 0, notOwed: 0 });
  return { lostRatio, deliveryRatio };
}

/** One class of one run: the workers' counts added. */
export function classReport(parts: readonly ClientClassCounts[], readThrottle: ReadThrottle | null): ClientClassReport {
  const delivery = emptyDelivery();
  const errors: Record<string, number> = {};
  const closesByCode: Record<string, number> = {};
  let clients = 0;
  const connections = { opened: 0, failed: 0, closedEarly: 0 };
  for (const p of parts) {
    clients += p.clients;
    connections.opened += p.opened;
    connections.failed += p.failed;
    connections.closedEarly += p.closedEarly;
    addDelivery(delivery, p.delivery);
    addRecord(errors, p.errors);
    addRecord(closesByCode, p.closesByCode);
  }
  const fanout = mergeEncoded(parts.map((p) => p.fanout).filter((f) => f !== ''));
  return {
    clients,
    readThrottle,
    connections,
    delivery: { ...delivery, ...ratios(delivery) },
    fanoutLatencyMs: summarizeMs(fanout),
    errors,
    closesByCode,
    histogram: encodeHistogram(fanout),
  };
}

/** The classes of repeated runs: counts as per-run means, ratios pooled, latency from the added histograms. */
export function mergeClassReports(runs: readonly ClientClassesReport[]): ClientClassesReport {
  const out = {} as ClientClassesReport;
  for (const name of CLIENT_CLASSES) {
    const parts = runs.map((r) => r[name]);
    const n = parts.length;
    const mean = (f: (c: ClientClassReport) => number) => round3(parts.reduce((a, c) => a + f(c), 0) / n);
    const total = emptyDelivery();
    for (const p of parts) addDelivery(total, p.delivery);
    const delivery = { ...total };
    for (const k of Object.keys(delivery) as (keyof DeliveryCounts)[]) delivery[k] = round3((delivery[k] ?? 0) / n);
    const errors: Record<string, number> = {};
    const closesByCode: Record<string, number> = {};
    for (const p of parts) {
      addRecord(errors, p.errors, 1 / n);
      addRecord(closesByCode, p.closesByCode, 1 / n);
    }
    for (const record of [errors, closesByCode]) for (const k of Object.keys(record)) record[k] = round3(record[k]!);
    const fanout = mergeEncoded(parts.map((p) => p.histogram));
    out[name] = {
      clients: mean((c) => c.clients),
      readThrottle: parts[0]!.readThrottle,
      connections: {
        opened: mean((c) => c.connections.opened),
        failed: mean((c) => c.connections.failed),
        closedEarly: mean((c) => c.connections.closedEarly),
      },
      delivery: { ...delivery, ...ratios(total) },
      fanoutLatencyMs: summarizeMs(fanout),
      errors,
      closesByCode,
      histogram: encodeHistogram(fanout),
    };
  }
  return out;
}
