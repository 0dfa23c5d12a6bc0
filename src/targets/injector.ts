/**
 * How a published payload enters the target's stack through Redis, exactly as the stack's own
 * publisher does it. Targets describe it as plain data (it travels to the publisher thread);
 * createInjector builds it there on the thread's Redis connection.
 */
import type { RedisClient } from '../redis/client.js';
import { createSocketioInjector, type SocketioInjectorSpec } from './socketio.js';
import {
  createChannelsGroupsInjector,
  createChannelsPubsubInjector,
  type ChannelsGroupsInjectorSpec,
  type ChannelsPubsubInjectorSpec,
} from './channels.js';
import { createWs4redisInjector, type Ws4redisInjectorSpec } from './ws4redis.js';
import { createPublishJsonInjector, type PublishJsonInjectorSpec } from './actioncable.js';
import { createCentrifugoInjector, type CentrifugoInjectorSpec } from './centrifugo.js';

/** PUBLISH the payload unchanged to one Redis channel per scenario channel. */
export interface PublishInjectorSpec {
  kind: 'publish';
  /** Redis channel for each scenario channel index. */
  channels: string[];
}

export type InjectorSpec =
  | PublishInjectorSpec
  | PublishJsonInjectorSpec
  | SocketioInjectorSpec
  | ChannelsPubsubInjectorSpec
  | ChannelsGroupsInjectorSpec
  | Ws4redisInjectorSpec
  | CentrifugoInjectorSpec;

/** Problems a stack reports without failing the publish: error kind → count and one sample. */
export type InjectorIssues = Record<string, { count: number; sample: string }>;

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

/** Counts one issue of `kind` into `issues`. */
export function countIssue(issues: InjectorIssues, kind: string, count: number, sample: string): void {
  const entry = (issues[kind] ??= { count: 0, sample });
  entry.count += count;
}

export function createInjector(spec: InjectorSpec, redis: RedisClient): Injector {
  switch (spec.kind) {
    case 'publish':
      return { inject: (channel, payload) => redis.publish(spec.channels[channel]!, payload) };
    case 'publish-json':
      return createPublishJsonInjector(spec, redis);
    case 'socketio':
      return createSocketioInjector(spec, redis);
    case 'channels-pubsub':
      return createChannelsPubsubInjector(spec, redis);
    case 'channels-groups':
      return createChannelsGroupsInjector(spec, redis);
    case 'ws4redis':
      return createWs4redisInjector(spec, redis);
    case 'centrifugo':
      return createCentrifugoInjector(spec);
  }
}
