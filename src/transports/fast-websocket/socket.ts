/**
 * The fast client's sockets, built so that a held connection costs little more than its socket
 * (BENCHMARKS.md, memory per connection) and a read costs no allocation:
 *
 * - every plain-TCP socket of the process reads into one shared buffer (net's `onread`): no Buffer
 *   is allocated per read and no stream 'data' event is emitted. Safe because each read is parsed
 *   to the end before the next read happens; whatever is kept across reads is copied out.
 * - the socket's listeners are the functions below, shared by every socket: `this` is the socket,
 *   and the socket points to its owner (the client). Per-connection closures would cost several
 *   hundred bytes per connection.
 *
 * TLS sockets cannot read into a caller's buffer; they use 'data' events (one Buffer per read).
 * They offer the endpoint's last session and keep the ones they receive (../tls.ts).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { cachedSession, rememberSessions, sessionKey, tlsConnectOptions, type ClientTlsOptions } from '../tls.js';

/** What a socket reports to the object that owns it. */
export interface SocketOwner {
  /** TCP connected (or the TLS handshake done): time to send the upgrade request. */
  socketConnected(): void;
  /** `length` bytes arrived in `data`, which may be the shared read buffer: parse them before returning. */
  received(data: Buffer, length: number): void;
  socketFailed(e: NodeJS.ErrnoException): void;
  socketClosed(): void;
}

/** Where to connect, and how. */
export interface Endpoint {
  host: string;
  port: number;
  /** Local address to connect from; undefined: the kernel's choice. */
  localAddress: string | undefined;
  /** null: plain TCP (ws://). */
  tls: TlsSettings | null;
}

/** TLS for wss:// URLs. */
export interface TlsSettings {
  /** SNI and certificate name check. */
  servername: string;
  /** Trust, checks, session resumption (plain data from the scenario). */
  options: ClientTlsOptions;
}

const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const OWNER = Symbol('wsbench.fastWebSocket');
type OwnedSocket = Socket & { [OWNER]: SocketOwner };

function socketConnected(this: OwnedSocket): void {
  this[OWNER].socketConnected();
}
/** net's `onread` callback: `length` bytes were read into the shared buffer. */
function socketRead(this: OwnedSocket, length: number, buffer: Uint8Array): boolean {
  this[OWNER].received(buffer as Buffer, length);
  return true;
}
function socketData(this: OwnedSocket, chunk: Buffer): void {
  this[OWNER].received(chunk, chunk.length);
}
function socketFailed(this: OwnedSocket, e: NodeJS.ErrnoException): void {
  this[OWNER].socketFailed(e);
}
function socketClosed(this: OwnedSocket): void {
  this[OWNER].socketClosed();
}

/** Starts connecting; everything that happens next goes to `owner`. */
export function openSocket(owner: SocketOwner, endpoint: Endpoint): Socket {
  const common = { host: endpoint.host, port: endpoint.port, ...(endpoint.localAddress ? { localAddress: endpoint.localAddress } : {}) };
  const tls = endpoint.tls;
  let socket: OwnedSocket;
  if (tls) {
    const resume = tls.options.resumeSessions ? sessionKey(endpoint.host, endpoint.port, tls.servername) : null;
    const session = resume === null ? undefined : cachedSession(resume);
    const secure = tlsConnect({ ...common, ...tlsConnectOptions(tls.options, tls.servername), ...(session ? { session } : {}) });
    if (resume !== null) rememberSessions(secure, resume);
    socket = secure as unknown as OwnedSocket;
  } else {
    socket = netConnect({ ...common, onread: { buffer: READ_BUFFER, callback: socketRead } }) as OwnedSocket;
  }
  socket[OWNER] = owner;
  if (tls) socket.on('data', socketData);
  socket.setNoDelay(true);
  socket.once(tls ? 'secureConnect' : 'connect', socketConnected);
  socket.on('error', socketFailed);
  socket.on('close', socketClosed);
  return socket;
}
