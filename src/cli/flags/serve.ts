/**
 * `wsbench serve`'s flags: loaded for `wsbench serve --help` without the command's implementation
 * (../serve.ts with the reference server and the Redis client), which is loaded only to run it (main.ts).
 */
import type { Argv } from 'yargs';
import { DEFAULT_MAX_POLL_CHANNELS, POLL_IDLE_MS } from '../../server/poll-limits.js';

export interface ServeArgs {
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

export function serveFlags(y: Argv) {
  return y
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
    .example('$0 serve --client-publish', 'A chat: what a client sends on /ws/room reaches every client of room');
}
