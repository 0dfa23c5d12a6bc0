/**
 * Every kind of target, by kind: the one list a new adapter is added to (see docs/architecture.md,
 * "Adding a target"). The scenario schema's `target` union and its rules, the preparation of a
 * target, and the rebuilding of client protocols (in workers) and injectors (on the publisher
 * thread) from their plain-data specs all look adapters up here.
 */
import { WsbenchError } from '../errors.js';
import type { RedisClient } from '../redis/client.js';
import { actioncable } from './actioncable.js';
import { builtin } from './builtin.js';
import { centrifugo } from './centrifugo.js';
import { channels } from './channels.js';
import {
  plainProtocol,
  type ClientProtocol,
  type ClientProtocolSpec,
  type ProtocolContext,
  type ProtocolDefinition,
} from './client-protocol.js';
import { publishInjector, type Injector, type InjectorDefinition, type InjectorSpec } from './injector.js';
import { raw } from './raw.js';
import { socketio } from './socketio.js';
import type { PreparedTarget, TargetAdapter, TargetContext } from './target.js';
import { ws4redis } from './ws4redis.js';

/** The target schemas as a tuple, so the scenario's `target` type is their exact union. */
export const TARGET_SCHEMAS = [
  builtin.schema,
  raw.schema,
  socketio.schema,
  channels.schema,
  actioncable.schema,
  ws4redis.schema,
  centrifugo.schema,
] as const;

const ADAPTERS: readonly TargetAdapter[] = [builtin, raw, socketio, channels, actioncable, ws4redis, centrifugo];

const byKind = new Map<string, TargetAdapter>(ADAPTERS.map((a) => [a.kind, a]));

/** The adapter of `kind` (the schema admits only registered kinds, so a miss is a bug). */
export function targetAdapter(kind: string): TargetAdapter {
  const adapter = byKind.get(kind);
  if (!adapter) throw new WsbenchError('INTERNAL', `no target adapter for kind "${kind}"`);
  return adapter;
}

/** Prepares the scenario's target (starting the reference server when the target is one). */
export async function prepareTarget(config: { kind: string }, ctx: TargetContext): Promise<PreparedTarget> {
  return targetAdapter(config.kind).prepare(config, ctx);
}

/** Definitions by kind; two adapters may share one (plain, publish), two different ones may not share a kind. */
function definitionsByKind<D extends { kind: string }>(what: string, base: readonly D[], lists: readonly (readonly D[] | undefined)[]) {
  const out = new Map<string, D>();
  for (const d of [...base, ...lists.flatMap((l) => l ?? [])]) {
    const known = out.get(d.kind);
    if (known && known !== d) throw new WsbenchError('INTERNAL', `two ${what} definitions of kind "${d.kind}"`);
    out.set(d.kind, d);
  }
  return out;
}

// Plain and publish are always there: polling clients speak plain whatever the target.
const protocols = definitionsByKind<ProtocolDefinition>(
  'client protocol',
  [plainProtocol],
  ADAPTERS.map((a) => a.clientProtocols),
);
const injectors = definitionsByKind<InjectorDefinition>(
  'injector',
  [publishInjector],
  ADAPTERS.map((a) => a.injectors),
);

/** Builds a client's protocol from its spec (in a worker). */
export function createClientProtocol<S extends ClientProtocolSpec>(spec: S, ctx: ProtocolContext): ClientProtocol {
  const definition = protocols.get(spec.kind);
  if (!definition) throw new WsbenchError('INTERNAL', `no client protocol of kind "${spec.kind}"`);
  return definition.create(spec, ctx);
}

/** Builds an injector from its spec (on the publisher thread, with its Redis connection). */
export function createInjector<S extends InjectorSpec>(spec: S, redis: RedisClient): Injector {
  const definition = injectors.get(spec.kind);
  if (!definition) throw new WsbenchError('INTERNAL', `no injector of kind "${spec.kind}"`);
  return definition.create(spec, redis);
}
