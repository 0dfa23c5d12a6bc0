/**
 * The comparison's "websocket vs <transport>" figures as words, for the text summary and the HTML
 * page alike: each ratio is other ÷ websocket per delivery (> 1: websocket better).
 */
import type { WebSocketAdvantage } from '../results/types.js';

/** "websocket vs longpoll: p50 latency 3.2× · bytes 4.1× · …", the figures that were measured. */
export function websocketAdvantageText(transport: string, advantage: WebSocketAdvantage): string {
  const figures: [string, number | null][] = [
    ['p50 latency', advantage.fanoutP50],
    ['p99 latency', advantage.fanoutP99],
    ['bytes', advantage.bytesPerDelivery],
    ['requests', advantage.requestsPerDelivery],
    ['tool CPU', advantage.toolCpuPerDelivery],
    ['server CPU', advantage.serverCpuPerDelivery],
  ];
  const parts = figures.filter((p): p is [string, number] => p[1] !== null).map(([label, v]) => `${label} ${v}×`);
  return `websocket vs ${transport}: ${parts.join(' · ')}`;
}
