/**
 * Target `ws4redis`: django-websocket-redis. One Redis subscription per WebSocket, payloads
 * relayed verbatim as one text frame, an optional heartbeat string, and a replay of the last
 * message on connect (the publisher SETEXes it under the channel's name): replayed messages from
 * earlier runs carry another run id and are counted as ignored, never as data.
 *
 * URL `{base}{WEBSOCKET_URL}{facility}?subscribe-{audience}`; Redis channel
 * `{WS4REDIS_PREFIX}:{audience}[:{who}]:{facility}` (no prefix part when unset).
 */
import type { Scenario } from '../config/resolve.js';
import { numsub, type RedisClient } from '../redis/client.js';
import { fillTemplate } from './template.js';
import type { Injector } from './injector.js';
import { pollUntilReady, type PreparedTarget } from './target.js';

type Ws4redisConfig = Extract<Scenario['target'], { kind: 'ws4redis' }>;
export type Ws4redisAudience = Ws4redisConfig['audience'];

export interface Ws4redisInjectorSpec {
  kind: 'ws4redis';
  channels: string[];
  /** SETEX the message under its channel name for this many seconds (WS4REDIS_EXPIRE; 0 = not). */
  expire: number;
}

/** `ws://host` + `/ws/` + facility + `?subscribe-broadcast` (facility stays a {channel} template). */
export function ws4redisUrl(base: string, websocketUrl: string, facility: string, audience: Ws4redisAudience, echo: boolean): string {
  const root = base.replace(/\/+$/, '');
  const path = '/' + websocketUrl.replace(/^\/+/, '').replace(/\/*$/, '/');
  return `${root}${path}${facility}?subscribe-${audience}${echo ? '&echo' : ''}`;
}

/** The Redis channel RedisPublisher uses for one facility and audience. */
export function ws4redisChannel(prefix: string, audience: Ws4redisAudience, who: string | undefined, facility: string): string {
  const p = prefix ? `${prefix}:` : '';
  if (audience === 'broadcast') return `${p}broadcast:${facility}`;
  if (!who)
    throw new Error(`ws4redis audience "${audience}" needs the ${audience === 'session' ? 'session key' : audience} it is addressed to`);
  return `${p}${audience}:${who}:${facility}`;
}

export function createWs4redisInjector(spec: Ws4redisInjectorSpec, redis: RedisClient): Injector {
  return {
    inject(channel, payload) {
      const name = spec.channels[channel]!;
      const receivers = redis.publish(name, payload);
      if (spec.expire === 0) return receivers;
      // RedisPublisher.publish_message keeps the last message for replay to new connections.
      return Promise.all([receivers, redis.setex(name, spec.expire, payload)]).then(([n]) => n);
    },
  };
}

export function prepareWs4redisTarget(config: Ws4redisConfig, scenario: Scenario): PreparedTarget {
  const facilities = scenario.channelNames.map((name) => fillTemplate(config.facility, name, 0));
  const channels = facilities.map((f) => ws4redisChannel(config.prefix, config.audience, config.who, f));
  const urlTemplate = ws4redisUrl(config.url, config.websocketUrl, config.facility, config.audience, config.echo);
  const { timeout, settle } = config.readiness;
  return {
    describe: `ws4redis ${urlTemplate}`,
    urlTemplate,
    connectHint: `the ws4redis adapter expects django-websocket-redis at WEBSOCKET_URL ${config.websocketUrl} (target.websocketUrl)`,
    clientProtocol: { kind: 'plain', sendAfterOpen: [], ignore: config.heartbeat === undefined ? [] : [config.heartbeat] },
    injector: { kind: 'ws4redis', channels, expire: config.expire },
    headers: config.headers,
    subprotocols: [],
    maxPayload: 256 * 1024 * 1024,
    async waitReady({ redis, openedPerChannel, signal }) {
      // One Redis subscription per WebSocket: NUMSUB reaches the clients on that channel.
      await pollUntilReady(
        async () => {
          const counts = await numsub(redis, [...new Set(channels)]);
          const want = new Map<string, number>();
          for (let c = 0; c < channels.length; c++) want.set(channels[c]!, (want.get(channels[c]!) ?? 0) + (openedPerChannel[c] ?? 0));
          for (const [channel, clients] of want) {
            const have = counts.get(channel) ?? 0;
            if (have < clients) return `PUBSUB NUMSUB ${channel} = ${have}, waiting for ${clients} (one subscription per client)`;
          }
          return null;
        },
        timeout,
        signal,
        'ws4redis target',
      );
      if (settle > 0 && !signal.aborted) await new Promise((r) => setTimeout(r, settle));
    },
    stop: async () => {},
  };
}
