/**
 * HTTP long-polling and interval polling against the reference server's /poll/<channel>
 * endpoint (src/server/poll-endpoint.ts; the answer's format is src/wire/poll-batch.ts). Each client has its own keep-alive connection,
 * like a browser tab would. Messages of one response share its receipt time: the time they spent
 * queued on the server and in the poll interval is latency, which is the point of the comparison.
 *
 *   longpoll  the next request goes out as soon as a response arrives; the server holds it until
 *             a message is there
 *   poll      one request every interval (at a per-client phase, so clients do not poll in
 *             lock-step); the server answers at once, often with nothing
 */
import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { DEFAULT_CLIENT_TLS, tlsConnectOptions, tlsFailure, tlsOutcomeOf } from './tls.js';
import { monotonicMs } from '../metrics/clock.js';
import { CURSOR_HEADER, MISSED_HEADER, decodePollBatch } from '../wire/poll-batch.js';
import { TransportError, type ConnectOptions, type TransportClient, type TransportEvents, type TransportFactory } from './transport.js';

export interface PollSettings {
  mode: 'longpoll' | 'poll';
  /** poll: time between requests. */
  intervalMs: number;
  /** longpoll: how long the server may hold a request. */
  holdMs: number;
}

/** Pause after a failed poll before the next, so a broken server is not hammered. */
const RETRY_AFTER_ERROR_MS = 250;

interface Response {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
  receivedAt: number;
}

export function pollTransport(settings: PollSettings): TransportFactory {
  return (options, events) => createPollClient(settings, options, events);
}

function createPollClient(settings: PollSettings, options: ConnectOptions, events: TransportEvents): TransportClient {
  const url = new URL(options.url);
  const secure = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const agentOptions = { keepAlive: true, maxSockets: 1, ...(options.localAddress ? { localAddress: options.localAddress } : {}) };
  // https: the agent keeps its connection's TLS session, as a browser would.
  const agent = secure
    ? new HttpsAgent({ ...agentOptions, ...tlsConnectOptions(options.tls ?? DEFAULT_CLIENT_TLS, host) })
    : new Agent(agentOptions);
  const send = secure ? httpsRequest : request;
  const sockets = new Set<Socket>();
  let requests = 0;
  let cursor = 0;
  let running = false;
  let inFlight: ClientRequest | null = null;
  let timer: NodeJS.Timeout | undefined;
  // Spread clients' poll phases over the interval (golden-ratio sequence: even and deterministic).
  const phase = ((options.clientIndex * 0.6180339887) % 1) * settings.intervalMs;

  function get(query: string, timeoutMs: number): Promise<Response> {
    return new Promise((resolve, reject) => {
      requests++;
      const req = send(
        {
          agent,
          host,
          port: url.port || (secure ? 443 : 80),
          path: `${url.pathname}${url.search ? `${url.search}&` : '?'}${query}`,
          method: 'GET',
          headers: { ...options.headers, accept: 'application/octet-stream' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
              receivedAt: monotonicMs(),
            }),
          );
          res.on('error', reject);
        },
      );
      inFlight = req;
      req.on('socket', (socket: Socket) => {
        if (sockets.has(socket)) return;
        sockets.add(socket);
        if (secure) socket.once('secureConnect', () => options.facts?.secured(tlsOutcomeOf(socket as TLSSocket)));
      });
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'timeout' })));
      req.on('error', reject);
      req.end();
    }).finally(() => (inFlight = null)) as Promise<Response>;
  }

  /** Handles one poll answer; returns false when it was an error. */
  function take(res: Response): boolean {
    if (res.status !== 200) {
      events.onError(`poll.http-${res.status}`, `HTTP ${res.status}: ${res.body.toString('utf8', 0, 200)}`);
      return false;
    }
    const next = Number(res.headers[CURSOR_HEADER]);
    if (!Number.isInteger(next)) {
      events.onError('poll.protocol', 'answer without an X-Wsbench-Cursor header: is this the wsbench reference server?');
      return false;
    }
    const missed = Number(res.headers[MISSED_HEADER] ?? 0);
    if (missed > 0)
      events.onError('poll.buffer-overflow', `${missed} message(s) left the server's poll buffer before this client asked`, missed);
    try {
      decodePollBatch(res.body, (data, start, end) => events.onMessage(data, start, end, res.receivedAt));
    } catch (e) {
      events.onError('poll.protocol', (e as Error).message);
      return false;
    }
    cursor = next;
    return true;
  }

  function failed(e: unknown): void {
    if (!running) return;
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    events.onError(`poll.${code}`, (e as Error).message);
  }

  async function longPollLoop(): Promise<void> {
    while (running) {
      try {
        const ok = take(await get(`after=${cursor}&timeout=${settings.holdMs}`, settings.holdMs + options.timeoutMs));
        if (!ok) await pause(RETRY_AFTER_ERROR_MS);
      } catch (e) {
        failed(e);
        await pause(RETRY_AFTER_ERROR_MS);
      }
    }
  }

  function schedulePoll(due: number): void {
    if (!running) return;
    timer = setTimeout(
      () => {
        // A poll still waiting for its answer at the next tick is not doubled up.
        if (!inFlight) {
          get(`after=${cursor}&timeout=0`, options.timeoutMs).then(take, failed);
        }
        schedulePoll(due + settings.intervalMs);
      },
      Math.max(0, due - monotonicMs()),
    );
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => (timer = setTimeout(resolve, ms)));
  }

  return {
    async open() {
      let res: Response;
      try {
        res = await get('', options.timeoutMs);
      } catch (e) {
        agent.destroy();
        const failure = secure ? tlsFailure(e as NodeJS.ErrnoException, `${host}:${url.port || 443}`) : null;
        if (failure) throw new TransportError(failure.kind, failure.message);
        const code = (e as NodeJS.ErrnoException).code ?? 'error';
        throw new TransportError(`connect.${code}`, (e as Error).message);
      }
      if (res.status !== 200 || !Number.isInteger(Number(res.headers[CURSOR_HEADER]))) {
        agent.destroy();
        throw new TransportError(
          `connect.http-${res.status}`,
          res.status === 200
            ? 'no X-Wsbench-Cursor header: not a wsbench polling endpoint'
            : `HTTP ${res.status}: ${res.body.toString('utf8', 0, 200)}`,
        );
      }
      cursor = Number(res.headers[CURSOR_HEADER]);
      running = true;
      if (settings.mode === 'longpoll') void longPollLoop();
      else schedulePoll(monotonicMs() + phase);
    },

    async close() {
      running = false;
      clearTimeout(timer);
      inFlight?.destroy();
      agent.destroy();
    },

    reset() {
      running = false;
      clearTimeout(timer);
      for (const s of sockets) if (!s.destroyed) s.resetAndDestroy();
      inFlight?.destroy();
      agent.destroy();
    },

    send() {
      throw new Error('polling transports cannot send messages to the server');
    },

    sendPayload() {
      return false;
    },

    bufferedAmount() {
      return 0;
    },

    wire() {
      let bytesIn = 0;
      let bytesOut = 0;
      for (const s of sockets) {
        bytesIn += s.bytesRead;
        bytesOut += s.bytesWritten;
      }
      return { bytesIn, bytesOut, requests };
    },
  };
}
