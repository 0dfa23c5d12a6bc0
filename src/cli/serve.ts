/**
 * `wsbench serve`: the reference server on its own, for pointing other tools (or several wsbench
 * runs) at it. Starts an embedded Redis unless --redis is given. Runs until Ctrl-C.
 */
import { safeText } from './sanitize.js';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { availableParallelism } from 'node:os';
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
      .option('per-message-deflate', { type: 'boolean', default: false, describe: 'Enable permessage-deflate' })
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
      .example('$0 serve --client-publish', 'A chat: what a client sends on /ws/room reaches every client of room'),
  handler: async (argv: ArgumentsCamelCase<ServeArgs>) => {
    process.exitCode = await serve(argv);
  },
};

async function serve(argv: ServeArgs): Promise<number> {
  let redis: EmbeddedRedis | null = null;
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
    process.stdout.write(
      [
        `wsbench reference server listening on ${server.url}${processes > 1 ? ` (${processes} processes)` : ''}`,
        `  WebSocket   ${server.url}/ws/<channel>   (relays Redis channel ${argv['channel-prefix']}<channel>${argv['client-publish'] ? '; client messages are PUBLISHed there' : ''})`,
        `  health      ${http}/healthz   stats ${http}/stats`,
        `  Redis       ${redactText(redisUrl)}${redis ? ' (embedded; stops with the server)' : ''}`,
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
  }
}
