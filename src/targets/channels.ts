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
 *   many members were reached and how many were dropped (and in which keys), so drops become
 *   counted errors. A group whose members were all dropped still had members: that is no
 *   "publish.no-subscriber".
 *
 * Members left in a group by a process that is gone (a crashed daphne: channels_redis keeps them
 * for group_expiry, a day by default) still get every group message; their queue fills to capacity
 * and stays there. Members present before this run started are remembered when the target is
 * prepared: readiness counts only the members this run added, and drops into a queue that holds
 * only such members are counted as `channels.stale-members`, not blamed on slow readers.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { Encoder } from '@msgpack/msgpack';
import { headers, publicHeaders, stackReadiness, wsUrlTemplate } from '../config/fields.js';
import { numsub, type RedisClient } from '../redis/client.js';
import { plainProtocol } from './client-protocol.js';
import { countIssue, defineInjector, type InjectorIssues, type InjectorSpec } from './injector.js';
import { clientsPerKey, pollUntilReady, unobservedReadyMs, waitForClientSignal } from './readiness.js';
import { fillTemplate } from './template.js';
import { defineTarget } from './target.js';
import { PAYLOAD_SLOT, jsonTemplate, textTemplateIssues } from './upstream.js';

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
    sendType: z
      .string()
      .min(1)
      .default('bench.send')
      .describe(
        'publish.via websocket: a sender sends {"type":"<sendType>","<field>":"WSB1…"}; your consumer\'s receive() group_sends it to its group as {"type":"<messageType>","<field>":…}.',
      ),
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
  /** Members of the groups before this run started (left by earlier processes, maybe gone). */
  preexisting: string[];
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

/** A sender's message, `{"type":"<sendType>","<field>":"{payload}"}`, as a template: the consumer group_sends it. */
export function sendTemplate(sendType: string, field: string): string {
  return jsonTemplate({ type: sendType, [field]: PAYLOAD_SLOT });
}

/** The event a consumer gets: `{type, <field>: payload}` (type `bench.message` → method `bench_message`). */
export function channelsEvent(messageType: string, field: string, payload: string): Record<string, unknown> {
  return { type: messageType, [field]: payload };
}

/**
 * group_send of channels_redis 4.0 (RedisChannelLayer) as one script.
 * KEYS[1] group key. ARGV: now (float seconds), group_expiry, expiry, capacity, prefix,
 * 12 random bytes, message type, payload field, payload.
 * Returns {members reached, members dropped over capacity, keys over capacity, each key over
 * capacity and the members it dropped for, …}.
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
local over = {}
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
    over[#over + 1] = key
    over[#over + 1] = #list
  end
end
local out = {reached, dropped, keysOver}
for _, v in ipairs(over) do out[#out + 1] = v end
return out
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
  const groupSend = (redis as unknown as Record<string, (...args: (string | number | Buffer)[]) => Promise<(number | string)[]>>)[
    'wsbenchChannelsGroupSend'
  ]!.bind(redis);
  const stale = staleKeyCheck(spec, redis);
  // Scores order a process queue (BZPOPMIN): publishes of one burst must not share a score, or
  // their random prefixes would order them. channels_redis uses time.time() (µs); so do we, kept
  // strictly increasing.
  let last = 0;
  return {
    issues,
    async inject(channel, payload) {
      const now = (last = Math.max((performance.timeOrigin + performance.now()) / 1000, last + 0.000001));
      const [reached, dropped, , ...over] = (await groupSend(
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
      )) as [number, number, number, ...(string | number)[]];
      for (let k = 0; k + 1 < over.length; k += 2) {
        const key = String(over[k]);
        const members = Number(over[k + 1]);
        if (await stale(keys[channel]!, key)) {
          countIssue(
            issues,
            'channels.stale-members',
            members,
            `channels_redis dropped a group message for ${members} member(s) of queue ${key}, at capacity ${spec.capacity}, whose members were all in the group before this run: left by a process that is gone? (channels_redis keeps members for group_expiry, ${spec.groupExpiry} s; not this run's clients, so no loss of this run)`,
          );
        } else {
          countIssue(
            issues,
            'channels.capacity',
            members,
            `channels_redis dropped a group message for ${members} member(s) in queue ${key} at capacity ${spec.capacity} (the process reading that queue is behind; channels_redis drops these silently)`,
          );
        }
      }
      // Members reached or dropped for capacity: the group had members (0 only when it had none).
      return reached + dropped;
    },
  };
});

/**
 * Whether a process queue over capacity holds only members from before this run (decided once per
 * queue, from the group's members when the queue is first seen over capacity).
 */
function staleKeyCheck(spec: ChannelsGroupsInjectorSpec, redis: RedisClient): (group: string, key: string) => Promise<boolean> {
  const preexisting = new Set(spec.preexisting);
  const verdicts = new Map<string, Promise<boolean>>();
  return (group, key) => {
    if (preexisting.size === 0) return Promise.resolve(false);
    let verdict = verdicts.get(key);
    if (!verdict) {
      verdict = redis
        .zrange(group, 0, -1)
        .then((members) => {
          const inKey = members.filter((m) => channelKey(spec.prefix, m) === key);
          return inKey.length > 0 && inKey.every((m) => preexisting.has(m));
        })
        .catch(() => false);
      verdicts.set(key, verdict);
    }
    return verdict;
  };
}

export const channels = defineTarget({
  kind: KIND,
  schema,
  textOnly: true,
  defaultEncoding: 'text',
  pollEndpoint: false,
  startsServer: () => false,
  // A consumer that joins several groups, named in its URL ({channels}).
  severalChannelsPerConnection: true,
  clientProtocols: [plainProtocol],
  injectors: [channelsPubsubInjector, channelsGroupsInjector],
  check(config, scenario) {
    const issues = textTemplateIssues(sendTemplate(config.sendType, config.field), ['sendType'], scenario);
    if (scenario.channelsPerClient > 1 && !config.url.includes('{channels}'))
      issues.push({
        path: ['url'],
        message:
          'clients in several channels: the URL must name them for your consumer to group_add each, e.g. ws://host/ws/bench/?groups={channels} (comma-separated)',
      });
    return issues;
  },

  async prepare(config, ctx) {
    const groups = ctx.channelNames.map((name) => fillTemplate(config.group, name, 0));
    const pubsub = config.layer === 'pubsub';
    // Members already in the groups: not this run's, whatever readiness and drops say later.
    const preexisting = new Set<string>();
    if (!pubsub && ctx.redis)
      for (const group of new Set(groups))
        for (const m of await ctx.redis.zrange(groupKey(config.prefix, group), 0, -1)) preexisting.add(m);
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
            preexisting: [...preexisting],
          } satisfies ChannelsGroupsInjectorSpec),
      upstream: { template: sendTemplate(config.sendType, config.field) },
      headers: config.headers,
      subprotocols: config.subprotocols,
      maxPayload: 256 * 1024 * 1024,
      settleMs: settle,
      // The ready message says so; without it only Redis knows.
      readyDelayMs: config.readyMessage === undefined ? unobservedReadyMs(settle) : 0,
      async waitReady(ready) {
        if (config.readyMessage !== undefined) {
          const example = fillTemplate(config.readyMessage, ready.channelNames[0] ?? '', 0);
          await waitForClientSignal(
            ready,
            timeout,
            `sent the ready message (target.readyMessage, e.g. ${JSON.stringify(example)} for channel ${ready.channelNames[0]})`,
            KIND,
          );
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
            // Only members this run added count: stale ones must not make it look ready.
            for (const [group, clients] of clientsPerKey(groups, ready.openedPerChannel)) {
              if (clients === 0) continue;
              const key = groupKey(config.prefix, group);
              const members = preexisting.size === 0 ? null : await ready.redis.zrange(key, 0, -1);
              const have = members ? members.filter((m) => !preexisting.has(m)).length : Number(await ready.redis.zcard(key));
              const old = members ? members.length - have : 0;
              if (have < clients)
                return `${key} has ${have} member(s) added by this run, waiting for ${clients} (one per client)${old ? `; ${old} member(s) from before this run are not counted` : ''}`;
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
