/** Transport name → factory. The one place a new client transport is plugged in. */
import { WsbenchError } from '../errors.js';
import type { TransportName } from '../results/types.js';
import type { TransportFactory } from './transport.js';
import { createWebSocketClient } from './websocket.js';
import { pollTransport } from './http-poll.js';
import { createFastWebSocketClient } from './fast-websocket/client.js';

export interface TransportSettings {
  /** WebSocket client: the fast in-place frame parser, or the `ws` library (conformance). */
  websocketClient: 'fast' | 'ws';
  /** poll: time between requests. */
  pollIntervalMs: number;
  /** longpoll: how long the server may hold a request. */
  longPollHoldMs: number;
}

export function transportFactory(name: TransportName, settings: TransportSettings): TransportFactory {
  switch (name) {
    case 'websocket':
      return settings.websocketClient === 'ws' ? createWebSocketClient : createFastWebSocketClient;
    case 'longpoll':
      return pollTransport({ mode: 'longpoll', intervalMs: settings.pollIntervalMs, holdMs: settings.longPollHoldMs });
    case 'poll':
      return pollTransport({ mode: 'poll', intervalMs: settings.pollIntervalMs, holdMs: 0 });
    default:
      throw new WsbenchError('INTERNAL', `unknown transport "${String(name)}"`);
  }
}
