/**
 * Transport `poll`: one request per client every `polling.interval` on the target's polling
 * endpoint; the server answers at once with what is new.
 */
import type { TransportDescriptor } from './descriptor.js';
import { pollTransport } from './http-poll.js';

/** After the last publish, one more poll must still come: a full interval, and this much for it to answer. */
const LAST_POLL_MARGIN_MS = 500;

export const poll: TransportDescriptor = {
  name: 'poll',
  needsPollEndpoint: true,
  usesTargetProtocol: false,
  readsSlowly: false,
  serverStatsCountClients: false,
  minimumDrain: (settings) => ({
    ms: settings.pollIntervalMs + LAST_POLL_MARGIN_MS,
    reason: 'interval polling (one poll interval + 500 ms)',
  }),
  clientFactory: (settings) => pollTransport({ mode: 'poll', intervalMs: settings.pollIntervalMs, holdMs: 0 }),
  // Allocates per message (an HTTP response each): V8's default young generation.
  workerExecArgv: () => [],
};
