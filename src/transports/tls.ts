/**
 * TLS for the clients (wss:// and https:// URLs): the scenario's settings as plain data that travels
 * to the workers, the options every client passes to Node's TLS, the session cache of a worker,
 * and the one-line failure that names what went wrong in a handshake.
 *
 * Defaults are Node's: TLS 1.2 or 1.3 (1.3 first), its cipher list, which puts the AES-GCM suites
 * first, ECDHE key exchange; the certificate is checked against the system's CAs, or against
 * `ca` when given (the built-in server's generated certificate is given this way).
 *
 * Session resumption: a worker keeps the latest session (TLS 1.3 ticket) it received from each
 * endpoint and offers it on the next connection to that endpoint — like the tabs of one browser,
 * which share a session cache per origin. A server that allows it skips the certificate exchange
 * and its checks; one that does not (or cannot decrypt the ticket) does a full handshake. With
 * `resumeSessions: false` every handshake is a full one.
 */
import { createSecureContext, type ConnectionOptions, type SecureContext, type TLSSocket } from 'node:tls';

/** The clients' TLS settings (plain data: it travels to the workers). */
export interface ClientTlsOptions {
  /** PEM certificates to trust instead of the system's CAs; empty: the system's. */
  ca: string[];
  /** Check the server's certificate (chain, dates, name). false: accept any certificate. */
  rejectUnauthorized: boolean;
  /** Offer the endpoint's last session on new connections. */
  resumeSessions: boolean;
  /** Client certificate and key (PEM), for servers that require one. */
  cert?: string;
  key?: string;
}

export const DEFAULT_CLIENT_TLS: ClientTlsOptions = { ca: [], rejectUnauthorized: true, resumeSessions: true };

/**
 * One secure context (OpenSSL's SSL_CTX with its trust store) per settings object, shared by every
 * connection made with them. tls.connect with `ca` or `cert` options would build a context per
 * connection: a trust store and certificate copies each, which showed as tens of KiB per held
 * connection (BENCHMARKS.md, memory per wss connection).
 */
const contexts = new WeakMap<ClientTlsOptions, SecureContext>();

function secureContextOf(settings: ClientTlsOptions): SecureContext {
  let context = contexts.get(settings);
  if (context === undefined) {
    context = createSecureContext({
      ...(settings.ca.length > 0 ? { ca: settings.ca } : {}),
      ...(settings.cert !== undefined ? { cert: settings.cert } : {}),
      ...(settings.key !== undefined ? { key: settings.key } : {}),
    });
    contexts.set(settings, context);
  }
  return context;
}

/** Options for tls.connect (and https agents) from the settings, for a server name. */
export function tlsConnectOptions(settings: ClientTlsOptions, servername: string): ConnectionOptions {
  return {
    // SNI takes host names only; an IP address is still checked against the certificate.
    ...(isIpAddress(servername) ? {} : { servername }),
    rejectUnauthorized: settings.rejectUnauthorized,
    secureContext: secureContextOf(settings),
  };
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

// ─── the worker's session cache ──────────────────────────────────────────────────────────────

/** The latest session per endpoint (host:port/servername) of this process. */
const sessions = new Map<string, Buffer>();
/** The key strings themselves, interned: every socket of an endpoint points to the same one. */
const keys = new Map<string, string>();
const SESSION_KEY = Symbol('wsbench.tlsSessionKey');
type KeyedSocket = TLSSocket & { [SESSION_KEY]?: string };

/** The cache key of an endpoint (one string per endpoint, shared). */
export function sessionKey(host: string, port: number, servername: string): string {
  const key = `${host}:${port}/${servername}`;
  let interned = keys.get(key);
  if (interned === undefined) {
    interned = key;
    keys.set(key, interned);
  }
  return interned;
}

/** The session to offer for this endpoint, if one was kept. */
export function cachedSession(key: string): Buffer | undefined {
  return sessions.get(key);
}

function keepSession(this: KeyedSocket, session: Buffer): void {
  const key = this[SESSION_KEY];
  if (key !== undefined) sessions.set(key, session);
}

/** Keeps the sessions `socket` receives for the endpoint `key` (a listener shared by every socket). */
export function rememberSessions(socket: TLSSocket, key: string): void {
  (socket as KeyedSocket)[SESSION_KEY] = key;
  socket.on('session', keepSession);
}

/** Forgets every kept session (tests). */
export function clearSessionCache(): void {
  sessions.clear();
}

// ─── what a handshake negotiated ─────────────────────────────────────────────────────────────

/** What one TLS connection negotiated: version and cipher suite, and whether the session was resumed. */
export interface TlsOutcome {
  version: string;
  cipher: string;
  resumed: boolean;
}

export function tlsOutcomeOf(socket: TLSSocket): TlsOutcome {
  return {
    version: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.standardName ?? 'unknown',
    resumed: socket.isSessionReused(),
  };
}

// ─── failures ────────────────────────────────────────────────────────────────────────────────

/** A failed TLS handshake: the kind it is counted under (`connect.tls-…`) and one line saying why. */
export interface TlsFailure {
  kind: `connect.tls-${string}`;
  message: string;
}

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
]);
const PROTOCOL = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_RECORD_LAYER_FAILURE',
  'ERR_SSL_UNKNOWN_PROTOCOL',
]);
const CLIENT_CERTIFICATE = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
]);
const NO_SHARED_PARAMETERS = new Set([
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  'ERR_SSL_NO_SHARED_CIPHER',
  'ERR_SSL_TLSV1_ALERT_INSUFFICIENT_SECURITY',
]);

/**
 * The failure of a TLS handshake with `where` (host:port), from Node's error code; null when the
 * error is not about TLS (a refused connection, a reset: those keep their errno kinds).
 */
export function tlsFailure(error: { code?: string; message: string; reason?: string }, where: string): TlsFailure | null {
  let code = error.code ?? '';
  // OpenSSL's record-layer errors can come as a bare EPROTO whose message names the reason.
  if (code === 'EPROTO') {
    const reason = /:SSL routines:[^:]*:([^:]+):/.exec(error.message)?.[1] ?? '';
    code = `ERR_SSL_${reason
      .trim()
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, '_')}`;
  }
  const failed = `TLS handshake with ${where} failed`;
  const because = (kind: string, why: string, hint: string): TlsFailure => ({
    kind: `connect.tls-${kind}`,
    message: `${failed}: ${why} (${code})${hint ? `; ${hint}` : ''}`,
  });
  if (UNKNOWN_CA.has(code)) {
    return because(
      'unknown-ca',
      code === 'DEPTH_ZERO_SELF_SIGNED_CERT'
        ? "the server's certificate is self-signed and not trusted"
        : "the server's certificate is not signed by a trusted CA",
      'trust its CA with clients.tls.ca (connect: --ca), or skip the check with clients.tls.rejectUnauthorized: false (connect: --no-check)',
    );
  }
  if (code === 'CERT_HAS_EXPIRED') return because('expired', "the server's certificate has expired", '');
  if (code === 'CERT_NOT_YET_VALID') return because('not-yet-valid', "the server's certificate is not valid yet (check the clocks)", '');
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    const reason = error.reason ?? 'the host name is not among the names the certificate is for';
    return because('name-mismatch', `the server's certificate does not match the host name: ${reason.replace(/[.:\s]+$/, '')}`, '');
  }
  if (PROTOCOL.has(code)) {
    return because(
      'protocol',
      'no TLS version in common, or the server does not speak TLS at all',
      'is it a ws:// (plain) server behind a wss:// URL?',
    );
  }
  if (CLIENT_CERTIFICATE.has(code)) {
    return because('client-certificate', 'the server refused the client certificate, or requires one', 'give one with --cert and --key');
  }
  if (NO_SHARED_PARAMETERS.has(code)) return because('handshake', 'no cipher suite or key exchange group in common with the server', '');
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.startsWith('CERT_')) {
    return because(
      'handshake',
      error.message
        .split('\n')[0]!
        .replace(/^.*?[0-9A-F]+:error:[0-9A-F]+:/i, '')
        .trim(),
      '',
    );
  }
  return null;
}
