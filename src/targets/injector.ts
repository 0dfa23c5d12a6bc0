/**
 * How a published payload enters the target's stack through Redis, exactly as the stack's own
 * publisher does it. Targets describe it as plain data (a spec: it travels to the publisher
 * thread), which rebuilds it through the registry from the definition with the spec's kind, on
 * the thread's Redis connection.
 *
 * Shared pieces only (no adapter is imported here): the interfaces and the plain PUBLISH injector.
 */
import type { RedisClient } from '../redis/client.js';
import type { StackErrorKind } from '../results/error-kinds.js';

/** An injector as plain data: `kind` names its definition, the rest is the definition's own. */
export interface InjectorSpec {
  readonly kind: string;
}

/** Problems a stack reports without failing the publish: error kind → count and one sample. */
export type InjectorIssues = Partial<Record<StackErrorKind, { count: number; sample: string }>>;

export interface Injector {
  /**
   * Delivers `payload` for scenario channel `channel`. Resolves with the number of receivers
   * Redis reported (0 = nobody was subscribed), or -1 when the stack does not say.
   */
  inject(channel: number, payload: Buffer): Promise<number>;
  /**
   * What the stack dropped or refused while accepting the publish (channels_redis drops a group
   * message silently for a member whose queue is at capacity); reported as counted errors.
   */
  readonly issues?: InjectorIssues;
}

export type InjectorFactory<S extends InjectorSpec = InjectorSpec> = (spec: S, redis: RedisClient) => Injector;

/**
 * An injector kind and how the publisher thread builds it from its spec. The registry looks
 * definitions up by the spec's kind, so `create` only ever sees specs of its own kind.
 */
export interface InjectorDefinition<S extends InjectorSpec = InjectorSpec> {
  readonly kind: S['kind'];
  create(spec: S, redis: RedisClient): Injector;
}

export function defineInjector<S extends InjectorSpec>(kind: S['kind'], create: InjectorFactory<S>): InjectorDefinition<S> {
  return { kind, create };
}

/** Counts one issue of `kind` into `issues`. */
export function countIssue(issues: InjectorIssues, kind: StackErrorKind, count: number, sample: string): void {
  const entry = (issues[kind] ??= { count: 0, sample });
  entry.count += count;
}

/** PUBLISH the payload unchanged to one Redis channel per scenario channel. */
export interface PublishInjectorSpec extends InjectorSpec {
  kind: 'publish';
  /** Redis channel for each scenario channel index. */
  channels: string[];
}

export const publishInjector = defineInjector<PublishInjectorSpec>('publish', (spec, redis) => ({
  inject: (channel, payload) => redis.publish(spec.channels[channel]!, payload),
}));
