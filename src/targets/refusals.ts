/**
 * What to say when no client could connect because the server answered the WebSocket handshake
 * with an HTTP error: the status tells where to look. 404 (and other statuses) is the path (each
 * adapter knows what it expected: PreparedTarget.connectHint); 400, 401 and 403 are the server refusing this client —
 * Origin checks (Django's AllowedHostsOriginValidator, Socket.IO's allowRequest) and
 * authentication — never the URL. Pure.
 */

const ORIGIN_OR_AUTH: Record<number, string> = {
  400: 'HTTP 400: the server refused the handshake request itself — a missing or disallowed Origin, missing authentication, or a handshake it does not expect (its log says which); set the headers it needs in target.headers (Origin, Cookie, Authorization)',
  401: 'HTTP 401: the server wants authentication — give it in target.headers (Authorization, a session Cookie) or the URL your app expects',
  403: 'HTTP 403: the server refused this client — usually an Origin check (send an Origin it allows: target.headers Origin, e.g. http://<its host>) or missing authentication (a session Cookie or Authorization in target.headers)',
};

/** The most frequent `connect.http-<status>` among `errors` decides the hint; undefined when none applies. */
export function handshakeRefusalHint(errors: Readonly<Record<string, number>>, pathHint: string | undefined): string | undefined {
  let top: { status: number; count: number } | null = null;
  for (const [kind, count] of Object.entries(errors)) {
    const m = /^connect\.http-(\d{3})$/.exec(kind);
    if (m && (!top || count > top.count)) top = { status: Number(m[1]), count };
  }
  if (!top) return undefined;
  return ORIGIN_OR_AUTH[top.status] ?? pathHint;
}
