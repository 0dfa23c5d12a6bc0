/**
 * Target `builtin`: the reference server, started as a child process on the run's Redis (or an
 * already running `wsbench serve` given by URL). Ready when /stats shows every channel's Redis
 * subscription live with all of this run's clients joined.
 */
import type { Scenario } from '../config/resolve.js';
import { messageOf } from '../errors.js';
import { spawnServer } from '../server/spawn.js';
import { pollUntilReady, type PreparedTarget } from './target.js';
import type { ServerStats } from '../server/reference-server.js';

type BuiltinConfig = Extract<Scenario['target'], { kind: 'builtin' }>;

/** Connections one server process is given with `processes: auto` (the open-files limit is 20,000). */
export const CONNECTIONS_PER_SERVER_PROCESS = 15_000;

/** Server processes for a run: as configured, or one per 15,000 connections. */
export function serverProcessesFor(config: BuiltinConfig, connections: number): number {
  return config.processes === 'auto' ? Math.max(1, Math.ceil(connections / CONNECTIONS_PER_SERVER_PROCESS)) : config.processes;
}

export async function prepareBuiltinTarget(config: BuiltinConfig, scenario: Scenario, redisUrl: string): Promise<PreparedTarget> {
  const server = config.url
    ? null
    : await spawnServer({
        host: config.host,
        port: config.port,
        redisUrl,
        maxPayload: config.maxPayload,
        perMessageDeflate: config.perMessageDeflate,
        pollBufferSize: config.pollBufferSize,
        longPollTimeoutMs: scenario.polling.longPollTimeout,
        processes: serverProcessesFor(config, scenario.clients.connections),
        writeDelayMs: config.writeDelay,
      });
  const base = (config.url ?? server!.url).replace(/\/+$/, '');
  const httpBase = base.replace(/^ws/i, 'http');
  const statsUrl = `${httpBase}/stats`;

  async function fetchStats(): Promise<ServerStats> {
    const res = await fetch(statsUrl, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`GET ${statsUrl} answered ${res.status}`);
    return (await res.json()) as ServerStats;
  }

  return {
    describe: server && server.pids.length > 1 ? `builtin ${base} (${server.pids.length - 1} processes)` : `builtin ${base}`,
    urlTemplate: `${base}/ws/{channel}`,
    pollUrlTemplate: `${httpBase}/poll/{channel}`,
    clientProtocol: { kind: 'plain', sendAfterOpen: [], ignore: [] },
    // The reference server relays Redis channel <channel> to /ws/<channel>.
    injector: { kind: 'publish', channels: scenario.channelNames },
    headers: {},
    subprotocols: [],
    maxPayload: config.maxPayload,
    waitReady({ transport, channelNames, openedPerChannel, signal }) {
      return pollUntilReady(
        async () => {
          let stats: ServerStats;
          try {
            stats = await fetchStats();
          } catch (e) {
            return `cannot read ${statsUrl}: ${messageOf(e)}`;
          }
          for (let c = 0; c < channelNames.length; c++) {
            const want = openedPerChannel[c] ?? 0;
            if (want === 0) continue;
            const have = stats.channels[channelNames[c]!];
            if (!have?.live) return `channel "${channelNames[c]}" not yet subscribed in Redis`;
            // Pollers are ready once their join answered (the server subscribed before answering).
            if (transport === 'websocket' && have.clients < want)
              return `channel "${channelNames[c]}" has ${have.clients} of ${want} clients`;
          }
          return null;
        },
        10_000,
        signal,
        'reference server',
      );
    },
    // One ProcessStats for the whole server: with several processes, CPU and RSS are summed and
    // the event-loop delay is the worst process's (per-process figures: server.stats().processes).
    async serverStats() {
      if (!server) return undefined;
      try {
        return (await server.stats()).process;
      } catch {
        return undefined;
      }
    },
    resetServerStats: () => server?.resetStats(),
    stop: async () => {
      await server?.stop();
    },
  };
}
