/**
 * Figures of several reference-server processes combined into one: what /stats answers and what
 * the coordinator's report gets when the server runs as a cluster. Pure.
 */
import type { ProcessStats } from '../results/types.js';
import type { ChannelStats } from './channel-registry.js';
import type { ServerStats } from './reference-server.js';

/**
 * Sums counters and clients. A channel is live only when every process that has it is subscribed
 * (a process without the channel has none of its clients and needs no subscription).
 */
export function mergeServerStats(parts: readonly ServerStats[]): ServerStats {
  const out: ServerStats = {
    processes: 0,
    redisConnected: 0,
    connections: 0,
    connectionsPerProcess: [],
    channels: {},
    messagesIn: 0,
    deliveries: 0,
    slowClientsDropped: 0,
    pollRequests: 0,
    pollMissed: 0,
    clientPublishes: 0,
    clientPublishFailures: 0,
  };
  for (const p of parts) {
    out.processes += p.processes;
    out.redisConnected += p.redisConnected;
    out.connections += p.connections;
    out.connectionsPerProcess!.push(...(p.connectionsPerProcess ?? [p.connections]));
    out.messagesIn += p.messagesIn;
    out.deliveries += p.deliveries;
    out.slowClientsDropped += p.slowClientsDropped;
    out.pollRequests += p.pollRequests;
    out.pollMissed += p.pollMissed;
    // Memory and queued bytes: summed over the processes that say (older servers do not).
    if (p.rssBytes !== undefined) out.rssBytes = (out.rssBytes ?? 0) + p.rssBytes;
    if (p.heapUsedBytes !== undefined) out.heapUsedBytes = (out.heapUsedBytes ?? 0) + p.heapUsedBytes;
    if (p.bufferedBytes !== undefined) out.bufferedBytes = (out.bufferedBytes ?? 0) + p.bufferedBytes;
    if (p.maxClientBufferedBytes !== undefined)
      out.maxClientBufferedBytes = Math.max(out.maxClientBufferedBytes ?? 0, p.maxClientBufferedBytes);
    out.clientPublishes! += p.clientPublishes ?? 0;
    out.clientPublishFailures! += p.clientPublishFailures ?? 0;
    for (const [name, c] of Object.entries(p.channels)) {
      const have: ChannelStats | undefined = out.channels[name];
      out.channels[name] = have
        ? { clients: have.clients + c.clients, live: have.live && c.live, pollersWaiting: have.pollersWaiting + c.pollersWaiting }
        : { ...c };
    }
  }
  return out;
}

/**
 * One ProcessStats for the whole server: CPU time, CPU % (of one core) and RSS summed, the worst
 * event-loop delay of any process; pid is the first one's (the primary's).
 */
export function aggregateProcessStats(parts: readonly ProcessStats[]): ProcessStats {
  if (parts.length === 0) throw new RangeError('no process stats to aggregate');
  const round1 = (v: number) => Math.round(v * 10) / 10;
  return {
    role: parts[0]!.role,
    pid: parts[0]!.pid,
    cpuPercent: round1(parts.reduce((s, p) => s + p.cpuPercent, 0)),
    cpuMs: parts.reduce((s, p) => s + p.cpuMs, 0),
    eventLoopDelayMs: {
      p50: Math.max(...parts.map((p) => p.eventLoopDelayMs.p50)),
      p99: Math.max(...parts.map((p) => p.eventLoopDelayMs.p99)),
      max: Math.max(...parts.map((p) => p.eventLoopDelayMs.max)),
    },
    rssBytes: parts.reduce((s, p) => s + p.rssBytes, 0),
    peakRssBytes: parts.reduce((s, p) => s + p.peakRssBytes, 0),
  };
}
