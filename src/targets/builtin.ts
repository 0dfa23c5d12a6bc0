/**
 * Target `builtin`: the reference server, started as a child process on the run's Redis (or an
 * already running `wsbench serve` given by URL). Ready when /stats shows every channel's Redis
 * subscription live with all of this run's clients joined.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { WsbenchError, messageOf } from '../errors.js';
import { duration, size, wsUrlTemplate } from '../config/fields.js';
import { spawnServer } from '../server/spawn.js';
import type { ServerStats } from '../server/reference-server.js';
import { PLAIN_PROTOCOL, plainProtocol } from './client-protocol.js';
import { publishInjector } from './injector.js';
import { pollUntilReady } from './readiness.js';
import { VERBATIM_UPSTREAM, defineTarget, type TargetConfigOf, type TargetNotice } from './target.js';
import { DEFAULT_MAX_POLL_CHANNELS } from '../server/channel-registry.js';

const schema = z
  .strictObject({
    kind: z.literal('builtin'),
    url: wsUrlTemplate
      .optional()
      .describe('Use an already running `wsbench serve` at this base URL instead of starting one, e.g. ws://127.0.0.1:8080'),
    host: z
      .string()
      .refine((s) => isIP(s) !== 0 || /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(s), { message: 'must be an IP address or a host name' })
      .default('127.0.0.1')
      .describe('Address the started server binds to.'),
    port: z.number().int().min(0).max(65535).default(0).describe('Port for the started server (0 = any free port).'),
    maxPayload: size(1, 256 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Largest WebSocket message the server accepts.'),
    perMessageDeflate: z
      .boolean()
      .default(false)
      .describe('Enable permessage-deflate (off by default: it costs CPU and hides payload size).'),
    clientPublish: z
      .boolean()
      .default(false)
      .describe(
        'PUBLISH what a client sends on /ws/<channel> to that channel, through Redis (so every server process fans it out, the sender included): what publish.via websocket needs. With url, the running server must have been started with `wsbench serve --client-publish`. Messages are capped at maxPayload.',
      ),
    pollBufferSize: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(10_000)
      .describe(
        'Messages the server keeps per channel for pollers; a poller that falls further behind is told how many it missed (counted as lost).',
      ),
    writeDelay: duration()
      .default(0)
      .describe(
        'Collect messages this long before writing them to a client (0: one write per event-loop turn). More messages per write cost less CPU per delivery, and add up to this much latency.',
      ),
    processes: z
      .union([z.literal('auto'), z.number().int().min(1).max(64)])
      .default('auto')
      .describe(
        'Server processes, each with its own Redis subscriber and a share of the connections (at most ~19,000 each: 20,000 open files per process). auto: one per 15,000 connections, at least 1.',
      ),
  })
  .describe('The built-in reference server: /ws/<channel> forwards Redis channel <channel> verbatim.');

export type BuiltinConfig = TargetConfigOf<typeof schema>;

/** Connections one server process is given with `processes: auto` (the open-files limit is 20,000). */
export const CONNECTIONS_PER_SERVER_PROCESS = 15_000;

/** Server processes for a run: as configured, or one per 15,000 connections. */
export function serverProcessesFor(config: Pick<BuiltinConfig, 'processes'>, connections: number): number {
  return config.processes === 'auto' ? Math.max(1, Math.ceil(connections / CONNECTIONS_PER_SERVER_PROCESS)) : config.processes;
}

export const builtin = defineTarget({
  kind: 'builtin',
  schema,
  textOnly: false,
  defaultEncoding: 'binary',
  pollEndpoint: true,
  startsServer: (config) => config.url === undefined,
  clientProtocols: [plainProtocol],
  injectors: [publishInjector],

  check(config, scenario) {
    if (scenario.publishVia === 'websocket' && !config.clientPublish)
      return [
        {
          path: ['clientPublish'],
          message:
            'publish.via websocket: the reference server publishes what clients send only with clientPublish: true (a running one: wsbench serve --client-publish)',
        },
      ];
    return [];
  },

  async prepare(config, ctx) {
    const server = config.url
      ? null
      : await spawnServer({
          host: config.host,
          port: config.port,
          redisUrl: ctx.redisUrl,
          maxPayload: config.maxPayload,
          perMessageDeflate: config.perMessageDeflate,
          clientPublish: config.clientPublish,
          pollBufferSize: config.pollBufferSize,
          longPollTimeoutMs: ctx.longPollTimeoutMs,
          processes: serverProcessesFor(config, ctx.connections),
          writeDelayMs: config.writeDelay,
          // Every channel of the run may be polled.
          maxPollChannels: Math.max(DEFAULT_MAX_POLL_CHANNELS, ctx.channelNames.length),
        });
    const base = (config.url ?? server!.url).replace(/\/+$/, '');
    const httpBase = base.replace(/^ws/i, 'http');
    const statsUrl = `${httpBase}/stats`;

    async function fetchStats(): Promise<ServerStats> {
      const res = await fetch(statsUrl, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) throw new WsbenchError('TARGET_UNREACHABLE', `GET ${statsUrl} answered ${res.status}`);
      return (await res.json()) as ServerStats;
    }

    return {
      describe: server && server.pids.length > 1 ? `builtin ${base} (${server.pids.length - 1} processes)` : `builtin ${base}`,
      urlTemplate: `${base}/ws/{channel}`,
      pollUrlTemplate: `${httpBase}/poll/{channel}`,
      clientProtocol: PLAIN_PROTOCOL,
      // The reference server relays Redis channel <channel> to /ws/<channel>.
      injector: { kind: 'publish', channels: [...ctx.channelNames] },
      // A client's message is the payload itself; the server publishes it to the client's channel.
      ...(config.clientPublish ? { upstream: VERBATIM_UPSTREAM } : {}),
      headers: {},
      subprotocols: [],
      maxPayload: config.maxPayload,
      settleMs: 0,
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
              if (transport.serverStatsCountClients && have.clients < want)
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
      ...(server
        ? {
            watch: (listener: (notice: TargetNotice) => void) =>
              server.watch((notice) =>
                listener(notice.type === 'exited' ? notice : { type: 'incident', kind: notice.kind, detail: notice.detail, at: notice.at }),
              ),
          }
        : {}),
      stop: async () => {
        await server?.stop();
      },
    };
  },
});
