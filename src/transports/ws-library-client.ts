/**
 * The WebSocket client on the `ws` library (`clients.wsClient: ws`): the conformance baseline the
 * fast client is checked against. permessage-deflate as the scenario says (`ws` negotiates and
 * inflates it), the same TLS settings and session cache as the fast client, UTF-8 validation
 * skipped (the pool reads bytes).
 */
import type { Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import WebSocket, { type PerMessageDeflateOptions } from 'ws';
import { monotonicMs } from '../metrics/clock.js';
import { MAX_WINDOW_BITS, type DeflateOffer } from '../wire/permessage-deflate.js';
import { describeDeflateParams } from './compression.js';
import { DEFAULT_CLIENT_TLS, cachedSession, rememberSessions, sessionKey, tlsConnectOptions, tlsFailure, tlsOutcomeOf } from './tls.js';
import { ReadPacer } from './read-throttle.js';
import { ConnectAttempt, type ConnectOptions, type TransportClient, type TransportEvents } from './transport.js';

/** The scenario's offer as `ws` takes it. */
function wsDeflateOffer(offer: DeflateOffer): PerMessageDeflateOptions {
  return {
    ...(offer.serverNoContextTakeover ? { serverNoContextTakeover: true } : {}),
    ...(offer.clientNoContextTakeover ? { clientNoContextTakeover: true } : {}),
    ...(offer.serverMaxWindowBits !== undefined ? { serverMaxWindowBits: offer.serverMaxWindowBits } : {}),
    // `ws` takes true (offer the parameter without a value) although its types say number.
    clientMaxWindowBits: (offer.clientMaxWindowBits ?? true) as number,
  };
}

/** What `ws` agreed for permessage-deflate, as the report names it (null when not negotiated). */
function negotiatedDeflate(ws: WebSocket): string | null {
  const ext = (ws as unknown as { _extensions?: Record<string, { params?: Record<string, unknown> | null }> })._extensions;
  const params = ext?.['permessage-deflate']?.params;
  if (!params) return null;
  const bits = (v: unknown) => (typeof v === 'number' ? v : MAX_WINDOW_BITS);
  return describeDeflateParams({
    serverNoContextTakeover: params.server_no_context_takeover === true,
    clientNoContextTakeover: params.client_no_context_takeover === true,
    serverMaxWindowBits: bits(params.server_max_window_bits),
    clientMaxWindowBits: bits(params.client_max_window_bits),
  });
}

export function createWebSocketClient(options: ConnectOptions, events: TransportEvents): TransportClient {
  let ws: WebSocket | null = null;
  let opened = false;
  let socket: Socket | null = null;
  let requests = 0;

  return {
    open() {
      return new Promise<void>((resolve, reject) => {
        const attempt = new ConnectAttempt(options.timeoutMs, () => ws?.terminate(), resolve, reject);
        const fail = (kind: string, message: string) => attempt.fail(kind, message);
        const compression = options.compression;
        const tls = options.tls ?? DEFAULT_CLIENT_TLS;
        let where = '';
        try {
          const url = new URL(options.url);
          const host = url.hostname.replace(/^\[|\]$/g, '');
          where = `${host}:${url.port || (url.protocol === 'wss:' ? 443 : 80)}`;
          const resume = tls.resumeSessions ? sessionKey(host, Number(url.port || 443), host) : null;
          ws = new WebSocket(options.url, options.subprotocols, {
            headers: options.headers,
            perMessageDeflate: compression && compression.mode !== 'off' ? wsDeflateOffer(compression.offer) : false,
            skipUTF8Validation: true,
            maxPayload: options.maxPayload,
            followRedirects: false,
            ...(options.localAddress ? { localAddress: options.localAddress } : {}),
            ...(url.protocol === 'wss:' ? tlsConnectOptions(tls, host) : {}),
            // TLS through the worker's session cache, counted like the fast client's.
            createConnection:
              url.protocol === 'wss:'
                ? (o: ConnectionOptions) => {
                    const session = resume === null ? undefined : cachedSession(resume);
                    const socket = tlsConnect({ ...o, ...(session ? { session } : {}) });
                    if (resume !== null) rememberSessions(socket, resume);
                    socket.once('secureConnect', () => options.facts?.secured(tlsOutcomeOf(socket)));
                    return socket as TLSSocket;
                  }
                : undefined,
          } as WebSocket.ClientOptions);
        } catch (e) {
          fail('connect.invalid-url', (e as Error).message);
          return;
        }
        const client = ws;
        requests++;
        const pacer = options.readThrottle ? new ReadPacer(options.readThrottle) : null;
        let paced = 0;
        client.on('message', (data: Buffer) => {
          const at = monotonicMs();
          events.onMessage(data, 0, data.length, at);
          if (pacer === null || !socket || client.isPaused) return;
          // A slow reader: `ws` pauses its socket (what was read already may still come as events).
          const wait = pacer.afterRead(socket.bytesRead - paced, at);
          paced = socket.bytesRead;
          if (wait <= 0) return;
          client.pause();
          setTimeout(() => client.readyState === WebSocket.OPEN && client.resume(), wait).unref();
        });
        // The upgrade response carries the TCP socket whose counters give the bytes on the wire.
        client.once('upgrade', (res) => {
          socket = res.socket as Socket;
          paced = socket.bytesRead;
        });
        client.once('open', () => {
          if (attempt.settled) return;
          const deflate = negotiatedDeflate(client);
          if (compression?.mode === 'require' && deflate === null) {
            fail('connect.compression-declined', 'server did not accept permessage-deflate, which compression: require needs');
            return;
          }
          if (deflate !== null) options.facts?.compressed(deflate);
          opened = true;
          attempt.succeed();
        });
        client.on('unexpected-response', (_req, res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (body.length < 200) body += chunk;
          });
          res.on('end', () =>
            fail(
              `connect.http-${res.statusCode}`,
              `HTTP ${res.statusCode} ${res.statusMessage ?? ''}: ${body.replace(/\s+/g, ' ').trim().slice(0, 200)}`.trim(),
            ),
          );
          res.on('error', () => fail(`connect.http-${res.statusCode}`, `HTTP ${res.statusCode}`));
          // If the server never ends the body, do not wait for the whole timeout.
          setTimeout(() => fail(`connect.http-${res.statusCode}`, `HTTP ${res.statusCode} ${body.trim().slice(0, 200)}`), 1000).unref();
        });
        // After the open, an error (an invalid frame, a bad close code) explains the close that follows.
        let lastError: string | undefined;
        client.on('error', (e: NodeJS.ErrnoException) => {
          if (opened) {
            lastError = e.message;
            return;
          }
          const failure = where.length > 0 && options.url.startsWith('wss:') ? tlsFailure(e, where) : null;
          if (failure) fail(failure.kind, failure.message);
          else fail(`connect.${e.code ?? 'error'}`, e.message);
        });
        client.on('close', (code, reason) => {
          if (!opened) {
            fail(`connect.closed-${code}`, `closed during handshake (${code})`);
            return;
          }
          events.onClose(code, reason.toString() || lastError || '', code !== 1006);
        });
      });
    },

    close() {
      return new Promise<void>((resolve) => {
        const client = ws;
        if (!client || client.readyState === WebSocket.CLOSED) return resolve();
        const timer = setTimeout(() => {
          client.terminate();
          resolve();
        }, 1000);
        client.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        if (client.readyState === WebSocket.CONNECTING) client.terminate();
        else client.close(1000, 'wsbench done');
      });
    },

    reset() {
      // The TCP socket under the WebSocket (known once upgraded): reset it; before that, terminate.
      if (socket && !socket.destroyed) socket.resetAndDestroy();
      else ws?.terminate();
    },

    send(text) {
      if (ws?.readyState === WebSocket.OPEN) ws.send(text);
    },

    sendPayload(payload, binary) {
      if (ws?.readyState !== WebSocket.OPEN) return false;
      ws.send(payload, { binary });
      return true;
    },

    bufferedAmount() {
      return ws?.bufferedAmount ?? 0;
    },

    wire() {
      return { bytesIn: socket?.bytesRead ?? 0, bytesOut: socket?.bytesWritten ?? 0, requests };
    },
  };
}
