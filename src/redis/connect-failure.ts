/**
 * Why a connection to Redis could not be opened, in one line. ioredis, told not to retry, rejects
 * `connect()` with a bare "Connection is closed." and reports the real reason only as an 'error'
 * event (ECONNREFUSED, WRONGPASS, a TLS certificate problem, a protocol error); and a server that
 * accepts the connection but never answers is no error at all, only a wait. `openRedis` gathers
 * what happened and this says it. Pure: the table of cases is in test/unit/redis-connect-failure.test.ts.
 * The caller redacts the line (a message may quote a host, never the URL's password, but it is cheap).
 * `databaseFailure` says the same of the database the URL names (its path: /0, /1, …).
 */

export interface ConnectAttemptFacts {
  /** The first error ioredis reported while connecting, if any. */
  error: unknown;
  /** Our bound on the whole attempt (TCP, TLS, AUTH, the ready check) passed before it was ready. */
  timedOut: boolean;
  /** The socket (TLS included) was established: a timeout is then a silent server, not an unreachable one. */
  connected: boolean;
  /** The bound, in ms, for the message. */
  timeoutMs: number;
  /** The URL asked for TLS (rediss://). */
  tls: boolean;
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  ENOENT: 'no such socket file',
  EACCES: 'permission denied',
};

/** Node's TLS failures: OpenSSL's verification codes (no ERR_ prefix) and Node's ERR_TLS_* / ERR_SSL_* codes. */
const TLS_CODE =
  /^(ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_|CERT_|HOSTNAME_MISMATCH$|ERR_OSSL_)/;

const OPENSSL_LINE = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/;

export function connectFailure(facts: ConnectAttemptFacts): string {
  const { error, timedOut, connected, timeoutMs, tls } = facts;
  const code = codeOf(error);
  const message = error instanceof Error ? error.message.trim() : error === undefined || error === null ? '' : String(error);
  if (code && TLS_CODE.test(code)) {
    // OpenSSL's own lines ("806C…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/…")
    // say their reason in the fifth field.
    const reason = OPENSSL_LINE.exec(message)?.[1] ?? message;
    return `TLS: ${reason} (${code})${code === 'ERR_SSL_WRONG_VERSION_NUMBER' ? ': the port does not speak TLS?' : ''}`;
  }
  if (/^WRONGPASS\b/.test(message)) return `authentication failed: ${message}`;
  if (/^NOAUTH\b/.test(message))
    return `authentication required: ${message} (give it in the URL's userinfo: a password, or a user and a password)`;
  if (/^(ERR|WRONGTYPE|NOPERM|LOADING|MASTERDOWN|BUSY)\b/.test(message)) return `Redis refused the connection: ${message}`;
  // ioredis's own words end in "Please report this." — not a bug in ioredis: the peer is not Redis.
  if (/^Protocol error\b/.test(message))
    return `not a Redis server (${message.replace(/\s*Please report this\.?$/, '')})${tls ? '' : '; if it expects TLS, use rediss://'}`;
  if (code === 'ETIMEDOUT' || (timedOut && !connected))
    return `no connection within ${timeoutMs} ms (ETIMEDOUT)${tls ? '; rediss:// needs a TLS port' : ''}`;
  if (timedOut)
    return `connected, but no reply within ${timeoutMs} ms: is it a Redis server${tls ? '' : ', or one that expects TLS (rediss://)'}?`;
  if (code && NETWORK[code]) return `${NETWORK[code]} (${code})`;
  if (message !== '') return code ? `${message} (${code})` : message;
  return 'connection closed before Redis was ready';
}

export interface DatabaseAttemptFacts {
  /** The database number the URL asks for (its path: redis://host:6379/<db>). */
  db: number;
  /** What SELECT <db> failed with: the server's reply, or ioredis' words. */
  error: unknown;
  /** The server's `databases` setting (CONFIG GET databases), or null when it would not say. */
  databases: number | null;
}

/**
 * Why the database a URL names cannot be used, in one line. Redis answers SELECT of a number it
 * does not have with "ERR DB index is out of range"; it has `databases` of them (redis.conf, 16
 * by default), numbered from 0.
 */
export function databaseFailure(facts: DatabaseAttemptFacts): string {
  const { db, error, databases } = facts;
  const message = error instanceof Error ? error.message.trim() : String(error ?? '').trim();
  if (/^ERR DB index is out of range\b/i.test(message))
    return databases !== null && databases > 0
      ? `database ${db} does not exist: the server has ${databases} (0 to ${databases - 1}; "databases" in redis.conf)`
      : `database ${db} does not exist (${message})`;
  return `cannot select database ${db}: ${message === '' ? 'no reason given' : message}`;
}

function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}
