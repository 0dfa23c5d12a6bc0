/**
 * Target `raw`: any WebSocket server that relays a Redis channel's payloads verbatim (e.g.
 * django-websocket-redis). Readiness by PUBSUB NUMSUB on the channels wsbench publishes to.
 */
import { z } from 'zod';
import { duration, headerMap, positiveDuration, publicHeaders, wsUrlTemplate } from '../config/fields.js';
import { numsub } from '../redis/client.js';
import { plainProtocol } from './client-protocol.js';
import { publishInjector } from './injector.js';
import { clientsPerKey, pollUntilReady, unobservedReadyMs } from './readiness.js';
import { fillTemplate } from './template.js';
import { defineTarget } from './target.js';
import { textTemplateIssues } from './upstream.js';

const readiness = z
  .strictObject({
    numsub: z
      .union([z.literal('per-client'), z.number().int().min(0)])
      .default('per-client')
      .describe(
        'Ready when PUBSUB NUMSUB of each channel reaches this: "per-client" (one Redis subscriber per connection, as ws4redis) or a fixed minimum per channel (0 = do not check).',
      ),
    timeout: positiveDuration().default(10_000).describe('Give up waiting for readiness after this long.'),
    settle: duration().default(0).describe('Extra wait after readiness, before the first publish.'),
  })
  .describe('How wsbench knows every client is subscribed before the first publish.');

const schema = z
  .strictObject({
    kind: z.literal('raw'),
    url: wsUrlTemplate,
    redisChannel: z
      .string()
      .min(1)
      .default('{channel}')
      .describe('Redis channel to PUBLISH to for a scenario channel; {channel} is replaced, e.g. "broadcast:{channel}".'),
    send: z.array(z.string()).default([]).describe('Text messages each client sends right after the connection opens.'),
    ignore: z.array(z.string()).default([]).describe('Messages to ignore exactly as received, e.g. heartbeat strings.'),
    publishMessage: z
      .string()
      .refine((t) => t.includes('{payload}'), { message: 'must contain {payload} (where the stamped payload goes)' })
      .default('{payload}')
      .describe(
        'publish.via websocket: what a sender sends for the app to publish to its channel: {payload} is the stamped payload, {channel} and {client} the sender\'s, e.g. \'{"type":"say","text":"{payload}"}\' (anything but {payload} alone needs publish.encoding text).',
      ),
    headers: headerMap.default({}).describe('Extra HTTP headers for the WebSocket handshake.'),
    publicHeaders,
    subprotocols: z.array(z.string()).default([]).describe('WebSocket subprotocols to offer.'),
    readiness: readiness.prefault({}),
  })
  .describe('Any WebSocket server that relays a Redis channel’s payloads verbatim.');

export const raw = defineTarget({
  kind: 'raw',
  schema,
  textOnly: false,
  defaultEncoding: 'text',
  pollEndpoint: false,
  startsServer: () => false,
  clientProtocols: [plainProtocol],
  injectors: [publishInjector],

  check: (config, scenario) => textTemplateIssues(config.publishMessage, ['publishMessage'], scenario),

  prepare(config, ctx) {
    const published = ctx.channelNames.map((channel) => fillTemplate(config.redisChannel, channel, 0));
    const { numsub: mode, timeout, settle } = config.readiness;
    return {
      describe: `raw ${config.url}`,
      urlTemplate: config.url,
      clientProtocol: { kind: 'plain', sendAfterOpen: config.send, ignore: config.ignore },
      injector: { kind: 'publish', channels: published },
      upstream: { template: config.publishMessage },
      headers: config.headers,
      subprotocols: config.subprotocols,
      maxPayload: 256 * 1024 * 1024,
      settleMs: settle,
      // Subscribed in Redis after the upgrade, which no client can see.
      readyDelayMs: unobservedReadyMs(settle),
      async waitReady({ redis, openedPerChannel, signal }) {
        if (mode === 0) return;
        await pollUntilReady(
          async () => {
            const counts = await numsub(redis, [...new Set(published)]);
            // Several scenario channels may map to one Redis channel: it must carry all their clients.
            for (const [channel, clients] of clientsPerKey(published, openedPerChannel)) {
              if (clients === 0) continue;
              const want = mode === 'per-client' ? clients : mode;
              const have = counts.get(channel) ?? 0;
              if (have < want) return `PUBSUB NUMSUB ${channel} = ${have}, waiting for ${want}`;
            }
            return null;
          },
          timeout,
          signal,
          'target',
        );
      },
      stop: async () => {},
    };
  },
});
