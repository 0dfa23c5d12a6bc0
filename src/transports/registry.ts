/**
 * Every transport, by name: the one list a new transport is added to (see docs/architecture.md,
 * "Adding a transport"). The transport names of the scenario schema and of the report come from
 * here; the engine, the workers and the targets ask a transport's descriptor what they need.
 */
import { WsbenchError } from '../errors.js';
import type { TransportDescriptor } from './descriptor.js';
import { longpoll } from './longpoll.js';
import { poll } from './poll.js';
import { websocket } from './websocket.js';

export type { TransportSettings } from './descriptor.js';

/** Keys are the names scenarios and reports use; each descriptor's `name` is its key. */
export const TRANSPORTS = { websocket, longpoll, poll } as const satisfies Record<string, TransportDescriptor>;

export type TransportName = keyof typeof TRANSPORTS;

/** In the order a scenario's `transports` defaults and comparisons list them. */
export const TRANSPORT_NAMES = Object.keys(TRANSPORTS) as [TransportName, ...TransportName[]];

/** What a scenario runs when it does not say. */
export const DEFAULT_TRANSPORTS: TransportName[] = ['websocket'];

export function transportDescriptor(name: TransportName): TransportDescriptor {
  const descriptor: TransportDescriptor | undefined = TRANSPORTS[name];
  if (!descriptor) throw new WsbenchError('INTERNAL', `unknown transport "${String(name)}"`);
  return descriptor;
}
