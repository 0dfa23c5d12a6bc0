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
 *   single frame:  `const plain = inflater.inflate(data, start, end, wanted?)`
 *   fragments:     `inflater.inflateFragment(data, start, end, fin, wanted?)` for every frame of the
 *                  message, null until `fin`, then the whole plaintext.
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
 * Costs (bench/deflate.ts, BENCHMARKS.md): zlib runs synchronously through the handle Node's own
 * sync functions use (`handle.writeSync`), so a context survives between messages without zlib's
 * async stream API and without a new zlib stream per message. With context takeover a connection
 * owns a zlib context for as long as it is open (inflate: ~7 KiB state + the window, 2^bits bytes;
 * deflate: much more); without it, every connection of the process shares one context per
 * direction and window size, reset per message, and costs nothing between messages.
 */
import { WsbenchError } from '../errors.js';

export const EXTENSION_NAME = 'permessage-deflate';
export const MIN_WINDOW_BITS = 8;
export const MAX_WINDOW_BITS = 15;

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
