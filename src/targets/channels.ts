/**
 * Target `channels`: Django Channels apps with channels_redis 4 (daphne, uvicorn …). The URL and
 * any handshake are the app's own; a consumer method (e.g. `bench_message`) sends the event's
 * payload as a text frame. wsbench injects a group message exactly as `group_send` does for the
 * layer the app uses:
 *
 * - `pubsub` (RedisPubSubChannelLayer): PUBLISH `{prefix}__group__{group}` msgpack(message).
 * - `groups` (RedisChannelLayer, the default): the group is a ZSET `{prefix}:group:{group}` of member
 *   channel names `specific.{client_prefix}!{hex}`; each member's process reads the ZSET
 *   `{prefix}specific.{client_prefix}!`. Per such key: drop messages older than `expiry`, and if
 *   fewer than `capacity` are queued ZADD `<12 random bytes ‖ msgpack(message + __asgi_channel__)>`
 *   scored with the time in seconds and EXPIRE the key; above capacity the message is dropped
 *   silently (channels_redis only logs it). One EVAL does all of it atomically and returns how
 *   many members were reached and how many were dropped, so drops become counted errors.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { Encoder } from '@msgpack/msgpack';
import { headers, publicHeaders, stackReadiness, wsUrlTemplate } from '../config/fields.js';
import { numsub } from '../redis/client.js';
import { plainProtocol } from './client-protocol.js';
import { countIssue, defineInjector, type InjectorIssues, type InjectorSpec } from './injector.js';
import { clientsPerKey, pollUntilReady, waitForClientSignal } from './readiness.js';
import { fillTemplate } from './template.js';
import { defineTarget } from './target.js';

const KIND = 'channels';

const schema = z
  .strictObject({
    kind: z.literal(KIND),
    url: wsUrlTemplate.describe("Your app's WebSocket URL for a group, e.g. ws://127.0.0.1:8000/ws/bench/{channel}/"),
    layer: z
      .enum(['groups', 'pubsub'])
      .default('groups')
      .describe('channels_redis layer of the app: groups (RedisChannelLayer, the default) or pubsub (RedisPubSubChannelLayer).'),
    prefix: z.string().default('asgi').describe('channels_redis `prefix` option.'),
    group: z.string().min(1).max(99).default('{channel}').describe('Group the consumer joins ({channel} is filled).'),
    messageType: z
      .string()
      .min(1)
      .default('bench.message')
      .describe('Event type: bench.message calls the consumer method bench_message (an unknown type kills the consumer).'),
    field: z.string().min(1).default('payload').describe('Event key holding the payload, which the consumer sends as a text frame.'),
    capacity: z
      .number()
      .int()
      .min(1)
      .default(100)
      .describe('channels_redis `capacity` (groups layer): above it group messages are dropped (counted as channels.capacity errors).'),
    expiry: z.number().int().min(1).default(60).describe('channels_redis `expiry` in seconds (groups layer).'),
    groupExpiry: z.number().int().min(1).default(86400).describe('channels_redis `group_expiry` in seconds (groups layer).'),
    readyMessage: z
      .string()
      .optional()
      .describe(
        'Exact text your consumer sends after group_add ({channel}, {client} filled): each client is ready when it arrives. Without it readiness is ZCARD of the group (groups layer) or NUMSUB ≥ 1 (pubsub layer; then set readiness.settle).',
      ),
    send: z.array(z.string()).default([]).describe('Text messages each client sends right after the connection opens.'),
    ignore: z.array(z.string()).default([]).describe('Messages to ignore exactly as received.'),
    headers,
    publicHeaders,
    subprotocols: z.array(z.string()).default([]).describe('WebSocket subprotocols to offer.'),
    readiness: stackReadiness.prefault({}),
  })
  .describe('Django Channels with channels_redis 4: group messages injected as group_send does.');

export interface ChannelsPubsubInjectorSpec extends InjectorSpec {
  kind: 'channels-pubsub';
  /** `{prefix}__group__{group}` per scenario channel. */
  channels: string[];
  messageType: string;
  field: string;
}

export interface ChannelsGroupsInjectorSpec extends InjectorSpec {
  kind: 'channels-groups';
  prefix: string;
  /** Group name per scenario channel. */
  groups: string[];
  messageType: string;
  field: string;
  capacity: number;
  /** Seconds a queued message lives (channels_redis `expiry`). */
  expiry: number;
  /** Seconds a group membership lives (channels_redis `group_expiry`). */
  groupExpiry: number;
}

export function pubsubGroupChannel(prefix: string, group: string): string {
  return `${prefix}__group__${group}`;
}

export function groupKey(prefix: string, group: string): string {
  return `${prefix}:group:${group}`;
}

/** The key a member channel's messages are queued in: `specific.abc!def` → `{prefix}specific.abc!`. */
export function channelKey(prefix: string, channel: string): string {
  const bang = channel.indexOf('!');
  return prefix + (bang >= 0 ? channel.slice(0, bang + 1) : channel);
}

/** The event a consumer gets: `{type, <field>: payload}` (type `bench.message` → method `bench_message`). */
export function channelsEvent(messageType: string, field: string, payload: string): Record<string, unknown> {
  return { type: messageType, [field]: payload };
}

/**
 * group_send of channels_redis 4.0 (RedisChannelLayer) as one script.
 * KEYS[1] group key. ARGV: now (float seconds), group_expiry, expiry, capacity, prefix,
 * 12 random bytes, message type, payload field, payload.
 * Returns {members reached, members dropped over capacity, keys over capacity}.
 */
export const GROUP_SEND_LUA = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, math.floor(now) - tonumber(ARGV[2]))
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local expiry = tonumber(ARGV[3])
local capacity = tonumber(ARGV[4])
local prefix = ARGV[5]
local order, byKey = {}, {}
for _, channel in ipairs(members) do
  local bang = string.find(channel, '!', 1, true)
  local key = prefix .. (bang and string.sub(channel, 1, bang) or channel)
  local list = byKey[key]
  if not list then
    list = {}
    byKey[key] = list
    order[#order + 1] = key
  end
  list[#list + 1] = channel
end
local reached, dropped, keysOver = 0, 0, 0
for _, key in ipairs(order) do
  local list = byKey[key]
  redis.call('ZREMRANGEBYSCORE', key, 0, math.floor(now) - expiry)
  if redis.call('ZCOUNT', key, '-inf', '+inf') < capacity then
    local message = {}
    message['type'] = ARGV[7]
    message[ARGV[8]] = ARGV[9]
    message['__asgi_channel__'] = list
    redis.call('ZADD', key, now, ARGV[6] .. cmsgpack.pack(message))
    redis.call('EXPIRE', key, expiry)
    reached = reached + #list
  else
    dropped = dropped + #list
    keysOver = keysOver + 1
  end
end
return {reached, dropped, keysOver}
`;

export const channelsPubsubInjector = defineInjector<ChannelsPubsubInjectorSpec>('channels-pubsub', (spec, redis) => {
  const encoder = new Encoder();
  return {
    inject(channel, payload) {
      const packed = encoder.encode(channelsEvent(spec.messageType, spec.field, payload.toString('latin1')));
      // Receivers are server processes subscribed to the group, not clients.
      return redis.publish(spec.channels[channel]!, Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength));
    },
  };
});

export const channelsGroupsInjector = defineInjector<ChannelsGroupsInjectorSpec>('channels-groups', (spec, redis) => {
  const issues: InjectorIssues = {};
  const keys = spec.groups.map((g) => groupKey(spec.prefix, g));
  redis.defineCommand('wsbenchChannelsGroupSend', { numberOfKeys: 1, lua: GROUP_SEND_LUA });
  const groupSend = (redis as unknown as Record<string, (...args: (string | number | Buffer)[]) => Promise<[number, number, number]>>)[
    'wsbenchChannelsGroupSend'
  ]!.bind(redis);
  // Scores order a process queue (BZPOPMIN): publishes of one burst must not share a score, or
  // their random prefixes would order them. channels_redis uses time.time() (µs); so do we, kept
  // strictly increasing.
  let last = 0;
  return {
    issues,
    async inject(channel, payload) {
      const now = (last = Math.max((performance.timeOrigin + performance.now()) / 1000, last + 0.000001));
      const [reached, dropped, keysOver] = await groupSend(
        keys[channel]!,
        now.toFixed(6),
        spec.groupExpiry,
        spec.expiry,
        spec.capacity,
        spec.prefix,
        randomBytes(12),
        spec.messageType,
        spec.field,
        payload,
      );
      if (dropped > 0) {
        countIssue(
          issues,
          'channels.capacity',
          dropped,
          `channels_redis dropped a group message for ${dropped} member(s) in ${keysOver} channel key(s) at capacity ${spec.capacity} (the consumers' process reads too slowly; channels_redis drops these silently)`,
        );
      }
      return reached;
    },
  };
});

export const channels = defineTarget({
  kind: KIND,
  schema,
  textOnly: true,
  defaultEncoding: 'text',
  pollEndpoint: false,
  startsServer: () => false,
  clientProtocols: [plainProtocol],
  injectors: [channelsPubsubInjector, channelsGroupsInjector],

  prepare(config, ctx) {
    const groups = ctx.channelNames.map((name) => fillTemplate(config.group, name, 0));
    const pubsub = config.layer === 'pubsub';
    const pubsubChannels = groups.map((g) => pubsubGroupChannel(config.prefix, g));
    const { timeout, settle } = config.readiness;
    return {
      describe: `${KIND} (${config.layer} layer) ${config.url}`,
      urlTemplate: config.url,
      connectHint: `the ${KIND} adapter connects to ${config.url}: set target.url to the path your app's websocket routing serves`,
      clientProtocol: {
        kind: 'plain',
        sendAfterOpen: config.send,
        ignore: config.ignore,
        ...(config.readyMessage === undefined ? {} : { readyMessage: config.readyMessage }),
      },
      injector: pubsub
        ? ({
            kind: 'channels-pubsub',
            channels: pubsubChannels,
            messageType: config.messageType,
            field: config.field,
          } satisfies ChannelsPubsubInjectorSpec)
        : ({
            kind: 'channels-groups',
            prefix: config.prefix,
            groups,
            messageType: config.messageType,
            field: config.field,
            capacity: config.capacity,
            expiry: config.expiry,
            groupExpiry: config.groupExpiry,
          } satisfies ChannelsGroupsInjectorSpec),
      headers: config.headers,
      subprotocols: config.subprotocols,
      maxPayload: 256 * 1024 * 1024,
      settleMs: settle,
      async waitReady(ready) {
        if (config.readyMessage !== undefined) {
          await waitForClientSignal(ready, timeout, `sent the ready message ${JSON.stringify(config.readyMessage)}`, KIND);
        }
        await pollUntilReady(
          async () => {
            if (pubsub) {
              // The pub/sub layer subscribes once per server process: at least one per group.
              const counts = await numsub(ready.redis, [...new Set(pubsubChannels)]);
              for (let c = 0; c < pubsubChannels.length; c++) {
                if ((ready.openedPerChannel[c] ?? 0) > 0 && (counts.get(pubsubChannels[c]!) ?? 0) < 1) {
                  return `PUBSUB NUMSUB ${pubsubChannels[c]} = 0: no server process joined group "${groups[c]}"`;
                }
              }
              return null;
            }
            // The groups layer: every connected client's channel is a member of the group ZSET.
            for (const [group, clients] of clientsPerKey(groups, ready.openedPerChannel)) {
              if (clients === 0) continue;
              const have = Number(await ready.redis.zcard(groupKey(config.prefix, group)));
              if (have < clients)
                return `ZCARD ${groupKey(config.prefix, group)} = ${have}, waiting for ${clients} (one member per client)`;
            }
            return null;
          },
          timeout,
          ready.signal,
          `${KIND} target`,
        );
      },
      stop: async () => {},
    };
  },
});
