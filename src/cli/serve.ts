/**
 * `wsbench serve`: the reference server on its own, for pointing other tools (or several wsbench
 * runs) at it. Starts an embedded Redis unless --redis is given. Runs until Ctrl-C.
 */
import { safeText } from '../sanitize.js';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedServerCertificate } from '../server/certificates.js';
import type { ServerTlsSettings } from '../server/reference-server.js';
import { startReferenceServer } from '../server/reference-server.js';
import { DEFAULT_MAX_POLL_CHANNELS, POLL_IDLE_MS, type ServerIncident } from '../server/channel-registry.js';
import { describeProcessExit, startServerCluster } from '../server/cluster.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../redis/embedded.js';
import { parseDurationMs, parseSizeBytes } from '../config/units.js';
import { ConfigError } from '../errors.js';
import { redactText } from '../secrets.js';
import { ExitCode } from '../exit-codes.js';
import { reportError } from './errors.js';

interface ServeArgs {
  host: string;
  port: number;
  redis?: string;
  'max-payload': string;
  'per-message-deflate': boolean;
  'client-publish': boolean;
  'channel-prefix': string;
  processes: string;
  'write-delay': string;
  'max-poll-channels': number;
  tls: boolean;
  'tls-cert'?: string;
  'tls-key'?: string;
  verbose?: boolean;
}

/** `serve`'s flags and handler (its name and description are in main.ts). */
export const serveCommand = {
  builder: (y: Argv) =>
    y
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to bind' })
      .option('port', { alias: 'p', type: 'number', default: 8080, describe: 'Port (0 = any free port)' })
      .option('redis', { type: 'string', describe: 'Redis URL; default: start an embedded redis-server' })
      .option('max-payload', { type: 'string', default: '1MiB', describe: 'Largest message accepted from a client' })
      .option('per-message-deflate', {
        type: 'boolean',
        default: false,
        describe: 'Enable permessage-deflate: every message compressed once per channel (server_no_context_takeover)',
      })
      .option('tls', {
        type: 'boolean',
        default: false,
        describe:
          'Serve wss:// and https:// (TLS 1.3) with a self-signed certificate made at start (its file is printed), or --tls-cert/--tls-key',
      })
      .option('tls-cert', { type: 'string', describe: 'PEM certificate (chain) for --tls' })
      .option('tls-key', { type: 'string', describe: 'PEM private key for --tls' })
      .option('client-publish', {
        type: 'boolean',
        default: false,
        describe: 'PUBLISH what a client sends on /ws/<channel> to that channel (a chat line: every member gets it through Redis)',
      })
      .option('channel-prefix', { type: 'string', default: '', describe: 'Prefix of the Redis channel for /ws/<channel>' })
      .option('processes', {
        type: 'string',
        default: 'auto',
        describe:
          'Server processes, each with its own Redis subscriber and share of connections (auto: one per core). Each holds at most ~19,000 connections (20,000 open files per process)',
      })
      .option('write-delay', {
        type: 'string',
        default: '0ms',
        describe:
          'Collect messages this long before writing them to a client (0: once per event-loop turn); less CPU per delivery, more latency',
      })
      .option('max-poll-channels', {
        type: 'number',
        default: DEFAULT_MAX_POLL_CHANNELS,
        describe: `Distinct /poll/<channel> channels per process at most (each is a Redis subscription and a buffer); more are refused with 429 until idle ones (${POLL_IDLE_MS / 1000} s without a poll) are released`,
      })
      .example('$0 serve --port 8080', 'Clients: ws://127.0.0.1:8080/ws/<channel>; messages: PUBLISH <channel> …')
      .example('$0 serve --redis redis://127.0.0.1:6379 --channel-prefix app:', '/ws/news relays Redis channel app:news')
      .example('$0 serve --processes 8', 'Eight processes: room for 100k+ connections')
      .example('$0 serve --tls', 'wss://127.0.0.1:8080/ws/<channel>; trust the printed certificate (clients.tls.ca, connect --ca)')
      .example('$0 serve --client-publish', 'A chat: what a client sends on /ws/room reaches every client of room'),
  handler: async (argv: ArgumentsCamelCase<ServeArgs>) => {
    process.exitCode = await serve(argv);
  },
};

/** The server's TLS from the flags; a generated certificate is written to a private temporary folder. */
async function serveTls(
  argv: ServeArgs,
): Promise<{ tls: ServerTlsSettings; certFile: string | null; cleanup: () => Promise<void> } | null> {
  const given = argv['tls-cert'] !== undefined || argv['tls-key'] !== undefined;
  if (!argv.tls && !given) return null;
  const ticketKeys = randomBytes(48).toString('base64');
  if (given) {
    if (argv['tls-cert'] === undefined || argv['tls-key'] === undefined)
      throw new ConfigError('give both --tls-cert and --tls-key (or --tls alone for a generated certificate)', {
        key: argv['tls-cert'] === undefined ? '--tls-cert' : '--tls-key',
      });
    const read = async (file: string, key: string) => {
      try {
        return await readFile(file, 'utf8');
      } catch (e) {
        throw new ConfigError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { key }, { cause: e });
      }
    };
    const cert = await read(argv['tls-cert'], '--tls-cert');
    const key = await read(argv['tls-key'], '--tls-key');
    return { tls: { cert, key, ticketKeys }, certFile: null, cleanup: async () => {} };
  }
  const pair = await selfSignedServerCertificate(argv.host);
  const dir = await mkdtemp(join(tmpdir(), 'wsbench-serve-'));
  const certFile = join(dir, 'cert.pem');
  await writeFile(certFile, pair.cert, { mode: 0o644 });
  return { tls: { ...pair, ticketKeys }, certFile, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function serve(argv: ServeArgs): Promise<number> {
  let redis: EmbeddedRedis | null = null;
  let tlsCleanup: (() => Promise<void>) | null = null;
  try {
    const maxPayload = parseSizeBytes(argv['max-payload']);
    if (maxPayload === undefined || maxPayload < 1)
      throw new ConfigError(`"${argv['max-payload']}" is not a size (e.g. 1MiB)`, { key: '--max-payload' });
    if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535)
      throw new ConfigError('must be a port number 0-65535', { key: '--port' });
    const writeDelayMs = parseDurationMs(argv['write-delay']);
    if (writeDelayMs === undefined || writeDelayMs < 0)
      throw new ConfigError(`"${argv['write-delay']}" is not a duration (e.g. 2ms)`, { key: '--write-delay' });
    const maxPollChannels = argv['max-poll-channels'];
    if (!Number.isInteger(maxPollChannels) || maxPollChannels < 1)
      throw new ConfigError('must be a whole number of channels, at least 1', { key: '--max-poll-channels' });
    const processes = argv.processes === 'auto' ? availableParallelism() : Number(argv.processes);
    if (!Number.isInteger(processes) || processes < 1 || processes > 64)
      throw new ConfigError(`"${argv.processes}" is not auto or a number of processes 1-64`, { key: '--processes' });
    if (argv.redis !== undefined && !/^rediss?:\/\/./i.test(argv.redis))
      throw new ConfigError('must be a redis:// or rediss:// URL', { key: '--redis' });
    const tls = await serveTls(argv);
    tlsCleanup = tls?.cleanup ?? null;
    let redisUrl = argv.redis;
    if (!redisUrl) {
      redis = await startEmbeddedRedis();
      redisUrl = redis.url;
    }
    const options = {
      host: argv.host,
      port: argv.port,
      redisUrl,
      maxPayload,
      perMessageDeflate: argv['per-message-deflate'],
      clientPublish: argv['client-publish'],
      channelPrefix: argv['channel-prefix'],
      writeDelayMs,
      maxPollChannels,
      ...(tls ? { tls: tls.tls } : {}),
    };
    // The Redis subscriber dropped and restored: said on stderr as it happens.
    // Incident details can carry a Redis URL or a server's words.
    const onIncident = (incident: ServerIncident) => process.stderr.write(`wsbench: ${incident.kind}: ${safeText(incident.detail)}\n`);
    const server =
      processes > 1
        ? await startServerCluster(
            options,
            processes,
            undefined,
            (exit) => process.stderr.write(`wsbench: ${describeProcessExit(exit)}\n`),
            onIncident,
          )
        : await startReferenceServer({ ...options, onIncident });
    const http = server.url.replace(/^ws/, 'http');
    const tlsLines = tls
      ? [
          tls.certFile
            ? `  TLS         self-signed certificate ${tls.certFile} (trust it: clients.tls.ca, connect --ca; removed on exit)`
            : `  TLS         certificate ${argv['tls-cert']}`,
        ]
      : [];
    process.stdout.write(
      [
        `wsbench reference server listening on ${server.url}${processes > 1 ? ` (${processes} processes)` : ''}`,
        `  WebSocket   ${server.url}/ws/<channel>   (relays Redis channel ${argv['channel-prefix']}<channel>${argv['client-publish'] ? '; client messages are PUBLISHed there' : ''})`,
        `  health      ${http}/healthz   stats ${http}/stats`,
        `  Redis       ${redactText(redisUrl)}${redis ? ' (embedded; stops with the server)' : ''}`,
        ...tlsLines,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    return ExitCode.OK;
  } catch (e) {
    return reportError(e, argv.verbose ?? false);
  } finally {
    await redis?.stop();
    await tlsCleanup?.();
  }
}
