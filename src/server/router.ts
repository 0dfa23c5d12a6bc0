/**
 * The reference server's routes, for plain requests and for upgrade requests alike:
 *
 *   GET /ws/<channel>      (upgrade) WebSocket feed of the channel       → websocket-endpoint.ts
 *   GET /ws?channels=a,b   (upgrade) one WebSocket fed by several channels (names URL-encoded,
 *                          comma-separated: a comma inside a name is %2C)
 *   GET /poll/<channel>    long-polling and interval polling             → poll-endpoint.ts
 *   GET /healthz           200 when every process's Redis subscriber is connected, 503 otherwise
 *   GET /stats             JSON ServerStats (reference-server.ts): per channel, clients and whether its
 *                          subscription is live
 *
 * Channel names are percent-decoded; a name that does not decode is a 400.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { messageOf } from '../errors.js';
import { rejectUpgrade, sendJson } from './http-replies.js';
import type { PollEndpoint } from './poll-endpoint.js';
import type { WebSocketEndpoint } from './websocket-endpoint.js';

const WS_PATH = /^\/ws\/([^/?#]+)$/;
const POLL_PATH = /^\/poll\/([^/?#]+)$/;
const ROUTES = ['/ws/<channel>', '/ws?channels=<a>,<b>', '/poll/<channel>?after=<cursor>', '/healthz', '/stats'];

/** What /healthz reads of the server's stats (ServerStats); /stats sends the whole object. */
export interface HealthFigures {
  /** Server processes the figures cover. */
  processes: number;
  /** Processes whose Redis subscriber is connected. */
  redisConnected: number;
}

export interface RouterEndpoints {
  websocket: WebSocketEndpoint;
  poll: PollEndpoint;
  /** What /stats and /healthz report (this process's own figures, or the whole cluster's). */
  stats: () => Promise<HealthFigures>;
}

/**
 * The channels of `/ws?channels=a,b,c`: the raw value split at its commas, then each name
 * percent-decoded (so %2C is a comma inside a name); duplicates once. A string when it is unusable.
 */
export function channelsOfQuery(queryText: string): string[] | string {
  const raw = queryText
    .split('&')
    .find((p) => p.startsWith('channels='))
    ?.slice('channels='.length);
  if (raw === undefined || raw === '') return 'WebSocket path must be /ws/<channel> or /ws?channels=<a>,<b>';
  const names = new Set<string>();
  for (const part of raw.split(',')) {
    const name = channelName(part);
    if (name === null) return 'bad channel name encoding';
    if (name === '') return 'empty channel name in channels=';
    names.add(name);
  }
  return [...names];
}

/** The channel name of a path's last segment; null when its percent-encoding is broken. */
function channelName(encoded: string): string | null {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return null;
  }
}

export class Router {
  constructor(private readonly endpoints: RouterEndpoints) {}

  /** node:http 'request' listener. */
  request(req: IncomingMessage, res: ServerResponse): void {
    const [path = '/', queryText = ''] = (req.url ?? '/').split('?', 2);
    const poll = req.method === 'GET' ? POLL_PATH.exec(path) : null;
    if (poll) {
      const name = channelName(poll[1]!);
      if (name === null) return sendJson(res, 400, { error: 'bad channel name encoding' });
      this.endpoints.poll.handle(res, name, new URLSearchParams(queryText)).catch((e) => {
        if (!res.headersSent) sendJson(res, 503, { error: `subscribe failed: ${messageOf(e)}` });
        else res.destroy();
      });
    } else if (req.method === 'GET' && path === '/healthz') {
      this.endpoints.stats().then(
        (s) => {
          const ok = s.redisConnected === s.processes;
          sendJson(res, ok ? 200 : 503, {
            ok,
            redis: ok ? 'connected' : 'disconnected',
            ...(s.processes > 1 ? { processes: s.processes, redisConnected: s.redisConnected } : {}),
          });
        },
        (e) => sendJson(res, 503, { ok: false, error: messageOf(e) }),
      );
    } else if (req.method === 'GET' && path === '/stats') {
      this.endpoints.stats().then(
        (s) => sendJson(res, 200, s),
        (e) => sendJson(res, 503, { error: messageOf(e) }),
      );
    } else {
      sendJson(res, 404, { error: 'not found', routes: ROUTES });
    }
  }

  /** node:http 'upgrade' listener. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const [path = '', queryText = ''] = (req.url ?? '').split('?', 2);
    if (path === '/ws') {
      const names = channelsOfQuery(queryText);
      if (typeof names === 'string') return rejectUpgrade(socket, 400, 'Bad Request', `${names}\n`);
      return this.endpoints.websocket.accept(req, socket, head, names);
    }
    const match = WS_PATH.exec(path);
    if (!match) return rejectUpgrade(socket, 404, 'Not Found', 'WebSocket path must be /ws/<channel> or /ws?channels=<a>,<b>\n');
    const name = channelName(match[1]!);
    if (name === null) return rejectUpgrade(socket, 400, 'Bad Request', 'bad channel name encoding\n');
    this.endpoints.websocket.accept(req, socket, head, [name]);
  }
}
