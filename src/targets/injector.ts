/**
 * How a published payload enters the target's stack through Redis, exactly as the stack's own
 * publisher does it. Targets describe it as plain data (it travels to the publisher thread);
 * createInjector builds it there on the thread's Redis connection.
 */
import type { RedisClient } from '../redis/client.js';

/** PUBLISH the payload unchanged to one Redis channel per scenario channel. */
export interface PublishInjectorSpec {
  kind: 'publish';
  /** Redis channel for each scenario channel index. */
  channels: string[];
}

export type InjectorSpec = PublishInjectorSpec;

export interface Injector {
  /**
   * Delivers `payload` for scenario channel `channel`. Resolves with the number of receivers
   * Redis reported (0 = nobody was subscribed), or -1 when the stack does not say.
   */
  inject(channel: number, payload: Buffer): Promise<number>;
}

export function createInjector(spec: InjectorSpec, redis: RedisClient): Injector {
  switch (spec.kind) {
    case 'publish':
      return { inject: (channel, payload) => redis.publish(spec.channels[channel]!, payload) };
  }
}
