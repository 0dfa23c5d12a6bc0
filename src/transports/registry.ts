/** Transport name → factory. The one place a new client transport is plugged in. */
import { WsbenchError } from '../errors.js';
import type { TransportName } from '../report/types.js';
import type { TransportFactory } from './transport.js';
import { createWebSocketClient } from './websocket.js';

export function transportFactory(name: TransportName): TransportFactory {
  switch (name) {
    case 'websocket':
      return createWebSocketClient;
    default:
      throw new WsbenchError('CONFIG', `transport "${name}" is not available yet`);
  }
}
