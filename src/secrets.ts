/**
 * Secrets never reach an output: every report, log line and error that may carry a URL, a header
 * or a scenario goes through here first. A leaf module, so every layer may use it.
 */

const SECRET_KEY = /pass(word)?|secret|token|auth|cookie|api[-_]?key/i;

/** Deep copy with passwords in URLs and secret-looking keys replaced by "***". */
export function redactSecrets(value: unknown): unknown {
  if (typeof value === 'string') return redactUrlPassword(value);
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && typeof v === 'string' ? '***' : redactSecrets(v);
    return out;
  }
  return value;
}

export function redactUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/i, (_, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon >= 0 ? `${scheme}${userinfo.slice(0, colon)}:***@` : `${scheme}${userinfo}@`;
  });
}
