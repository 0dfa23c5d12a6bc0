/**
 * `wsbench serve`: the reference server on its own, for pointing other tools (or several wsbench
 * runs) at it. Starts an embedded Redis unless --redis is given. Runs until Ctrl-C.
 */
import { safeText } from '../sanitize.js';
import type { ArgumentsCamelCase } from 'yargs';
import type { ServeArgs } from './flags/serve.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedServerCertificate } from '../server/certificates.js';
import type { ServerTlsSettings } from '../server/reference-server.js';
import { startReferenceServer } from '../server/reference-server.js';
import type { ServerIncident } from '../server/channel-registry.js';
import { describeProcessExit, startServerCluster } from '../server/cluster.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../redis/embedded.js';
import { parseDurationMs, parseSizeBytes } from '../config/units.js';
import { ConfigError } from '../errors.js';
import { redactText } from '../secrets.js';
import { ExitCode } from '../exit-codes.js';
import { reportError } from './errors.js';

/** `serve`'s handler (its flags are in ./flags/serve.ts, its name and description in main.ts). */
export const serveCommand = {
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
