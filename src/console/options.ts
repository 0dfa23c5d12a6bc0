/**
 * Command-line values → validated console options. Pure: files (--ca/--cert/--key) are named
 * here and read by the caller; errors are ConfigErrors naming the flag.
 */
import { ConfigError } from '../errors.js';
import type { BinaryFormat, FormatOptions } from './format.js';

/** The flags as yargs hands them over (wscat's names and meanings). */
export interface ConnectArgs {
  url?: string;
  connect?: string;
  listen?: number;
  bind?: string;
  header?: string[];
  auth?: string;
  origin?: string;
  host?: string;
  protocol?: number;
  subprotocol?: string[];
  check?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  passphrase?: string;
  proxy?: string;
  location?: boolean;
  'max-redirects'?: number;
  slash?: boolean;
  'show-ping-pong'?: boolean;
  execute?: string[];
  wait?: number;
  'keep-open'?: boolean;
  color?: boolean;
  'binary-format'?: string;
  pretty?: boolean;
  timestamps?: boolean;
  'ping-interval'?: number;
  reconnect?: string;
  history?: boolean;
  'history-file'?: string;
  ndjson?: boolean;
  redis?: string;
  verbose?: boolean;
}

export interface WsClientSettings {
  headers: Record<string, string>;
  subprotocols: string[];
  origin?: string;
  protocolVersion?: number;
  rejectUnauthorized: boolean;
  followRedirects: boolean;
  maxRedirects: number;
  /** Paths; read by the caller. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** '' means "ask for it" (wscat's bare --passphrase). */
  passphrase?: string;
  proxy?: string;
}

export interface ConsoleOptions {
  mode: 'connect' | 'listen';
  /** connect mode */
  url: string;
  ws: WsClientSettings;
  /** listen mode */
  listenPort: number;
  bindAddress?: string;

  slash: boolean;
  execute: string[];
  /** After the -x messages: ms to wait before closing (-w; default 2 s); null = stay open. */
  closeAfterMs: number | null;
  /**
   * After piped input ends and every line is done: wait exactly `fixedMs` (-w), or by default for
   * the replies — until nothing has arrived for `quietMs`, at most `maxMs` — then close.
   */
  endOfInputWait: { fixedMs: number } | { quietMs: number; maxMs: number };
  /** Piped stdin's end does not close the connection. */
  keepOpenAtEof: boolean;
  pingIntervalMs: number | null;
  /** null: no reconnects; Infinity: keep trying. */
  reconnectAttempts: number | null;
  redisUrl?: string;
  format: FormatOptions;
  ndjson: boolean;
  color: boolean;
  history: boolean;
  historyFile?: string;
  verbose: boolean;
}

/** wscat waits 2 s after -x messages when -w is not given. */
export const DEFAULT_EXECUTE_WAIT_S = 2;
/** After piped input ends (no -w): close once nothing has arrived for this long … */
export const REPLY_QUIET_MS = 500;
/** … but wait no longer than this for replies to stop. */
export const REPLY_WAIT_MAX_MS = 5000;

export function toConsoleOptions(args: ConnectArgs, env: NodeJS.ProcessEnv = {}): ConsoleOptions {
  const fixed = fixReconnectSwallowingUrl(args);
  const target = fixed.url ?? fixed.connect;
  if (target !== undefined && fixed.listen !== undefined)
    throw new ConfigError('use either a URL (--connect) or --listen, not both', { key: '--listen' });
  if (target === undefined && fixed.listen === undefined)
    throw new ConfigError('give a URL to connect to (wsbench connect ws://host:port/path) or --listen <port>', { key: 'url' });

  const listenPort = fixed.listen ?? 0;
  if (fixed.listen !== undefined && (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65535)) {
    throw new ConfigError('must be a port number 0-65535', { key: '--listen' });
  }

  const binaryFormat = (fixed['binary-format'] ?? 'hex') as BinaryFormat;
  if (binaryFormat !== 'hex' && binaryFormat !== 'base64') throw new ConfigError('must be hex or base64', { key: '--binary-format' });

  const wait = fixed.wait;
  if (wait !== undefined && (!Number.isFinite(wait) || (wait < 0 && wait !== -1)))
    throw new ConfigError('must be seconds ≥ 0, or -1 to stay open', { key: '--wait' });

  const pingInterval = fixed['ping-interval'];
  if (pingInterval !== undefined && (!Number.isFinite(pingInterval) || pingInterval <= 0))
    throw new ConfigError('must be seconds > 0', { key: '--ping-interval' });

  const maxRedirects = fixed['max-redirects'] ?? 10;
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) throw new ConfigError('must be a whole number ≥ 0', { key: '--max-redirects' });

  if (fixed.protocol !== undefined && fixed.protocol !== 8 && fixed.protocol !== 13)
    throw new ConfigError('must be 8 or 13', { key: '--protocol' });

  if (fixed.redis !== undefined && !/^rediss?:\/\//i.test(fixed.redis))
    throw new ConfigError(`"${fixed.redis}" is not a Redis URL (redis://host:port or rediss://…)`, { key: '--redis' });

  const execute = fixed.execute ?? [];
  const closeAfterMs = wait === -1 ? null : wait !== undefined ? wait * 1000 : DEFAULT_EXECUTE_WAIT_S * 1000;

  return {
    mode: target !== undefined ? 'connect' : 'listen',
    url: target !== undefined ? normalizeUrl(target) : '',
    ws: wsSettings(fixed, maxRedirects),
    listenPort,
    ...(fixed.bind !== undefined ? { bindAddress: fixed.bind } : {}),
    slash: Boolean(fixed.slash) || fixed.redis !== undefined,
    execute,
    closeAfterMs,
    endOfInputWait: wait !== undefined && wait >= 0 ? { fixedMs: wait * 1000 } : { quietMs: REPLY_QUIET_MS, maxMs: REPLY_WAIT_MAX_MS },
    keepOpenAtEof: Boolean(fixed['keep-open']) || wait === -1,
    pingIntervalMs: pingInterval !== undefined ? pingInterval * 1000 : null,
    reconnectAttempts: parseReconnect(fixed.reconnect),
    ...(fixed.redis !== undefined ? { redisUrl: fixed.redis } : {}),
    format: {
      binaryFormat,
      pretty: Boolean(fixed.pretty),
      timestamps: Boolean(fixed.timestamps),
      showPingPong: Boolean(fixed['show-ping-pong']),
    },
    ndjson: Boolean(fixed.ndjson),
    color: fixed.color !== false && !('NO_COLOR' in env && env.NO_COLOR !== ''),
    history: fixed.history !== false,
    ...(fixed['history-file'] !== undefined ? { historyFile: fixed['history-file'] } : {}),
    verbose: Boolean(fixed.verbose),
  };
}

/**
 * `--reconnect ws://…` lets yargs take the URL as --reconnect's optional value; put it back.
 */
function fixReconnectSwallowingUrl(args: ConnectArgs): ConnectArgs {
  const r = args.reconnect;
  if (
    r !== undefined &&
    r !== '' &&
    !/^\d+$/.test(r) &&
    args.url === undefined &&
    args.connect === undefined &&
    args.listen === undefined
  ) {
    return { ...args, url: r, reconnect: '' };
  }
  return args;
}

function parseReconnect(value: string | undefined): number | null {
  if (value === undefined) return null;
  if (value === '' || value === 'true') return Infinity;
  if (value === 'false') return null;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new ConfigError(`"${value}" is not a number of attempts ≥ 1 (--reconnect alone keeps trying)`, { key: '--reconnect' });
  return Number(value);
}

/** wscat adds ws:// when the URL has no scheme; http(s) map to ws(s). */
export function normalizeUrl(raw: string): string {
  let url = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) url = `ws://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`"${raw}" is not a URL`, { key: 'url' });
  }
  if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
  else if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:' && parsed.protocol !== 'ws+unix:') {
    throw new ConfigError(`"${raw}" is not a WebSocket URL (ws:// or wss://)`, { key: 'url' });
  }
  return parsed.href;
}

/** `Name: value` (wscat splits at the first colon; surrounding spaces are trimmed). */
export function parseHeader(raw: string): [string, string] {
  const i = raw.indexOf(':');
  const name = i > 0 ? raw.slice(0, i).trim() : '';
  if (!name || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(name))
    throw new ConfigError(`"${raw}" is not a header (Name: value)`, { key: '--header' });
  return [name, raw.slice(i + 1).trim()];
}

function wsSettings(args: ConnectArgs, maxRedirects: number): WsClientSettings {
  const headers: Record<string, string> = {};
  for (const raw of args.header ?? []) {
    const [name, value] = parseHeader(raw);
    headers[name] = value;
  }
  if (args.auth !== undefined) {
    if (!args.auth.includes(':')) throw new ConfigError('must be user:password', { key: '--auth' });
    headers.Authorization = `Basic ${Buffer.from(args.auth).toString('base64')}`;
  }
  if (args.host !== undefined) headers.Host = args.host;
  return {
    headers,
    subprotocols: args.subprotocol ?? [],
    ...(args.origin !== undefined ? { origin: args.origin } : {}),
    ...(args.protocol !== undefined ? { protocolVersion: args.protocol } : {}),
    rejectUnauthorized: args.check !== false,
    followRedirects: Boolean(args.location),
    maxRedirects,
    ...(args.ca !== undefined ? { caFile: args.ca } : {}),
    ...(args.cert !== undefined ? { certFile: args.cert } : {}),
    ...(args.key !== undefined ? { keyFile: args.key } : {}),
    ...(args.passphrase !== undefined ? { passphrase: args.passphrase } : {}),
    ...(args.proxy !== undefined ? { proxy: args.proxy } : {}),
  };
}
