/**
 * Target `ws4redis`: django-websocket-redis. One Redis subscription per WebSocket, payloads
 * relayed verbatim as one text frame, an optional heartbeat string, and a replay of the last
 * message on connect (the publisher SETEXes it under the channel's name): replayed messages from
 * earlier runs carry another run id and are counted as ignored, never as data.
 *
 * URL `{base}{WEBSOCKET_URL}{facility}?subscribe-{audience}`; Redis channel
 * `{WS4REDIS_PREFIX}:{audience}[:{who}]:{facility}` (no prefix part when unset).
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { headers, publicHeaders, stackReadiness, wsUrlTemplate } from '../config/fields.js';
import { numsub } from '../redis/client.js';
import { plainProtocol } from './client-protocol.js';
import { defineInjector, type InjectorSpec } from './injector.js';
import { clientsPerKey, pollUntilReady, unobservedReadyMs } from './readiness.js';
import { fillTemplate } from './template.js';
import { VERBATIM_UPSTREAM, defineTarget, type TargetConfigOf } from './target.js';

const KIND = 'ws4redis';

const schema = z
  .strictObject({
    kind: z.literal(KIND),
    url: wsUrlTemplate.describe('Base URL of the Django site, e.g. ws://127.0.0.1:8000'),
    websocketUrl: z.string().default('/ws/').describe('WEBSOCKET_URL setting.'),
    facility: z.string().min(1).default('{channel}').describe('Facility name ({channel} filled).'),
    audience: z
      .enum(['broadcast', 'user', 'group', 'session'])
      .default('broadcast')
      .describe('Which subscribe-* flag the clients use and which Redis channel is published to.'),
    who: z
      .string()
      .optional()
      .describe(
        "Username, group name or session key for the user/group/session audiences (the clients need that session's cookie in headers).",
      ),
    prefix: z.string().default('').describe('WS4REDIS_PREFIX.'),
    expire: z
      .number()
      .int()
      .min(0)
      .default(3600)
      .describe('WS4REDIS_EXPIRE: the message is also SETEX-ed this long and replayed to new connections (0 = not).'),
    heartbeat: z.string().optional().describe('WS4REDIS_HEARTBEAT string, ignored when received.'),
    echo: z
      .boolean()
      .default(false)
      .describe(
        'Add the echo flag to the URL (with publish.via websocket it is always added: without it ws4redis withholds from a sender its own latest message).',
      ),
    headers,
    publicHeaders,
    readiness: stackReadiness.prefault({}),
  })
  .describe('django-websocket-redis: one Redis subscription per client (ready by NUMSUB), payloads relayed verbatim.');

export type Ws4redisAudience = TargetConfigOf<typeof schema>['audience'];

export interface Ws4redisInjectorSpec extends InjectorSpec {
  kind: typeof KIND;
  channels: string[];
  /** SETEX the message under its channel name for this many seconds (WS4REDIS_EXPIRE; 0 = not). */
  expire: number;
}

/**
 * `ws://host` + `/ws/` + facility + `?subscribe-broadcast` (facility stays a {channel} template);
 * with `publish`, also `&publish-<audience>`: what a client sends is published to the same facility.
 */
export function ws4redisUrl(
  base: string,
  websocketUrl: string,
  facility: string,
  audience: Ws4redisAudience,
  echo: boolean,
  publish = false,
): string {
  const root = base.replace(/\/+$/, '');
  const path = '/' + websocketUrl.replace(/^\/+/, '').replace(/\/*$/, '/');
  return `${root}${path}${facility}?subscribe-${audience}${publish ? `&publish-${audience}` : ''}${echo ? '&echo' : ''}`;
}

/** The Redis channel RedisPublisher uses for one facility and audience. */
export function ws4redisChannel(prefix: string, audience: Ws4redisAudience, who: string | undefined, facility: string): string {
  const p = prefix ? `${prefix}:` : '';
  if (audience === 'broadcast') return `${p}broadcast:${facility}`;
  // The scenario's rule (check below) refuses this before anything starts.
  if (!who) throw new ConfigError(`audience ${audience} needs who (the ${audience} the messages are addressed to)`, { key: 'target.who' });
  return `${p}${audience}:${who}:${facility}`;
}

export const ws4redisInjector = defineInjector<Ws4redisInjectorSpec>(KIND, (spec, redis) => ({
  inject(channel, payload) {
    const name = spec.channels[channel]!;
    const receivers = redis.publish(name, payload);
    if (spec.expire === 0) return receivers;
    // RedisPublisher.publish_message keeps the last message for replay to new connections.
    return Promise.all([receivers, redis.setex(name, spec.expire, payload)]).then(([n]) => n);
  },
}));

export const ws4redis = defineTarget({
  kind: KIND,
  schema,
  textOnly: true,
  defaultEncoding: 'text',
  pollEndpoint: false,
  startsServer: () => false,
  clientProtocols: [plainProtocol],
  injectors: [ws4redisInjector],

  check(config) {
    if (config.audience !== 'broadcast' && !config.who)
      return [{ path: ['who'], message: `audience ${config.audience} needs who (the ${config.audience} the messages are addressed to)` }];
    return [];
  },

  prepare(config, ctx) {
    const facilities = ctx.channelNames.map((name) => fillTemplate(config.facility, name, 0));
    const channels = facilities.map((f) => ws4redisChannel(config.prefix, config.audience, config.who, f));
    // Senders publish into their facility (publish-<audience>) and get their own message back as
    // every member does (echo): ws4redis otherwise withholds a message equal to the last one the
    // client sent, which is its own.
    const clientsSend = ctx.publishVia === 'websocket';
    const urlTemplate = ws4redisUrl(
      config.url,
      config.websocketUrl,
      config.facility,
      config.audience,
      config.echo || clientsSend,
      clientsSend,
    );
    const { timeout, settle } = config.readiness;
    return {
      describe: `${KIND} ${urlTemplate}`,
      urlTemplate,
      connectHint: `the ${KIND} adapter expects django-websocket-redis at WEBSOCKET_URL ${config.websocketUrl} (target.websocketUrl)`,
      clientProtocol: { kind: 'plain', sendAfterOpen: [], ignore: config.heartbeat === undefined ? [] : [config.heartbeat] },
      injector: { kind: KIND, channels, expire: config.expire } satisfies Ws4redisInjectorSpec,
      // What a client sends on its connection is published as it is (RedisPublisher.publish_message).
      upstream: VERBATIM_UPSTREAM,
      headers: config.headers,
      subprotocols: [],
      maxPayload: 256 * 1024 * 1024,
      settleMs: settle,
      // Subscribed in Redis after the upgrade, which no client can see.
      readyDelayMs: unobservedReadyMs(settle),
      async waitReady({ redis, openedPerChannel, signal }) {
        // One Redis subscription per WebSocket: NUMSUB reaches the clients on that channel.
        await pollUntilReady(
          async () => {
            const counts = await numsub(redis, [...new Set(channels)]);
            for (const [channel, clients] of clientsPerKey(channels, openedPerChannel)) {
              const have = counts.get(channel) ?? 0;
              if (have < clients) return `PUBSUB NUMSUB ${channel} = ${have}, waiting for ${clients} (one subscription per client)`;
            }
            return null;
          },
          timeout,
          signal,
          `${KIND} target`,
        );
      },
      stop: async () => {},
    };
  },
});
