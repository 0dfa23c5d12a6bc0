/**
 * Text and codes that come from the other end of a connection (close reasons, HTTP error bodies,
 * server messages, report files) are shown to a user only through here. A leaf module, so every
 * layer may use it.
 *
 * `inert` makes text unable to drive a terminal: C0 and C1 controls (ESC, CSI, OSC, BEL, CR…),
 * DEL, bidirectional overrides and line separators are shown as visible escapes (`\x1b`,
 * `\u202e`), so a hostile server cannot change the title, clear the screen, move the cursor,
 * reorder what is shown or fake a line. `closeCode` says what a close code means and whether a
 * peer may send it at all (RFC 6455 §7.4), so garbage is not presented as a close code.
 */

/** C0 controls, DEL, C1 controls, the bidi controls and the Unicode line/paragraph separators. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- as above, keeping \n and \t
const UNSAFE_EXCEPT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The text with every character that could drive a terminal shown as a visible escape. */
export function inert(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** Like `inert`, but newlines and tabs stay (for multi-line message bodies shown line by line). */
export function inertKeepingLines(text: string): string {
  return text.replace(UNSAFE_EXCEPT_LINES, escapeChar);
}

/** At most `max` characters of peer text, inert, with "…" when cut. */
export function peerSnippet(text: string, max = 200): string {
  const cut = text.length > max ? text.slice(0, max) + '…' : text;
  return inert(cut);
}

/**
 * JSON for files and streams a user may `cat`: JSON.stringify escapes C0 controls already; this
 * also escapes C1 controls, bidi controls and line separators (still valid JSON, same data).
 */
export function inertJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export interface CloseCodeInfo {
  code: number;
  /** May a peer send this code in a close frame (RFC 6455 §7.4)? */
  validOnWire: boolean;
  /** Short meaning, e.g. "normal closure", "private use", "not a valid close code". */
  meaning: string;
}

const DEFINED: Record<number, string> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'mandatory extension missing',
  1011: 'internal server error',
  1012: 'service restart',
  1013: 'try again later',
  1014: 'bad gateway',
};

/** Codes that only ever describe a close locally and never travel in a close frame (§7.4.1). */
const LOCAL_ONLY: Record<number, string> = {
  1005: 'no status code received',
  1006: 'closed without a close frame',
  1015: 'TLS handshake failure',
};

export function closeCode(code: number): CloseCodeInfo {
  const defined = DEFINED[code];
  if (defined) return { code, validOnWire: true, meaning: defined };
  const local = LOCAL_ONLY[code];
  if (local) return { code, validOnWire: false, meaning: local };
  if (code >= 3000 && code <= 3999) return { code, validOnWire: true, meaning: 'registered (library or framework)' };
  if (code >= 4000 && code <= 4999) return { code, validOnWire: true, meaning: 'private use (application)' };
  if (Number.isInteger(code) && code >= 1000 && code <= 2999)
    return { code, validOnWire: false, meaning: 'reserved, not a valid close code' };
  return { code, validOnWire: false, meaning: 'not a valid close code' };
}

/** `1008 (policy violation)`; for a code a peer may not send: `29202 (not a valid close code, RFC 6455 §7.4)`. */
export function describeCloseCode(code: number): string {
  const info = closeCode(code);
  return `${code} (${info.meaning}${info.validOnWire || LOCAL_ONLY[code] ? '' : ', RFC 6455 §7.4'})`;
}
