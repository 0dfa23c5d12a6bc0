/**
 * The side-by-side comparison of transports (WebSocket vs long-polling vs polling): pure, from
 * the transport reports alone.
 */
import type { Comparison, ComparisonRow, RunReport, TransportName, TransportReport, WebSocketAdvantage } from './types.js';
import { round2 } from '../metrics/rounding.js';

export function comparisonRow(t: TransportReport): ComparisonRow {
  return {
    transport: t.transport,
    fanoutP50Ms: t.fanoutLatencyMs.p50,
    fanoutP99Ms: t.fanoutLatencyMs.p99,
    fanoutMaxMs: t.fanoutLatencyMs.max,
    deliveriesPerSec: t.throughput.deliveriesPerSec,
    deliveryRatio: t.delivery.deliveryRatio,
    bytesPerDelivery: t.bytesPerDelivery,
    requestsPerDelivery: t.requestsPerDelivery,
    toolCpuUsPerDelivery: t.toolCpuUsPerDelivery,
    serverCpuUsPerDelivery: t.serverCpuUsPerDelivery,
  };
}

/** other ÷ websocket, or null when either side is missing or WebSocket's is zero. */
function ratio(other: number | null, websocket: number | null): number | null {
  if (other === null || websocket === null || websocket === 0) return null;
  return round2(other / websocket);
}

export function buildComparison(transports: RunReport['transports']): Comparison | undefined {
  const present = (Object.values(transports) as TransportReport[]).filter(Boolean);
  if (present.length < 2) return undefined;
  const rows = present.map(comparisonRow);
  const ws = rows.find((r) => r.transport === 'websocket');
  const websocketAdvantage: Partial<Record<TransportName, WebSocketAdvantage>> = {};
  if (ws) {
    for (const row of rows) {
      if (row.transport === 'websocket') continue;
      websocketAdvantage[row.transport] = {
        fanoutP50: ratio(row.fanoutP50Ms, ws.fanoutP50Ms),
        fanoutP99: ratio(row.fanoutP99Ms, ws.fanoutP99Ms),
        bytesPerDelivery: ratio(row.bytesPerDelivery, ws.bytesPerDelivery),
        requestsPerDelivery: ratio(row.requestsPerDelivery, ws.requestsPerDelivery),
        toolCpuPerDelivery: ratio(row.toolCpuUsPerDelivery, ws.toolCpuUsPerDelivery),
        serverCpuPerDelivery: ratio(row.serverCpuUsPerDelivery, ws.serverCpuUsPerDelivery),
      };
    }
  }
  return { baseline: 'websocket', rows, websocketAdvantage };
}
