/**
 * Target `builtin`: the reference server, started as a child process on the run's Redis (or an
 * already running `wsbench serve` given by URL). Ready when /stats shows every channel's Redis
 * subscription live with all of this run's clients joined.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { isIP } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { ConfigError, WsbenchError, messageOf } from '../errors.js';
import { duration, size, wsUrlTemplate } from '../config/fields.js';
import { serverDeflate, serverTls as serverTlsField } from '../config/connection-fields.js';
import { spawnServer, type ServerChild, type SpawnServerOptions } from '../server/spawn.js';
import type { ServerStats, ServerTlsSettings } from '../server/reference-server.js';
import { selfSignedServerCertificate } from '../server/certificates.js';
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
    perMessageDeflate: serverDeflate,
    tls: serverTlsField,
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
    maxClientBuffer: size(64 * 1024, 1024 * 1024 * 1024)
      .default(64 * 1024 * 1024)
      .describe(
        'A client with more than this many bytes queued in the started server (its socket not taking them: a slow reader) is closed with 1013, and cut 1 s later if it has not read its way to the close frame. Default 64MiB.',
      ),
    processes: z
      .union([z.literal('auto'), z.number().int().min(1).max(64)])
      .default('auto')
      .describe(
        'Server processes, each with its own Redis subscriber and a share of the connections (at most ~19,000 each: 20,000 open files per process). auto: one per 15,000 connections, at least 1.',
      ),
  })
  .describe(
    'The built-in reference server: /ws/<channel> forwards Redis channel <channel> verbatim; /ws?channels=a,b forwards several channels on one connection.',
  );

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
  // /ws?channels=a,b: one connection registered in each of its channels.
  severalChannelsPerConnection: true,
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
    const tls = config.url ? null : await serverTls(config, ctx.baseDir ?? process.cwd());
    const spawnOptions: SpawnServerOptions = {
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
      maxBufferedBytes: config.maxClientBuffer,
      // Every channel of the run may be polled.
      maxPollChannels: Math.max(DEFAULT_MAX_POLL_CHANNELS, ctx.channelNames.length),
      // The restarted server keeps the same certificate (clients trust it for the whole run).
      ...(tls ? { tls } : {}),
    };
    let server = config.url ? null : await spawnServer(spawnOptions);
    // What the server says goes to the run's listeners, from whichever process is the server now.
    const listeners = new Set<(notice: TargetNotice) => void>();
    const forward = (child: ServerChild) =>
      child.watch((notice) => {
        const told: TargetNotice =
          notice.type === 'exited' ? notice : { type: 'incident', kind: notice.kind, detail: notice.detail, at: notice.at };
        for (const listener of listeners) listener(told);
      });
    if (server) forward(server);
    /** CPU of server processes stopped by restarts, added to the current one's. */
    let pastCpuMs = 0;
    const base = (config.url ?? server!.url).replace(/\/+$/, '');
    const httpBase = base.replace(/^ws/i, 'http');
    const statsUrl = `${httpBase}/stats`;

    // The server's certificate (generated, or the given file) is what the clients and this
    // readiness check trust: the run started this server, so its certificate is the one to expect.
    const trustedCa = tls ? [tls.cert] : [];

    const statsTls = { ca: [...(ctx.tls?.ca ?? []), ...trustedCa], rejectUnauthorized: ctx.tls?.rejectUnauthorized ?? true };

    async function fetchStats(): Promise<ServerStats> {
      const res = await getText(statsUrl, statsTls);
      if (res.status !== 200) throw new WsbenchError('TARGET_UNREACHABLE', `GET ${statsUrl} answered ${res.status}`);
      return JSON.parse(res.body) as ServerStats;
    }

    return {
      describe: server && server.pids.length > 1 ? `builtin ${base} (${server.pids.length - 1} processes)` : `builtin ${base}`,
      urlTemplate: `${base}/ws/{channel}`,
      severalChannelsUrlTemplate: `${base}/ws?channels={channels}`,
      pollUrlTemplate: `${httpBase}/poll/{channel}`,
      clientProtocol: PLAIN_PROTOCOL,
      // The reference server relays Redis channel <channel> to /ws/<channel>.
      injector: { kind: 'publish', channels: [...ctx.channelNames] },
      // A client's message is the payload itself; the server publishes it to the client's channel.
      ...(config.clientPublish ? { upstream: VERBATIM_UPSTREAM } : {}),
      headers: {},
      subprotocols: [],
      maxPayload: config.maxPayload,
      trustedCa,
      settleMs: 0,
      // The server answers the upgrade once the channel is live and the client joined it.
      readyDelayMs: 0,
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
          const own = (await server.stats()).process;
          return pastCpuMs > 0 ? { ...own, cpuMs: own.cpuMs + pastCpuMs } : own;
        } catch {
          return undefined;
        }
      },
      resetServerStats: () => {
        pastCpuMs = 0;
        server?.resetStats();
      },
      async sampleServer() {
        try {
          const s = await fetchStats();
          if (s.rssBytes === undefined || s.heapUsedBytes === undefined) return undefined;
          return {
            rssBytes: s.rssBytes,
            heapUsedBytes: s.heapUsedBytes,
            bufferedBytes: s.bufferedBytes ?? 0,
            maxClientBufferedBytes: s.maxClientBufferedBytes ?? 0,
            slowClientsDropped: s.slowClientsDropped,
          };
        } catch {
          // A server that does not answer leaves a gap in the timeline; a dead one is target-watch's business.
          return undefined;
        }
      },
      ...(server
        ? {
            watch: (listener: (notice: TargetNotice) => void) => {
              listeners.add(listener);
              return () => listeners.delete(listener);
            },
            /**
             * A deploy: the server's processes stop (SIGTERM: they drop every connection and exit)
             * and start again on the same port. The stopped process is expected to exit, so it says
             * nothing to the watchers; a server that does not come back is a setup error.
             */
            async restart() {
              const old = server!;
              pastCpuMs += await old
                .stats()
                .then((s) => s.process.cpuMs)
                .catch(() => 0);
              await old.stop();
              const port = Number(new URL(old.url).port);
              server = await spawnServer({ ...spawnOptions, port });
              forward(server);
              return `pid ${server.pid}, listening on port ${port} again`;
            },
          }
        : {}),
      stop: async () => {
        await server?.stop();
      },
    };
  },
});

/**
 * The started server's TLS: a self-signed certificate made now (`tls: true`) or the given files;
 * session ticket keys shared by all its processes (a client resumes whichever process it reaches).
 */
async function serverTls(config: BuiltinConfig, baseDir: string): Promise<ServerTlsSettings | null> {
  if (config.tls === false) return null;
  const pair =
    config.tls === true
      ? await selfSignedServerCertificate(config.host)
      : {
          cert: await readPem(baseDir, config.tls.cert, 'target.tls.cert'),
          key: await readPem(baseDir, config.tls.key, 'target.tls.key'),
        };
  return { ...pair, ticketKeys: randomBytes(48).toString('base64') };
}

async function readPem(baseDir: string, path: string, key: string): Promise<string> {
  const full = resolvePath(baseDir, path);
  try {
    return await readFile(full, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read ${full}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { key }, { cause: e });
  }
}

/** GET over http or https (trusting `ca` when given), the body as text; 2 s at most. */
function getText(url: string, tls: { ca: string[]; rejectUnauthorized: boolean }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const options = { timeout: 2000, rejectUnauthorized: tls.rejectUnauthorized, ...(tls.ca.length > 0 ? { ca: tls.ca } : {}) };
    const req = get(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 2000 ms')));
    req.on('error', reject);
  });
}
