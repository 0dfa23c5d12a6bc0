/**
 * The fast client's opening handshake (RFC 6455 §4.1): where to connect (TCP or TLS, with the
 * scenario's TLS settings), the HTTP upgrade request (with the permessage-deflate offer when
 * compression is on), and the checks on the server's response — status 101, Sec-WebSocket-Accept
 * derived from our key, a subprotocol only from those offered, an extension only as offered
 * (RFC 7692 checks in wire/permessage-deflate.ts). A refused upgrade becomes one `connect.*`
 * failure naming the status and the start of the body.
 *
 * What exists only during the handshake lives in an `Upgrade`, which the client drops once the
 * connection is open.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  PerMessageDeflateError,
  acceptResponse,
  buildOffer,
  type DeflateOffer,
  type DeflateParams,
} from '../../wire/permessage-deflate.js';
import type { ConnectAttempt, ConnectOptions } from '../transport.js';
import { DEFAULT_CLIENT_TLS, type ClientTlsOptions } from '../tls.js';
import type { Endpoint } from './socket.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEADER_END = Buffer.from('\r\n\r\n');
/** Refuse absurd upgrade responses instead of buffering them forever. */
export const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;
/** How much of a refusal's body goes into the failure message. */
const BODY_START_CHARS = 200;

/** The Sec-WebSocket-Accept value a server must answer to `key`. */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** Where a ws:// or wss:// URL connects to. */
export function endpointOf(url: URL, localAddress: string | undefined, tls: ClientTlsOptions = DEFAULT_CLIENT_TLS): Endpoint {
  const secure = url.protocol === 'wss:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return { host, port: Number(url.port || (secure ? 443 : 80)), localAddress, tls: secure ? { servername: host, options: tls } : null };
}

/** What the client offers of permessage-deflate, and whether it insists. */
export interface DeflateNegotiation {
  offers: DeflateOffer[];
  required: boolean;
}

/** The upgrade request for `url` with our `key`, the subprotocols offered and the extra headers. */
export function upgradeRequest(
  url: URL,
  key: string,
  options: Pick<ConnectOptions, 'subprotocols' | 'headers'>,
  deflate: DeflateNegotiation | null = null,
): string {
  const lines = [
    `GET ${url.pathname}${url.search} HTTP/1.1`,
    `Host: ${url.host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (options.subprotocols.length) lines.push(`Sec-WebSocket-Protocol: ${options.subprotocols.join(', ')}`);
  if (deflate) lines.push(`Sec-WebSocket-Extensions: ${buildOffer(deflate.offers)}`);
  for (const [name, value] of Object.entries(options.headers)) lines.push(`${name}: ${value}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

export type UpgradeOutcome =
  | {
      ok: true;
      /** The subprotocol the server chose ('' for none). */
      protocol: string;
      /** Bytes after the response head: frames the server sent right away. */
      rest: Buffer;
      /** permessage-deflate as agreed, or null. */
      deflate: DeflateParams | null;
    }
  | { ok: false; kind: string; message: string };

/**
 * Reads the response head received so far: null while it is incomplete, else the outcome. Pure:
 * `head` is everything received since the request went out.
 */
export function parseUpgradeResponse(
  head: Buffer,
  key: string,
  offered: readonly string[],
  deflate: DeflateNegotiation | null = null,
): UpgradeOutcome | null {
  const endAt = head.indexOf(HEADER_END);
  if (endAt < 0) {
    return head.length > MAX_RESPONSE_HEAD_BYTES
      ? { ok: false, kind: 'connect.bad-response', message: 'upgrade response headers too long' }
      : null;
  }
  const [statusLine = '', ...headerLines] = head.toString('latin1', 0, endAt).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    // A list header may come in several lines (RFC 7230 §3.2.2): one value, joined.
    const earlier = headers.get(name);
    headers.set(name, earlier !== undefined && name === 'sec-websocket-extensions' ? `${earlier}, ${value}` : value);
  }
  const rest = head.subarray(endAt + HEADER_END.length);
  if (status !== 101) {
    const body = oneLine(headers.get('transfer-encoding') === 'chunked' ? dechunk(rest) : rest.toString('utf8', 0, BODY_START_CHARS));
    return {
      ok: false,
      kind: `connect.http-${status || 'bad-response'}`,
      message: `HTTP ${status || '?'} ${statusLine.replace(/^HTTP\/1\.[01] \d{3} ?/, '')}${body ? `: ${body}` : ''}`.trim(),
    };
  }
  if (headers.get('sec-websocket-accept') !== acceptKey(key)) {
    return { ok: false, kind: 'connect.bad-accept', message: 'Sec-WebSocket-Accept does not match the key' };
  }
  const extensions = headers.get('sec-websocket-extensions');
  let params: DeflateParams | null;
  try {
    params = acceptResponse(extensions, deflate?.offers ?? [], deflate?.required ?? false);
  } catch (e) {
    if (!(e instanceof PerMessageDeflateError)) throw e;
    const declined = extensions === undefined && deflate?.required === true;
    return { ok: false, kind: declined ? 'connect.compression-declined' : 'connect.bad-extension', message: e.message };
  }
  const protocol = headers.get('sec-websocket-protocol');
  if (protocol !== undefined && !offered.includes(protocol)) {
    return {
      ok: false,
      kind: 'connect.bad-subprotocol',
      message: `server chose subprotocol "${protocol}", which was not offered${offered.length ? ` (offered: ${offered.join(', ')})` : ''}`,
    };
  }
  return { ok: true, protocol: protocol ?? '', rest, deflate: params };
}

/** One handshake in progress: the key, the URL and options it was started with, and the response so far. */
export class Upgrade {
  readonly key = randomBytes(16).toString('base64');
  /** The response so far (a copy: reads may land in a shared buffer). */
  private head: Buffer = Buffer.alloc(0);

  constructor(
    readonly url: URL,
    readonly options: ConnectOptions,
    readonly attempt: ConnectAttempt,
  ) {}

  get endpoint(): Endpoint {
    return endpointOf(this.url, this.options.localAddress, this.options.tls);
  }

  /** What is offered of permessage-deflate (null: nothing). */
  get deflate(): DeflateNegotiation | null {
    const compression = this.options.compression;
    if (!compression || compression.mode === 'off') return null;
    return { offers: [compression.offer], required: compression.mode === 'require' };
  }

  request(): string {
    return upgradeRequest(this.url, this.key, this.options, this.deflate);
  }

  /** Takes data[0, length) of the response: null while the head is incomplete, else the outcome. */
  read(data: Buffer, length: number): UpgradeOutcome | null {
    this.head = Buffer.concat([this.head, data.subarray(0, length)]);
    return parseUpgradeResponse(this.head, this.key, this.options.subprotocols, this.deflate);
  }
}

/** The start of a chunked HTTP body (as much as has arrived), for error messages. */
function dechunk(raw: Buffer): string {
  let out = '';
  let at = 0;
  while (at < raw.length && out.length < BODY_START_CHARS) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(raw.toString('latin1', at, lineEnd), 16);
    if (!(size > 0)) break;
    out += raw.toString('utf8', lineEnd + 2, Math.min(raw.length, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return out;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, BODY_START_CHARS);
}
