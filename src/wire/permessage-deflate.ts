/**
 * permessage-deflate (RFC 7692): negotiation for both ends and a synchronous per-message codec.
 * Pure apart from zlib: no sockets, no timers, no events. The fast client and the reference server
 * call it; framing (RSV1, fragments, close codes on the wire) stays in their frame codec.
 *
 * ## Negotiation (Sec-WebSocket-Extensions)
 *
 * Client:
 *   const offers: DeflateOffer[] = [{ serverNoContextTakeover: true, clientMaxWindowBits: true }];
 *   request header  `Sec-WebSocket-Extensions: ${buildOffer(offers)}`
 *   on the 101      `const params = acceptResponse(headerValue, offers, required)`
 *     - headerValue: every Sec-WebSocket-Extensions line of the response joined with ', '
 *       (undefined when there is none);
 *     - returns the negotiated DeflateParams, or null when the server declined compression and
 *       `required` is false (compression `offer`); throws PerMessageDeflateError (kind
 *       `deflate.negotiation`) when the response is malformed, names an extension that was not
 *       offered, breaks RFC 7692 §7.1 (unknown or duplicate parameters, window bits outside 8–15,
 *       client_max_window_bits that was not offered, an offered server_no_context_takeover or
 *       server_max_window_bits not confirmed) or, with `required`, declines compression. Its
 *       message is one line that says what the server answered; fail the connection with it
 *       (`connect.bad-extension`).
 *     A client that does not offer compression still calls acceptResponse(value, [], false): any
 *     extension in the response then fails the handshake, as today.
 *
 * Server:
 *   const n = negotiateServer(requestHeaderValue, settings)
 *   n.params !== null → add `Sec-WebSocket-Extensions: ${n.response}` to the 101 and use n.params;
 *   n.params === null → no compression for this connection; n.reason says why (every offer
 *   declined, with the first problem of each) and n.malformed is true when the header itself does
 *   not parse (a server may answer 400 then, as `ws` does, or go on without compression).
 *
 * DeflateParams is the same object on both ends: `server*` fields describe what the server
 * compresses (and the client inflates), `client*` fields the other direction. directionFor(params,
 * 'client'|'server') turns it into the two DirectionParams one end needs.
 *
 * ## Codec: one MessageInflater and (when it sends) one MessageDeflater per connection
 *
 *   const { receive, send } = directionFor(params, 'client');
 *   const inflater = new MessageInflater(receive, maxPayload);   // per connection
 *   const deflater = new MessageDeflater(send);                   // per connection, or shared (below)
 *
 * Receiving a data message whose first frame has RSV1 set (RSV1 on a continuation or control frame,
 * or without negotiated compression, is the frame codec's 1002):
 *   whole message: `const plain = inflater.inflate(data, start, end, wanted?)` — what the
 *                  FrameParser of websocket-frame.ts needs once `allowCompressed()` was called: it
 *                  joins fragments itself and calls frameMessage(data, start, end, opcode, compressed)
 *   frame by frame: `inflater.inflateFragment(data, start, end, fin, wanted?)` for every frame of
 *                  the message, null until `fin`, then the whole plaintext (for a parser that does
 *                  not join fragments: no compressed copy is kept with context takeover).
 *   `plain` is a view into a buffer this module reuses: valid until the next inflate call of any
 *   inflater in the process (the receive path reads the stamp at once, as with frame views).
 *   A message without RSV1 is not compressed: hand it on as it is; it does not touch the context.
 *   `wanted` (default: everything) is how many leading bytes the caller needs: with no context
 *   takeover on the receive side only that much is inflated (the binary stamp: 32 bytes), so the
 *   rest is neither checked nor sized. With context takeover the whole message is always inflated,
 *   because the next message may refer back into any of it (the LZ77 window must stay exact);
 *   `wanted` is then ignored. The text stamp can be anywhere: pass nothing.
 *   Errors (PerMessageDeflateError, `closeCode` is what to close with):
 *     deflate.invalid-data  1007  not valid DEFLATE data (bad block, distance beyond the window...)
 *     deflate.too-big       1009  the plaintext exceeds maxPayload
 *   After an error the inflater stays failed (every later call throws the same error): close the
 *   connection. inflater.close() frees zlib's memory when the connection ends.
 *
 * Sending (the client's chat messages, the server's fan-out):
 *   `const payload = deflater.deflate(data, start?, end?)` → the frame payload, to be sent with RSV1
 *   set on the first frame (a view into a reused buffer, valid until the next deflate call in the
 *   process: frame or copy it at once).
 *   With no context takeover the output depends on the message only, so the server compresses a
 *   fan-out message once and sends the same frame to every such recipient: output made with
 *   window bits w inflates at every peer that negotiated w or more (use the smallest). With context
 *   takeover each connection's stream is its own (a deflater per connection, or per group of
 *   connections that have received exactly the same compressed messages since they opened).
 *
 * Costs (bench/deflate.ts; figures there and in BENCHMARKS.md): zlib runs synchronously through
 * the handle Node's own sync functions use (`handle.writeSync`), so a context survives between
 * messages without zlib's async stream API and without a new zlib stream per message (a new stream
 * per message, with the last 32 KiB as its dictionary for takeover, measured 1.2–35× slower: the
 * set-up per stream, which weighs most on small messages). With context takeover a connection owns
 * a zlib context for as long as it is open: inflating, zlib's ~7 KiB state plus the window, 2^bits
 * bytes once filled (≈ 42 KiB RSS per connection at 15 bits, 11 KiB at 10); deflating, ≈ 214 KiB
 * at 15 bits (91 KiB at 10) whatever the memLevel. Without takeover every connection of the
 * process shares one context per direction and window size, reset per message, and costs nothing
 * between messages.
 */
import { constants as zlibConstants, DeflateRaw, InflateRaw } from 'node:zlib';
import { WsbenchError } from '../errors.js';

export const EXTENSION_NAME = 'permessage-deflate';
export const MIN_WINDOW_BITS = 8;
export const MAX_WINDOW_BITS = 15;

/** Appended to a received message before inflating; removed from a deflated one (RFC 7692 §7.2). */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

export type DeflateErrorKind = 'deflate.negotiation' | 'deflate.invalid-data' | 'deflate.too-big';

/**
 * A failed negotiation or message. `kind` is short and stable (for the report's error counts);
 * `closeCode` is the WebSocket close code to fail the connection with.
 */
export class PerMessageDeflateError extends WsbenchError {
  constructor(
    readonly kind: DeflateErrorKind,
    readonly closeCode: number,
    message: string,
  ) {
    super('TARGET_PROTOCOL', message);
    this.name = 'PerMessageDeflateError';
  }
}

function negotiationError(message: string, closeCode = 1002): PerMessageDeflateError {
  return new PerMessageDeflateError('deflate.negotiation', closeCode, message);
}

// ---------------------------------------------------------------------------------------------
// Sec-WebSocket-Extensions syntax (RFC 6455 §9.1, list and quoting rules of RFC 7230 §3.2.6, §7)

export interface ExtensionParam {
  /** Lower-cased. */
  name: string;
  /** The value (unquoted), or null for a parameter without one. */
  value: string | null;
}

export interface ExtensionElement {
  /** Lower-cased. */
  name: string;
  /** In order, duplicates kept (so that they can be refused). */
  params: ExtensionParam[];
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Header text for error messages: one line, bounded. */
function quoteHeader(text: string): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return JSON.stringify(flat.length > 160 ? `${flat.slice(0, 160)}…` : flat);
}

/**
 * Parses a Sec-WebSocket-Extensions value into its elements. Names compare case-insensitively
 * (they are returned lower-cased); whitespace around `,` `;` `=` is allowed, empty list elements
 * are skipped; a quoted value must be a token once unquoted. Throws PerMessageDeflateError
 * (`deflate.negotiation`) naming the column of the first syntax error.
 */
export function parseExtensions(header: string): ExtensionElement[] {
  const elements: ExtensionElement[] = [];
  let at = 0;
  const fail = (what: string): never => {
    throw negotiationError(`malformed Sec-WebSocket-Extensions ${quoteHeader(header)}: ${what} at column ${at + 1}`);
  };
  const skipSpace = () => {
    while (at < header.length && (header[at] === ' ' || header[at] === '\t')) at++;
  };
  const token = (what: string): string => {
    const from = at;
    while (at < header.length && TCHAR.test(header[at]!)) at++;
    if (at === from) fail(at < header.length ? `expected ${what}, found ${JSON.stringify(header[at])}` : `expected ${what}`);
    return header.slice(from, at);
  };
  const quoted = (): string => {
    at++; // opening quote
    let value = '';
    while (at < header.length && header[at] !== '"') {
      if (header[at] === '\\') at++;
      if (at >= header.length) break;
      value += header[at++];
    }
    if (at >= header.length) fail('unterminated quoted value');
    at++; // closing quote
    if (!TOKEN.test(value)) fail(`quoted value ${JSON.stringify(value)} is not a token`);
    return value;
  };

  for (;;) {
    skipSpace();
    if (at >= header.length) break;
    if (header[at] === ',') {
      at++;
      continue;
    }
    const element: ExtensionElement = { name: token('an extension name').toLowerCase(), params: [] };
    skipSpace();
    while (header[at] === ';') {
      at++;
      skipSpace();
      const name = token("a parameter name after ';'").toLowerCase();
      let value: string | null = null;
      skipSpace();
      if (header[at] === '=') {
        at++;
        skipSpace();
        value = header[at] === '"' ? quoted() : token("a value after '='");
        skipSpace();
      }
      element.params.push({ name, value });
    }
    if (at < header.length && header[at] !== ',') fail(`unexpected ${JSON.stringify(header[at])}`);
    elements.push(element);
  }
  return elements;
}

// ---------------------------------------------------------------------------------------------
// permessage-deflate parameters (RFC 7692 §7.1)

/** What a client offers; one object is one element of the offer list. */
export interface DeflateOffer {
  /** Ask the server to compress every message on its own (saves the client an inflate context). */
  serverNoContextTakeover?: boolean;
  /** Tell the server the client compresses every message on its own. */
  clientNoContextTakeover?: boolean;
  /** Ask the server to use an LZ77 window of at most 2^bits bytes (8–15). */
  serverMaxWindowBits?: number;
  /** true: the client can limit its own window if the server asks; a number: it will use at most that. */
  clientMaxWindowBits?: number | true;
}

/** The outcome of a negotiation, the same on both ends. */
export interface DeflateParams {
  /** The server compresses each message without reference to earlier ones. */
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** Window the server compresses with (at most): what the client needs to inflate. 8–15. */
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/** The settings of one direction of a connection. */
export interface DirectionParams {
  noContextTakeover: boolean;
  windowBits: number;
}

/** The receive (inflate) and send (deflate) settings of one end of a connection. */
export function directionFor(params: DeflateParams, side: 'client' | 'server'): { receive: DirectionParams; send: DirectionParams } {
  const server = { noContextTakeover: params.serverNoContextTakeover, windowBits: params.serverMaxWindowBits };
  const client = { noContextTakeover: params.clientNoContextTakeover, windowBits: params.clientMaxWindowBits };
  return side === 'client' ? { receive: server, send: client } : { receive: client, send: server };
}

/** Parameters of one permessage-deflate element, checked for syntax. */
interface ElementParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | null;
  /** true: present without a value (offers only). */
  clientMaxWindowBits: number | true | null;
}

/** A decimal 8–15 without leading zeros (RFC 7692 §7.1.2.1). */
const WINDOW_BITS_VALUE = /^(?:8|9|1[0-5])$/;

function checkWindowBits(name: string, bits: number): void {
  if (!Number.isInteger(bits) || bits < MIN_WINDOW_BITS || bits > MAX_WINDOW_BITS) {
    throw new RangeError(`${name} must be an integer from ${MIN_WINDOW_BITS} to ${MAX_WINDOW_BITS}, got ${bits}`);
  }
}

/**
 * The parameters of one element, or the reason it is invalid. In a response every window-bits
 * parameter needs a value; in an offer client_max_window_bits may come without one.
 */
function readElement(element: ExtensionElement, side: 'offer' | 'response'): ElementParams | string {
  const out: ElementParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: null,
    clientMaxWindowBits: null,
  };
  const seen = new Set<string>();
  for (const { name, value } of element.params) {
    if (seen.has(name)) return `parameter ${name} appears more than once`;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        if (value !== null) return `${name} takes no value (got ${JSON.stringify(value)})`;
        if (name === 'server_no_context_takeover') out.serverNoContextTakeover = true;
        else out.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
      case 'client_max_window_bits': {
        if (value === null) {
          if (name === 'client_max_window_bits' && side === 'offer') {
            out.clientMaxWindowBits = true;
            break;
          }
          return `${name} needs a value (8 to 15)`;
        }
        if (!WINDOW_BITS_VALUE.test(value)) return `${name}=${value} is not a window size of 8 to 15 bits`;
        if (name === 'server_max_window_bits') out.serverMaxWindowBits = Number(value);
        else out.clientMaxWindowBits = Number(value);
        break;
      }
      default:
        return `unknown parameter ${name}`;
    }
  }
  return out;
}

function formatElement(params: ElementParams): string {
  const parts = [EXTENSION_NAME];
  if (params.serverNoContextTakeover) parts.push('server_no_context_takeover');
  if (params.clientNoContextTakeover) parts.push('client_no_context_takeover');
  if (params.serverMaxWindowBits !== null) parts.push(`server_max_window_bits=${params.serverMaxWindowBits}`);
  if (params.clientMaxWindowBits === true) parts.push('client_max_window_bits');
  else if (params.clientMaxWindowBits !== null) parts.push(`client_max_window_bits=${params.clientMaxWindowBits}`);
  return parts.join('; ');
}

/**
 * The client's Sec-WebSocket-Extensions value: one element per offer, in order of preference.
 * Throws RangeError for window bits outside 8–15 (a configuration error, checked earlier by the
 * config schema).
 */
export function buildOffer(offers: readonly DeflateOffer[]): string {
  if (offers.length === 0) throw new RangeError('permessage-deflate needs at least one offer');
  return offers
    .map((offer) => {
      if (offer.serverMaxWindowBits !== undefined) checkWindowBits('serverMaxWindowBits', offer.serverMaxWindowBits);
      if (typeof offer.clientMaxWindowBits === 'number') checkWindowBits('clientMaxWindowBits', offer.clientMaxWindowBits);
      return formatElement({
        serverNoContextTakeover: offer.serverNoContextTakeover === true,
        clientNoContextTakeover: offer.clientNoContextTakeover === true,
        serverMaxWindowBits: offer.serverMaxWindowBits ?? null,
        clientMaxWindowBits: offer.clientMaxWindowBits ?? null,
      });
    })
    .join(', ');
}

/** Why the server's accepted parameters do not answer `offer`, or null when they do. */
function mismatch(offer: DeflateOffer, answer: ElementParams): string | null {
  if (offer.serverNoContextTakeover && !answer.serverNoContextTakeover) return 'it did not confirm the offered server_no_context_takeover';
  if (offer.serverMaxWindowBits !== undefined) {
    if (answer.serverMaxWindowBits === null) return `it did not confirm the offered server_max_window_bits=${offer.serverMaxWindowBits}`;
    if (answer.serverMaxWindowBits > offer.serverMaxWindowBits) {
      return `server_max_window_bits=${answer.serverMaxWindowBits} is above the ${offer.serverMaxWindowBits} offered`;
    }
  }
  if (answer.clientMaxWindowBits !== null) {
    if (offer.clientMaxWindowBits === undefined) return 'it sent client_max_window_bits, which the client did not offer';
    if (typeof offer.clientMaxWindowBits === 'number' && (answer.clientMaxWindowBits as number) > offer.clientMaxWindowBits) {
      return `client_max_window_bits=${answer.clientMaxWindowBits as number} is above the ${offer.clientMaxWindowBits} offered`;
    }
  }
  return null;
}

/**
 * Checks the server's Sec-WebSocket-Extensions answer against what the client offered (RFC 7692
 * §5, §7.1) and returns the negotiated parameters: null when compression was not accepted and
 * `required` is false. Throws PerMessageDeflateError (`deflate.negotiation`) otherwise; see the
 * module comment.
 */
export function acceptResponse(
  header: string | undefined | null,
  offers: readonly DeflateOffer[],
  required: boolean,
): DeflateParams | null {
  const elements = header == null ? [] : parseExtensions(header);
  const shown = quoteHeader(header ?? '');
  const foreign = elements.find((e) => e.name !== EXTENSION_NAME || offers.length === 0);
  if (foreign) throw negotiationError(`server chose an extension that was not offered: ${shown}`, 1010);
  if (elements.length === 0) {
    if (required) throw negotiationError('server did not accept permessage-deflate, which compression: require needs', 1010);
    return null;
  }
  if (elements.length > 1) throw negotiationError(`server accepted permessage-deflate more than once: ${shown}`);
  const answer = readElement(elements[0]!, 'response');
  if (typeof answer === 'string') throw negotiationError(`server's permessage-deflate answer ${shown} is invalid: ${answer}`);
  const reasons: string[] = [];
  for (const offer of offers) {
    const reason = mismatch(offer, answer);
    if (reason !== null) {
      reasons.push(reason);
      continue;
    }
    return {
      serverNoContextTakeover: answer.serverNoContextTakeover,
      // Offered, it is the client's own promise, confirmed or not (§7.1.1.2).
      clientNoContextTakeover: answer.clientNoContextTakeover || offer.clientNoContextTakeover === true,
      serverMaxWindowBits: answer.serverMaxWindowBits ?? MAX_WINDOW_BITS,
      clientMaxWindowBits:
        (answer.clientMaxWindowBits as number | null) ??
        (typeof offer.clientMaxWindowBits === 'number' ? offer.clientMaxWindowBits : MAX_WINDOW_BITS),
    };
  }
  const why = reasons.length === 1 ? reasons[0]! : reasons.map((r, i) => `offer ${i + 1}: ${r}`).join('; ');
  throw negotiationError(`server's permessage-deflate answer ${shown} does not match the offer: ${why}`);
}

/** What the server is willing to do. */
export interface ServerDeflateSettings {
  /** Compress every message on its own even when the client did not ask (one frame for all recipients). */
  serverNoContextTakeover?: boolean;
  /** Ask clients to compress every message on its own (the server keeps no inflate context). */
  clientNoContextTakeover?: boolean;
  /** The largest window the server compresses with (8–15, default 15). */
  serverMaxWindowBits?: number;
  /** Ask clients that can limit their window to use at most this (8–15). */
  clientMaxWindowBits?: number;
}

export type ServerNegotiation =
  | { params: DeflateParams; response: string; reason: null; malformed: false }
  | { params: null; response: null; reason: string; malformed: boolean };

/**
 * The server's side: picks the first acceptable permessage-deflate offer of the client's
 * Sec-WebSocket-Extensions value (other extensions are ignored) and builds the answer. Offers with
 * unknown, duplicate or invalid parameters are declined, as RFC 7692 §5 requires, not failed.
 * Every valid offer is acceptable (zlib can honour any window size and context takeover choice).
 */
export function negotiateServer(header: string | undefined | null, settings: ServerDeflateSettings = {}): ServerNegotiation {
  if (settings.serverMaxWindowBits !== undefined) checkWindowBits('serverMaxWindowBits', settings.serverMaxWindowBits);
  if (settings.clientMaxWindowBits !== undefined) checkWindowBits('clientMaxWindowBits', settings.clientMaxWindowBits);
  let elements: ExtensionElement[];
  try {
    elements = header == null ? [] : parseExtensions(header);
  } catch (e) {
    return { params: null, response: null, reason: (e as Error).message, malformed: true };
  }
  const reasons: string[] = [];
  let index = 0;
  for (const element of elements) {
    if (element.name !== EXTENSION_NAME) continue;
    index++;
    const offer = readElement(element, 'offer');
    if (typeof offer === 'string') {
      reasons.push(`offer ${index}: ${offer}`);
      continue;
    }
    const ownBits = settings.serverMaxWindowBits ?? MAX_WINDOW_BITS;
    // A smaller window than the client allows needs no announcement: a peer inflates it with any
    // larger window. It is announced only when the client asked (§7.1.2.1).
    const serverBits = offer.serverMaxWindowBits === null ? ownBits : Math.min(ownBits, offer.serverMaxWindowBits);
    // The client's window can be limited only if it said it can (§7.1.2.2).
    const offeredClientBits = offer.clientMaxWindowBits === true ? MAX_WINDOW_BITS : offer.clientMaxWindowBits;
    const askClientBits =
      offeredClientBits !== null && settings.clientMaxWindowBits !== undefined
        ? Math.min(offeredClientBits, settings.clientMaxWindowBits)
        : null;
    const answer: ElementParams = {
      serverNoContextTakeover: offer.serverNoContextTakeover || settings.serverNoContextTakeover === true,
      clientNoContextTakeover: settings.clientNoContextTakeover === true,
      serverMaxWindowBits: offer.serverMaxWindowBits === null ? null : serverBits,
      clientMaxWindowBits: askClientBits,
    };
    return {
      params: {
        serverNoContextTakeover: answer.serverNoContextTakeover,
        // The client's own hint counts too: it will not use takeover, so no context is kept for it.
        clientNoContextTakeover: answer.clientNoContextTakeover || offer.clientNoContextTakeover,
        serverMaxWindowBits: serverBits,
        clientMaxWindowBits: askClientBits ?? offeredClientBits ?? MAX_WINDOW_BITS,
      },
      response: formatElement(answer),
      reason: null,
      malformed: false,
    };
  }
  return {
    params: null,
    response: null,
    reason: index === 0 ? 'the client offered no permessage-deflate' : `every permessage-deflate offer was declined: ${reasons.join('; ')}`,
    malformed: false,
  };
}

// ---------------------------------------------------------------------------------------------
// The codec: zlib driven synchronously through its handle

const { Z_SYNC_FLUSH } = zlibConstants;

/**
 * The native handle behind Node's zlib streams, as Node's own zlib.*Sync functions drive it:
 * `writeSync` runs zlib on the calling thread, reports what is left of the input and output in the
 * stream's `_writeState` and calls `onerror` before it returns when zlib fails. Going through it
 * keeps one zlib context across messages (context takeover) without the async stream API, and
 * without a new zlib stream per message. It is internal to Node: ZlibEngine checks its shape once
 * and fails loudly if a Node version changes it (the unit tests run it on the supported versions).
 */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    out: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
  reset(): void;
  onerror: (this: ZlibHandle, message: string, errno: number, code?: string) => void;
  /** Set by recordError: zlib's message for the last write, cleared before each write. */
  lastError?: string | null;
}

interface ZlibStreamInternals {
  _handle?: ZlibHandle | null;
  _writeState?: Uint32Array;
  close(): void;
}

/** Shared by every handle: zlib reports failures synchronously during writeSync. */
function recordError(this: ZlibHandle, message: string): void {
  this.lastError = message;
}

/** One zlib context (inflate or deflate, raw DEFLATE with the given window). */
class ZlibEngine {
  private readonly stream: ZlibStreamInternals;
  private readonly handle: ZlibHandle;
  private readonly state: Uint32Array;
  private closed = false;
  /** Input bytes the last write did not consume. */
  inputLeft = 0;
  /** zlib's message when the last write failed. */
  error = '';

  constructor(kind: 'inflate' | 'deflate', windowBits: number, level = zlibConstants.Z_DEFAULT_COMPRESSION, memLevel = 8) {
    // chunkSize is the stream's own output buffer, which is never used here: keep it minimal.
    const stream = (kind === 'inflate'
      ? new InflateRaw({ windowBits, chunkSize: 64 })
      : new DeflateRaw({ windowBits, level, memLevel, chunkSize: 64 })) as unknown as ZlibStreamInternals;
    const handle = stream._handle;
    const state = stream._writeState;
    if (!handle || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array)) {
      throw new WsbenchError(
        'INTERNAL',
        `permessage-deflate: zlib's handle API is not what this Node version (${process.version}) was expected to have`,
      );
    }
    handle.onerror = recordError;
    this.stream = stream;
    this.handle = handle;
    this.state = state;
  }

  /**
   * Runs input[inOffset, inOffset + inLength) through zlib into out[outOffset, outOffset +
   * outLength) with a sync flush; returns the bytes written and sets `inputLeft`. On a zlib
   * failure returns -1 with the reason in `error`.
   */
  write(input: Uint8Array, inOffset: number, inLength: number, out: Uint8Array, outOffset: number, outLength: number): number {
    if (this.closed) throw new WsbenchError('INTERNAL', 'permessage-deflate: zlib context used after close()');
    const handle = this.handle;
    handle.lastError = null;
    handle.writeSync(Z_SYNC_FLUSH, input, inOffset, inLength, out, outOffset, outLength);
    if (handle.lastError != null) {
      this.error = handle.lastError;
      return -1;
    }
    this.inputLeft = this.state[1]!;
    return outLength - this.state[0]!;
  }

  reset(): void {
    this.handle.reset();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.close();
  }
}

/**
 * Contexts without takeover, shared by every connection of the process: each message starts from
 * a reset, so nothing of one connection's message survives into another's. Keyed by window bits
 * (and level/memLevel for deflate).
 */
const sharedEngines = new Map<string, ZlibEngine>();

/** The process's shared context for these settings; reset it before each message. */
function sharedEngine(kind: 'inflate' | 'deflate', windowBits: number, level?: number, memLevel?: number): ZlibEngine {
  const key = `${kind}/${windowBits}/${level}/${memLevel}`;
  let engine = sharedEngines.get(key);
  if (!engine) {
    engine = new ZlibEngine(kind, windowBits, level, memLevel);
    sharedEngines.set(key, engine);
  }
  return engine;
}

/**
 * Output buffers reused by every inflater (and, separately, every deflater) of the process: a
 * message is inflated and read before the next one is, so one buffer serves all connections and no
 * Buffer is allocated per message. Grows to the largest message seen (at most maxPayload + 1).
 */
const INITIAL_OUTPUT = 64 * 1024;
let inflateOut = Buffer.allocUnsafe(INITIAL_OUTPUT);
let deflateOut = Buffer.allocUnsafe(INITIAL_OUTPUT);

const EMPTY = Buffer.alloc(0);
/** An empty message, compressed: one empty stored block (BFINAL 0) without its tail (§7.2.3.6). */
const EMPTY_DEFLATED = Buffer.from([0x00]);

/** A received compressed message in progress (fragments before the final one). */
interface PartialMessage {
  /** Context takeover: plaintext so far (copies). No takeover: the compressed fragments (copies). */
  parts: Buffer[];
  /** Plaintext bytes so far (takeover only). */
  plainBytes: number;
  /** Compressed bytes so far. */
  compressedBytes: number;
}

/**
 * The receive side of one connection. See the module comment for how to call it; in short:
 * inflate(data, start, end, wanted?) per single-frame message, inflateFragment(...) per frame of a
 * fragmented one, close() at the end.
 */
export class MessageInflater {
  /** Context takeover: this connection's own zlib context, made at the first message. Without: the shared one. */
  private engine: ZlibEngine | null = null;
  private partial: PartialMessage | null = null;
  private failure: Error | null = null;
  /** The peer ended its DEFLATE stream (a BFINAL block): the next message starts from a reset. */
  private streamEnded = false;
  /** The message being inflated follows such a reset (a failing back-reference then says why). */
  private afterStreamEnd = false;
  /** Input the last run did not consume (the DEFLATE stream ended, or its output limit was hit). */
  private inputLeft = 0;

  constructor(
    readonly params: DirectionParams,
    readonly maxPayload: number,
  ) {
    checkWindowBits('windowBits', params.windowBits);
  }

  /**
   * A whole compressed message: data[start, end) is its payload (RSV1 was set). Returns the
   * plaintext, or at least its first `wanted` bytes when the context is not taken over (see the
   * module comment): a view valid until the next inflate call in the process.
   */
  inflate(data: Uint8Array, start: number, end: number, wanted = Infinity): Buffer {
    if (this.failure) throw this.failure;
    if (this.partial !== null) throw this.fail('deflate.invalid-data', 1002, 'a new message began inside a fragmented compressed one');
    return this.finish(null, data, start, end, wanted);
  }

  /**
   * One frame of a fragmented compressed message (the first had RSV1 set): null until `fin`, then
   * the whole plaintext as inflate() returns it.
   */
  inflateFragment(data: Uint8Array, start: number, end: number, fin: boolean, wanted = Infinity): Buffer | null {
    if (this.failure) throw this.failure;
    const partial = this.partial;
    if (fin) {
      this.partial = null;
      return this.finish(partial, data, start, end, wanted);
    }
    const length = end - start;
    if (partial === null) this.partial = { parts: [], plainBytes: 0, compressedBytes: length };
    else partial.compressedBytes += length;
    const current = this.partial!;
    if (this.params.noContextTakeover) {
      // The shared context cannot be held across frames (another connection's message may come in
      // between): keep the compressed bytes and inflate them with the last frame.
      if (current.compressedBytes > this.maxPayload) this.tooBig(current.compressedBytes, 'compressed');
      if (length > 0) current.parts.push(Buffer.from(data.subarray(start, end)));
      return null;
    }
    const engine = partial === null ? this.beginTakeover() : this.engine!;
    const produced = this.run(engine, data, start, end, 0, this.maxPayload + 1 - current.plainBytes);
    if (current.plainBytes + produced > this.maxPayload) this.tooBig(current.plainBytes + produced);
    if (this.inputLeft > 0) this.dataAfterEnd();
    if (produced > 0) current.parts.push(Buffer.from(inflateOut.subarray(0, produced)));
    current.plainBytes += produced;
    return null;
  }

  /** Frees this connection's zlib context; the inflater is unusable afterwards. */
  close(): void {
    if (!this.params.noContextTakeover) this.engine?.close();
    this.engine = null;
    this.partial = null;
    this.failure ??= new WsbenchError('INTERNAL', 'permessage-deflate: inflater used after close()');
  }

  /** The last (or only) frame of a message; `partial` holds what came before it. */
  private finish(partial: PartialMessage | null, data: Uint8Array, start: number, end: number, wanted: number): Buffer {
    const max = this.maxPayload;
    // No compressed bytes at all: an empty message, and nothing that could touch a context.
    if (start === end && (partial === null || partial.compressedBytes === 0)) return EMPTY;
    if (this.params.noContextTakeover) {
      const engine = (this.engine ??= sharedEngine('inflate', this.params.windowBits));
      engine.reset();
      // Stop once `wanted` bytes are out: no later message depends on the rest.
      const limit = Math.min(wanted, max + 1);
      const inputs = partial === null ? [] : partial.parts;
      let at = 0;
      for (let i = 0; i <= inputs.length; i++) {
        const last = i === inputs.length;
        at = last ? this.run(engine, data, start, end, at, limit) : this.run(engine, inputs[i]!, 0, inputs[i]!.length, at, limit);
        if (at >= limit) {
          if (limit <= max) return inflateOut.subarray(0, at);
          this.tooBig(at);
        }
        if (this.inputLeft > 0) this.dataAfterEnd();
      }
      at = this.run(engine, TAIL, 0, TAIL.length, at, limit);
      if (at > max) this.tooBig(at);
      // A stream that ended (BFINAL) inside the tail is fine: the next message starts afresh anyway.
      return inflateOut.subarray(0, at);
    }
    // Context takeover: every byte is inflated, in order, in this connection's own context.
    const engine = partial === null ? this.beginTakeover() : this.engine!;
    const before = partial === null ? 0 : partial.plainBytes;
    const room = max + 1 - before;
    let at = this.run(engine, data, start, end, 0, room);
    if (before + at > max) this.tooBig(before + at);
    if (this.inputLeft > 0) this.dataAfterEnd();
    at = this.run(engine, TAIL, 0, TAIL.length, at, room);
    if (before + at > max) this.tooBig(before + at);
    if (this.inputLeft > 0) this.streamEnded = true;
    if (partial === null || partial.parts.length === 0) return inflateOut.subarray(0, at);
    return Buffer.concat([...partial.parts, inflateOut.subarray(0, at)], before + at);
  }

  /** This connection's context at the start of a message. */
  private beginTakeover(): ZlibEngine {
    if (this.engine === null) this.engine = new ZlibEngine('inflate', this.params.windowBits);
    this.afterStreamEnd = this.streamEnded;
    if (this.streamEnded) {
      // zlib cannot go on after a final block: start a new stream. Messages that do not refer
      // back into the old window (a peer compressing each message as a whole stream) still work.
      this.engine.reset();
      this.streamEnded = false;
    }
    return this.engine;
  }

  /**
   * Inflates input[start, end) into inflateOut from `at`, growing it as needed but never past
   * `limit` bytes; returns the new end of the output and leaves the unconsumed input in `inputLeft`
   * (non-zero only when the DEFLATE stream ended or `limit` was reached).
   */
  private run(engine: ZlibEngine, input: Uint8Array, start: number, end: number, at: number, limit: number): number {
    let offset = start;
    let length = end - start;
    for (;;) {
      if (at >= limit) {
        this.inputLeft = length;
        return at;
      }
      if (at === inflateOut.length) {
        const grown = Buffer.allocUnsafe(Math.min(inflateOut.length * 2, Math.max(limit, INITIAL_OUTPUT)));
        inflateOut.copy(grown, 0, 0, at);
        inflateOut = grown;
      }
      const room = Math.min(inflateOut.length, limit) - at;
      const produced = engine.write(input, offset, length, inflateOut, at, room);
      if (produced < 0) this.invalid(engine.error);
      offset += length - engine.inputLeft;
      length = engine.inputLeft;
      at += produced;
      // Output space left over: zlib has taken all it could from this input.
      if (produced < room) {
        this.inputLeft = length;
        return at;
      }
    }
  }

  private invalid(reason: string): never {
    const why = this.afterStreamEnd
      ? ' (after the peer ended its DEFLATE stream with a final block, whose window cannot be carried over)'
      : '';
    throw this.fail('deflate.invalid-data', 1007, `invalid compressed message: ${reason}${why}`);
  }

  private dataAfterEnd(): never {
    throw this.fail('deflate.invalid-data', 1007, 'invalid compressed message: data after a final DEFLATE block');
  }

  private tooBig(bytes: number, what = 'inflated'): never {
    throw this.fail(
      'deflate.too-big',
      1009,
      `message exceeds the maximum payload: more than ${this.maxPayload} bytes ${what} (${bytes} so far)`,
    );
  }

  private fail(kind: DeflateErrorKind, closeCode: number, message: string): PerMessageDeflateError {
    const error = new PerMessageDeflateError(kind, closeCode, message);
    this.failure = error;
    this.partial = null;
    return error;
  }
}

/** Options of the send side. */
export interface DeflaterOptions extends DirectionParams {
  /** zlib level 0–9 (default 6, zlib's default, as `ws` uses). */
  level?: number;
  /** zlib memLevel 1–9 (default 8): hash table size, memory per context and per reset. */
  memLevel?: number;
}

/**
 * The send side of one connection (or, without context takeover, of any number of them). See the
 * module comment.
 */
export class MessageDeflater {
  /** Context takeover: this deflater's own context. Without: the process's shared one. */
  private engine: ZlibEngine | null = null;
  private closed = false;

  constructor(readonly options: DeflaterOptions) {
    checkWindowBits('windowBits', options.windowBits);
  }

  /**
   * Compresses data[start, end) as one message; returns the frame payload (without the
   * 00 00 ff ff tail), a view valid until the next deflate call in the process.
   */
  deflate(data: Uint8Array, start = 0, end = data.length): Buffer {
    if (this.closed) throw new WsbenchError('INTERNAL', 'permessage-deflate: deflater used after close()');
    // zlib emits nothing for an empty input right after a flush; an empty stored block is the
    // RFC's own encoding of an empty message and leaves the LZ77 window as it was.
    if (start === end) return EMPTY_DEFLATED;
    const { windowBits, level, memLevel, noContextTakeover } = this.options;
    let engine = this.engine;
    if (engine === null) {
      engine = noContextTakeover
        ? sharedEngine('deflate', windowBits, level, memLevel)
        : new ZlibEngine('deflate', windowBits, level, memLevel);
      this.engine = engine;
    }
    if (noContextTakeover) engine.reset();
    const length = end - start;
    // Room for incompressible data (5 bytes per stored block) and the flush; grown below if short.
    const bound = length + 5 * Math.ceil(length / 16384) + 64;
    if (deflateOut.length < bound) deflateOut = Buffer.allocUnsafe(Math.max(bound, deflateOut.length * 2));
    let at = 0;
    let offset = start;
    let left = length;
    for (;;) {
      const room = deflateOut.length - at;
      const produced = engine.write(data, offset, left, deflateOut, at, room);
      if (produced < 0) throw new WsbenchError('INTERNAL', `permessage-deflate: zlib failed to compress: ${engine.error}`);
      offset += left - engine.inputLeft;
      left = engine.inputLeft;
      at += produced;
      if (produced < room) break;
      const grown = Buffer.allocUnsafe(deflateOut.length * 2);
      deflateOut.copy(grown, 0, 0, at);
      deflateOut = grown;
    }
    // A sync flush always ends in an empty stored block; the RFC sends it without its last 4 bytes.
    if (at < TAIL.length || deflateOut.readUInt32BE(at - TAIL.length) !== 0x0000ffff) {
      throw new WsbenchError('INTERNAL', 'permessage-deflate: zlib output did not end with a sync flush');
    }
    return deflateOut.subarray(0, at - TAIL.length);
  }

  /** Frees this deflater's zlib context (a shared context stays for the others). */
  close(): void {
    this.closed = true;
    if (!this.options.noContextTakeover) this.engine?.close();
    this.engine = null;
  }
}
