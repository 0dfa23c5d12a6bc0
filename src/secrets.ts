/**
 * Secrets never reach an output. This module holds every redaction rule; a leaf, so every layer
 * may use it. Three rules, applied together:
 *
 *  1. By structure, where a scenario (or the console's flags) is known: every header value
 *     (unless the header is listed in `publicHeaders`), every value under a secret-looking key
 *     (password, secret, token, auth, cookie, api key, session, credential) becomes "***".
 *  2. By pattern, in any text: the password of every URL's userinfo (`scheme://user:***@host`;
 *     a userinfo without a colon, which may be a token, entirely: `scheme://***@host`), anywhere
 *     in the text, and every query value of every URL (`?token=***`). The user name stays: it
 *     says which account failed and is not a secret. Template
 *     placeholders (`{channel}`, `{client}`) are kept: they are not secrets and say where a value
 *     goes.
 *  3. By value: the secrets found by rules 1 and 2 in the scenario or flags of this process are
 *     remembered, and any text that carries one of them (a server echoing a token in an error
 *     body, a header value in an exception) has it replaced wherever it appears. Values shorter
 *     than MIN_REMEMBERED_LENGTH are not remembered (replacing "1" everywhere would destroy the
 *     output); rules 1 and 2 still cover them.
 *
 * Outputs apply `redactText` (lines) or `redactDeep` (reports, events) just before writing.
 */

export const REDACTED = '***';

/**
 * Keys whose values are secrets wherever they appear in a scenario: the key ends in one of these
 * words (`apiKey`, `token`, `auth`, `password` — but not `apiKeyHeader`, which names a header).
 */
const SECRET_KEY = /(pass(word|phrase)?|secret|token|auth|cookie|api[-_]?key|session|credentials?|private[-_]?key|jwt)$/i;

export const MIN_REMEMBERED_LENGTH = 4;

/** Secret values seen by this process (scenario, flags), longest first when applied. */
const remembered = new Set<string>();
let rememberedSorted: string[] = [];

export function rememberSecrets(values: Iterable<string>): void {
  let added = false;
  for (const v of values) {
    if (v.length < MIN_REMEMBERED_LENGTH || v === REDACTED || remembered.has(v)) continue;
    remembered.add(v);
    added = true;
  }
  // Longest first, so a secret that contains another is replaced whole.
  if (added) rememberedSorted = [...remembered].sort((a, b) => b.length - a.length);
}

/** Forgets what `rememberSecrets` collected (a new command in the same process starts clean). */
export function forgetSecrets(): void {
  remembered.clear();
  rememberedSorted = [];
}

/** scheme://[userinfo@]authority[path][?query] anywhere in text; stops at whitespace and quotes. */
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'`<>]*@)?([^\s/?#"'`<>]*)([^\s?#"'`<>]*)(\?[^\s#"'`<>]*)?/gi;
const PLACEHOLDERS_ONLY = /^(\{(channel|client)\})+$/;

function redactQuery(query: string): string {
  return (
    '?' +
    query
      .slice(1)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 0) return pair;
        const value = pair.slice(eq + 1);
        return value === '' || PLACEHOLDERS_ONLY.test(value) ? pair : `${pair.slice(0, eq + 1)}${REDACTED}`;
      })
      .join('&')
  );
}

/** `user:pass@` → `user:***@`; `token@` → `***@`. */
function redactUserinfo(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  return colon >= 0 ? `${userinfo.slice(0, colon)}:${REDACTED}@` : `${REDACTED}@`;
}

/** Rules 2 and 3 on one piece of text. */
export function redactText(text: string): string {
  let out = text.includes('://')
    ? text.replace(
        URL_IN_TEXT,
        (_m, scheme: string, userinfo: string | undefined, host: string, path: string, query: string | undefined) =>
          `${scheme}${userinfo ? redactUserinfo(userinfo) : ''}${host}${path}${query ? redactQuery(query) : ''}`,
      )
    : text;
  for (const secret of rememberedSorted) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** A copy with every string passed through `redactText` (objects that did not change are kept as they are). */
export function redactDeep<T>(value: T): T {
  return mapStrings(value, redactText) as T;
}

/**
 * Encoded HdrHistograms (base64 of compressed bytes, under keys such as `histogram`, `histograms`,
 * `recipientHistograms`) are data, not text: a remembered secret of a few characters occurs in
 * a long one by chance, and replacing it would make the report unreadable. Base64 strings at or
 * below such a key are kept as they are; any other string there is text and is mapped.
 */
const ENCODED_DATA_KEY = /histograms?$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A copy with `fn` applied to every string (encoded histograms excepted); objects where nothing changed are kept as they are. */
export function mapStrings(value: unknown, fn: (text: string) => string, underEncodedKey = false): unknown {
  if (typeof value === 'string') return underEncodedKey && BASE64.test(value) ? value : fn(value);
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((v) => {
      const m = mapStrings(v, fn, underEncodedKey);
      if (m !== v) changed = true;
      return m;
    });
    return changed ? out : value;
  }
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const m = mapStrings(v, fn, underEncodedKey || ENCODED_DATA_KEY.test(k));
      if (m !== v) changed = true;
      out[k] = m;
    }
    return changed ? out : value;
  }
  return value;
}

/** The secret parts of a URL: the password of its userinfo (all of a userinfo without a colon) and its query values. */
export function secretsInUrl(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(URL_IN_TEXT)) {
    const userinfo = m[2]?.slice(0, -1);
    if (userinfo) {
      const colon = userinfo.indexOf(':');
      const secret = colon >= 0 ? userinfo.slice(colon + 1) : userinfo;
      if (secret !== '') out.push(secret);
      try {
        const decoded = decodeURIComponent(secret);
        if (decoded !== secret) out.push(decoded);
      } catch {
        // not percent-encoded
      }
    }
    for (const pair of (m[5] ?? '').slice(1).split('&')) {
      const eq = pair.indexOf('=');
      const v = eq >= 0 ? pair.slice(eq + 1) : '';
      if (v !== '' && !PLACEHOLDERS_ONLY.test(v)) out.push(v);
    }
  }
  return out;
}

/**
 * Rule 1 on a scenario (raw, after flags): the redacted copy for the report, and the secret
 * values found (to remember). Headers are secret unless named in a sibling `publicHeaders` list
 * (case-insensitive); values under secret-looking keys are secret whole (objects included).
 */
export function redactScenario(raw: unknown): { redacted: unknown; secrets: string[] } {
  const secrets: string[] = [];
  const collectAll = (v: unknown): unknown => {
    if (typeof v === 'string') {
      secrets.push(v);
      return REDACTED;
    }
    if (typeof v === 'number' || typeof v === 'boolean') {
      secrets.push(String(v));
      return REDACTED;
    }
    if (Array.isArray(v)) return v.map(collectAll);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, collectAll(x)]));
    return v;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (v.includes('://')) secrets.push(...secretsInUrl(v));
      return redactText(v);
    }
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const obj = v as Record<string, unknown>;
    const publicHeaders = new Set(
      (Array.isArray(obj['publicHeaders']) ? obj['publicHeaders'] : []).filter((h) => typeof h === 'string').map((h) => h.toLowerCase()),
    );
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(obj)) {
      if (k === 'headers' && x && typeof x === 'object' && !Array.isArray(x)) {
        out[k] = Object.fromEntries(
          Object.entries(x).map(([name, value]) => [name, publicHeaders.has(name.toLowerCase()) ? walk(value) : collectAll(value)]),
        );
      } else if (k === 'query' && x && typeof x === 'object' && !Array.isArray(x)) {
        // Query parameters of a handshake (Socket.IO `query`): secret like a URL's query values.
        out[k] = Object.fromEntries(
          Object.entries(x).map(([name, value]) => [
            name,
            typeof value === 'string' && (value === '' || PLACEHOLDERS_ONLY.test(value)) ? value : collectAll(value),
          ]),
        );
      } else if (SECRET_KEY.test(k) && x !== null && x !== undefined && x !== '') {
        out[k] = collectAll(x);
      } else {
        out[k] = walk(x);
      }
    }
    return out;
  };
  const redacted = walk(raw);
  return { redacted, secrets: secrets.filter((s) => s !== '' && s !== REDACTED) };
}

/** Deep copy with secrets redacted (rules 1 and 2), for anything shaped like a scenario. */
export function redactSecrets(value: unknown): unknown {
  return redactScenario(value).redacted;
}
