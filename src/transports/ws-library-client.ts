/**
 * The WebSocket client on the `ws` library (`clients.wsClient: ws`): the conformance baseline the
 * fast client is checked against. permessage-deflate off, UTF-8 validation skipped (the pool reads
 * bytes).
 */
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { monotonicMs } from '../metrics/clock.js';
import { ConnectAttempt, type ConnectOptions, type TransportClient, type TransportEvents } from './transport.js';

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
        try {
          ws = new WebSocket(options.url, options.subprotocols, {
            headers: options.headers,
            perMessageDeflate: false,
            skipUTF8Validation: true,
            maxPayload: options.maxPayload,
            followRedirects: false,
            ...(options.localAddress ? { localAddress: options.localAddress } : {}),
          });
        } catch (e) {
          fail('connect.invalid-url', (e as Error).message);
          return;
        }
        const client = ws;
        requests++;
        client.on('message', (data: Buffer) => events.onMessage(data, 0, data.length, monotonicMs()));
        // The upgrade response carries the TCP socket whose counters give the bytes on the wire.
        client.once('upgrade', (res) => (socket = res.socket as Socket));
        client.once('open', () => {
          if (attempt.settled) return;
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
          if (!opened) fail(`connect.${e.code ?? 'error'}`, e.message);
          else lastError = e.message;
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
