/**
 * Transport `longpoll`: HTTP long-polling on the target's polling endpoint; the server holds each
 * request until something is new or `polling.longPollTimeout` passes.
 */
import type { TransportDescriptor } from './descriptor.js';
import { pollTransport } from './http-poll.js';

export const longpoll: TransportDescriptor = {
  name: 'longpoll',
  needsPollEndpoint: true,
  usesTargetProtocol: false,
  readsSlowly: false,
  serverStatsCountClients: false,
  // A held request answers as soon as a message is there: any drain collects the last ones.
  minimumDrain: () => null,
  clientFactory: (settings) => pollTransport({ mode: 'longpoll', intervalMs: settings.pollIntervalMs, holdMs: settings.longPollHoldMs }),
  // Allocates per message (an HTTP response each): V8's default young generation.
  workerExecArgv: () => [],
};
