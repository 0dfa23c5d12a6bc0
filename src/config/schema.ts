/**
 * The scenario file schema (one source for validation, TypeScript types and the published JSON
 * Schema in schema/scenario.schema.json). Human units are accepted on input and resolved here to
 * plain numbers: durations in milliseconds, rates per second, sizes in bytes.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { MAX_DURATION_MS, MAX_MESSAGES, MAX_RATE_PER_SEC, parseDurationMs, parseRatePerSec, parseSizeBytes } from './units.js';
import { STAMP_BINARY_BYTES, STAMP_TEXT_BYTES } from '../metrics/stamp.js';
import { excerpt, parseThreshold, ThresholdSyntaxError } from '../gate/expression.js';
import { lookupMetric } from '../gate/metrics.js';
import { parseTolerance } from '../gate/baseline.js';

type Parser = (v: string | number) => number | undefined;

function unitValue(parse: Parser, what: string, example: string, check: (n: number) => string | undefined) {
  return z.union([z.string(), z.number()], { error: `expected a ${what} such as ${example}` }).transform((value, ctx) => {
    const parsed = parse(value);
    if (parsed === undefined) {
      // A number the parser refused is one too large to be finite (1e308 seconds).
      const tooLarge = typeof value === 'number' || /^\s*\d[\d.]*e\+?\d+\s*$/i.test(value);
      const message = tooLarge ? `${JSON.stringify(value)}: is too large` : `"${value}" is not a ${what} (e.g. ${example})`;
      ctx.issues.push({ code: 'custom', input: value, message });
      return z.NEVER;
    }
    const problem = check(parsed);
    if (problem) {
      ctx.issues.push({ code: 'custom', input: value, message: `${JSON.stringify(value)}: ${problem}` });
      return z.NEVER;
    }
    return parsed;
  });
}

const atMostAWeek = (n: number) => (n > MAX_DURATION_MS ? 'must be at most 168h (7 days)' : undefined);
const nonNegative = (n: number) => (n < 0 ? 'must not be negative' : atMostAWeek(n));
const positive = (n: number) => (n <= 0 ? 'must be greater than zero' : atMostAWeek(n));

const duration = () =>
  unitValue(parseDurationMs, 'duration', '10s, 500ms, 2m', nonNegative).describe(
    'A duration: "10s", "500ms", "2m", "1m30s", or a number of seconds.',
  );
const positiveDuration = () =>
  unitValue(parseDurationMs, 'duration', '10s, 500ms, 2m', positive).describe(
    'A duration greater than zero: "10s", "500ms", "2m", or a number of seconds.',
  );
const size = (min: number, max: number) =>
  unitValue(parseSizeBytes, 'size', '64, 1KiB, 2kb', (n) =>
    !Number.isInteger(n)
      ? 'must be a whole number of bytes'
      : n < min
        ? `must be at least ${min} bytes`
        : n > max
          ? `must be at most ${max} bytes`
          : undefined,
  ).describe(`A size in bytes: 64, "1KiB", "2kb" (${min} to ${max}).`);

const rate = unitValue(parseRatePerSec, 'rate', '1000/s, 5k/s, 60/min', (n) =>
  n <= 0 ? 'must be greater than zero' : n > MAX_RATE_PER_SEC ? 'must be at most 10M/s' : undefined,
).describe('Publishes per second across all channels: 1000, "1000/s", "5k/s", "60/min".');

const wsUrlTemplate = z
  .string()
  .refine((s) => /^wss?:\/\//i.test(s), { message: 'must start with ws:// or wss://' })
  .refine((s) => isValidUrl(s.replaceAll('{channel}', 'channel').replaceAll('{client}', '0')), {
    message: 'is not a valid URL',
  })
  .describe('WebSocket URL; {channel} is replaced by the channel name and {client} by the client index.');

const redisUrl = z
  .string()
  .refine((s) => /^rediss?:\/\//i.test(s) && isValidUrl(s), {
    message: 'must be a redis:// or rediss:// URL, e.g. redis://:password@127.0.0.1:6379/0',
  })
  .describe('redis://[user:password@]host:port[/db] or rediss:// for TLS. Omit to start an embedded redis-server.');

function isValidUrl(s: string): boolean {
  try {
    const url = new URL(s);
    return url.hostname !== '';
  } catch {
    return false;
  }
}

/** HTTP header names are tokens (RFC 9110 §5.1); values cannot break the request (no CR, LF or NUL). */
const headerMap = z.record(
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'is not a valid HTTP header name'),
  z.string().regex(/^[^\r\n\0]*$/, 'a header value cannot contain a line break or NUL'),
);

/** Headers whose values may be shown; every other header value is redacted from every output (src/secrets.ts). */
const publicHeaders = z
  .array(z.string().min(1))
  .default([])
  .describe('Header names whose values may appear in reports, logs and errors (case-insensitive); every other header value is redacted.');

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

const builtinTarget = z
  .strictObject({
    kind: z.literal('builtin'),
    url: wsUrlTemplate
      .optional()
      .describe('Use an already running `wsbench serve` at this base URL instead of starting one, e.g. ws://127.0.0.1:8080'),
    host: z
      .string()
      .refine((s) => isIP(s) !== 0 || /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(s), { message: 'must be an IP address or a host name' })
      .default('127.0.0.1')
      .describe('Address the started server binds to.'),
    port: z.number().int().min(0).max(65535).default(0).describe('Port for the started server (0 = any free port).'),
    maxPayload: size(1, 256 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Largest WebSocket message the server accepts.'),
    perMessageDeflate: z
      .boolean()
      .default(false)
      .describe('Enable permessage-deflate (off by default: it costs CPU and hides payload size).'),
    pollBufferSize: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(10_000)
      .describe(
        'Messages the server keeps per channel for pollers; a poller that falls further behind is told how many it missed (counted as lost).',
      ),
    writeDelay: duration()
      .default(0)
      .describe(
        'Collect messages this long before writing them to a client (0: one write per event-loop turn). More messages per write cost less CPU per delivery, and add up to this much latency.',
      ),
    processes: z
      .union([z.literal('auto'), z.number().int().min(1).max(64)])
      .default('auto')
      .describe(
        'Server processes, each with its own Redis subscriber and a share of the connections (at most ~19,000 each: 20,000 open files per process). auto: one per 15,000 connections, at least 1.',
      ),
  })
  .describe('The built-in reference server: /ws/<channel> forwards Redis channel <channel> verbatim.');

const rawTarget = z
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
    headers: headerMap.default({}).describe('Extra HTTP headers for the WebSocket handshake.'),
    publicHeaders,
    subprotocols: z.array(z.string()).default([]).describe('WebSocket subprotocols to offer.'),
    readiness: readiness.prefault({}),
  })
  .describe('Any WebSocket server that relays a Redis channel’s payloads verbatim.');

const stackReadiness = z
  .strictObject({
    timeout: positiveDuration().default(10_000).describe('Give up waiting for readiness after this long.'),
    settle: duration().default(0).describe('Extra wait after readiness, before the first publish.'),
  })
  .describe('How long to wait for every client to be subscribed (the adapter knows the signal).');

const headers = headerMap.default({}).describe('Extra HTTP headers for the WebSocket handshake (cookies, auth).');

const socketioTarget = z
  .strictObject({
    kind: z.literal('socketio'),
    url: wsUrlTemplate.describe('Base URL of the Socket.IO server, e.g. ws://127.0.0.1:3000 (the path is added).'),
    path: z.string().default('/socket.io/').describe('Engine.IO path of the server (Socket.IO option `path`).'),
    namespace: z
      .string()
      .regex(/^\//, 'a namespace starts with /')
      .default('/')
      .describe('Namespace the clients join and the emitter targets.'),
    query: z
      .record(z.string(), z.string())
      .default({})
      .describe(
        'Extra query parameters of the handshake ({channel} and {client} are filled), e.g. { room: "{channel}" } for an app that joins a room from the query.',
      ),
    auth: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Auth object sent in the CONNECT packet (string values may use {channel} and {client}).'),
    event: z.string().min(1).default('bench').describe('Event name the payload is emitted as.'),
    room: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Emit to this room ({channel} is filled) instead of the whole namespace; needed with several channels. Your app must join clients to it.',
      ),
    key: z.string().min(1).default('socket.io').describe("The Redis adapter's key (channel prefix), option `key` of createAdapter."),
    headers,
    publicHeaders,
    readiness: stackReadiness.prefault({}),
  })
  .describe('Socket.IO 4 with @socket.io/redis-adapter: messages injected as @socket.io/redis-emitter does, ready on the CONNECT reply.');

const channelsTarget = z
  .strictObject({
    kind: z.literal('channels'),
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

const actioncableTarget = z
  .strictObject({
    kind: z.literal('actioncable'),
    url: wsUrlTemplate.describe('ActionCable mount, e.g. ws://127.0.0.1:3000/cable'),
    origin: z.string().optional().describe('Origin header (default http://<host of url>); must be allowed by the server.'),
    channel: z.string().min(1).default('BenchChannel').describe('Channel class the clients subscribe to.'),
    params: z
      .record(z.string(), z.string())
      .default({ room: '{channel}' })
      .describe('Subscription params next to the channel class ({channel}, {client} filled).'),
    broadcasting: z
      .string()
      .min(1)
      .default('bench:{channel}')
      .describe('Broadcasting the channel streams from (stream_from), {channel} filled.'),
    channelPrefix: z.string().default('').describe('channel_prefix of cable.yml (Redis channel is "<prefix>:<broadcasting>").'),
    field: z.string().min(1).default('payload').describe('The payload is published as the JSON object {"<field>": "WSB1…"}.'),
    headers,
    publicHeaders,
    readiness: stackReadiness.prefault({}),
  })
  .describe('Rails ActionCable with the Redis adapter: ready on confirm_subscription.');

const ws4redisTarget = z
  .strictObject({
    kind: z.literal('ws4redis'),
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
    echo: z.boolean().default(false).describe('Add the echo flag to the URL.'),
    headers,
    publicHeaders,
    readiness: stackReadiness.prefault({}),
  })
  .describe('django-websocket-redis: one Redis subscription per client (ready by NUMSUB), payloads relayed verbatim.');

const centrifugoTarget = z
  .strictObject({
    kind: z.literal('centrifugo'),
    url: wsUrlTemplate.describe('Base URL of Centrifugo, e.g. ws://127.0.0.1:8000'),
    path: z.string().default('/connection/websocket').describe('WebSocket endpoint path.'),
    channel: z.string().min(1).default('{channel}').describe('Centrifugo channel ({channel} filled), e.g. "news:{channel}".'),
    connect: z.record(z.string(), z.unknown()).default({}).describe('Body of the connect command, e.g. { token: "<JWT>" }.'),
    apiUrl: z
      .string()
      .regex(/^https?:\/\//, 'must be an http:// or https:// URL')
      .optional()
      .describe('HTTP API base (default: the url with http).'),
    apiKey: z.string().optional().describe('HTTP API key.'),
    apiKeyHeader: z
      .string()
      .default('X-API-Key')
      .describe('Header carrying the API key (v5: X-API-Key; v4: Authorization, sent as "apikey <key>").'),
    apiConnections: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(1)
      .describe(
        'Keep-alive HTTP connections for publishing: 1 keeps publishes in order; more raise the publish rate the API can take, but requests overtake each other (counted as reordered).',
      ),
    field: z.string().min(1).default('payload').describe('The publication data is {"<field>": "WSB1…"}.'),
    headers,
    publicHeaders,
    readiness: stackReadiness.prefault({}),
  })
  .describe('Centrifugo JSON client protocol; publishes through its HTTP API (its Redis encoding is internal).');

/** Letters, digits and the characters a URL path segment carries as they are (no %, no / ? #). */
const CHANNEL_NAME = /^[\p{L}\p{N}\-._~:@!$&'()*+,;=]+$/u;

const channels = z
  .union([
    z.number().int().min(1).max(100_000),
    z
      .array(
        z
          .string()
          .min(1)
          .max(200)
          .regex(CHANNEL_NAME, "channel names use letters, digits and - . _ ~ : @ ! $ & ' ( ) * + , ; = only")
          .refine((name) => name !== '.' && name !== '..', { message: 'a channel cannot be named "." or ".." (URL paths)' }),
      )
      .min(1)
      .max(100_000),
  ])
  .default(1)
  .describe('Number of channels (named bench, or bench-0…bench-N-1) or a list of names. Clients are spread over them round-robin.');

/** A threshold expression, checked here so a bad one is reported at its line and column. */
const threshold = z
  .string()
  .superRefine((text, ctx) => {
    try {
      parseThreshold(text);
    } catch (e) {
      if (!(e instanceof ThresholdSyntaxError)) throw e;
      // `offset` lets the loader point at the exact character inside the string.
      ctx.issues.push({
        code: 'custom',
        input: text,
        message: `${e.message} in "${excerpt(text, e.offset)}"`,
        params: { offset: e.offset },
      });
    }
  })
  .describe('A threshold such as "fanout.p99 < 50ms", "delivery.lostRatio == 0", "longpoll.fanout.p50 / websocket.fanout.p50 > 3".');

const tolerance = z
  .string()
  .transform((value, ctx) => {
    const parsed = parseTolerance(value);
    if (parsed === undefined) {
      ctx.issues.push({ code: 'custom', input: value, message: `"${value}" is not a tolerance (e.g. "10%")` });
      return z.NEVER;
    }
    return parsed;
  })
  .describe('Allowed change in the worse direction, in percent of the baseline value, e.g. "10%".');

export const baselineSettings = z
  .strictObject({
    maxRegression: tolerance.prefault('10%').describe('Tolerance for every compared metric (default "10%").'),
    metrics: z
      .record(z.string(), z.union([tolerance, z.literal('off')]))
      .default({})
      .superRefine((metrics, ctx) => {
        for (const key of Object.keys(metrics)) {
          const found = lookupMetric(key);
          if (!found.ok) ctx.issues.push({ code: 'custom', input: key, path: [key], message: found.message });
        }
      })
      .describe(
        'Per-metric tolerance ("20%") or "off"; metrics named here are compared in addition to the defaults (fanout.p50, fanout.p99, delivery.lostRatio, throughput.deliveriesPerSec).',
      ),
  })
  .describe('How `--baseline` and `wsbench compare` judge a regression.');

export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Path or URL of this JSON Schema (for editors).'),
    name: z.string().optional().describe('Name shown in reports.'),
    description: z.string().optional(),
    target: z
      .discriminatedUnion('kind', [
        builtinTarget,
        rawTarget,
        socketioTarget,
        channelsTarget,
        actioncableTarget,
        ws4redisTarget,
        centrifugoTarget,
      ])
      .prefault({ kind: 'builtin' })
      .describe('What the clients connect to.'),
    redis: z
      .strictObject({
        url: redisUrl.optional(),
        binary: z.string().default('redis-server').describe('redis-server binary for the embedded Redis.'),
      })
      .prefault({})
      .describe('Where to PUBLISH. Without url an embedded redis-server is started on a free loopback port.'),
    clients: z
      .strictObject({
        connections: z.number().int().min(1).max(1_000_000).describe('WebSocket connections to open.'),
        rampUp: duration().default(0).describe('Spread connection opening over this long.'),
        maxHandshakesInFlight: z.number().int().min(1).max(100_000).default(64).describe('At most this many handshakes at once.'),
        connectTimeout: positiveDuration().default(10_000).describe('A handshake slower than this counts as failed.'),
        wsClient: z
          .enum(['fast', 'ws'])
          .default('fast')
          .describe(
            'WebSocket client implementation: fast (in-place frame parser, low CPU per message) or ws (the ws library, for cross-checking).',
          ),
        workers: z.number().int().min(1).max(64).optional().describe('Client worker processes (default: from connections and cores).'),
        localAddresses: z
          .array(z.string().refine((s) => isIP(s) !== 0, { message: 'must be an IP address (IPv4 or IPv6)' }))
          .optional()
          .describe('Source addresses to spread connections over (default: 127.0.0.x as needed for loopback targets).'),
      })
      .describe('The load: how many clients and how they connect.'),
    publish: z
      .strictObject({
        rate,
        duration: positiveDuration().describe('How long to publish at the rate (after warm-up).'),
        payloadSize: size(STAMP_BINARY_BYTES, 64 * 1024 * 1024)
          .default(64)
          .describe(`Bytes per published message, stamp included (binary stamp ${STAMP_BINARY_BYTES} B, text ${STAMP_TEXT_BYTES} B).`),
        channels,
        encoding: z
          .enum(['binary', 'text'])
          .optional()
          .describe(
            'Payload encoding: binary (fixed offsets; builtin default) or text (printable, for stacks that send text frames; raw default).',
          ),
      })
      .describe('The open-loop publisher.'),
    transports: z
      .array(z.enum(['websocket', 'longpoll', 'poll']))
      .min(1)
      .default(['websocket'])
      .describe(
        'Transports to run one after another with the same schedule and payloads: websocket, longpoll (HTTP long-polling), poll (fixed-interval polling). Polling needs the builtin target.',
      ),
    polling: z
      .strictObject({
        interval: positiveDuration().default(1000).describe('poll: time between two requests of a client.'),
        longPollTimeout: positiveDuration()
          .default(25_000)
          .describe('longpoll: how long the server may hold a request when nothing is new.'),
      })
      .prefault({})
      .describe('Settings of the HTTP polling transports.'),
    warmup: duration()
      .default(0)
      .describe('Publish at the rate for this long first; latency from these messages is not recorded (they still count in the ledger).'),
    drain: duration().default(2000).describe('After the last publish, wait this long for stragglers before counting losses.'),
    thresholds: z
      .array(threshold)
      .default([])
      .describe('Pass/fail criteria over the report (exit code 1 when one fails); see the threshold grammar in docs/ci.md.'),
    baseline: baselineSettings.optional(),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.transports.forEach((t, i) => {
      if (seen.has(t)) ctx.issues.push({ code: 'custom', input: t, path: ['transports', i], message: `"${t}" is listed twice` });
      seen.add(t);
      if (t !== 'websocket' && s.target.kind !== 'builtin') {
        ctx.issues.push({
          code: 'custom',
          input: t,
          path: ['transports', i],
          message: `"${t}" needs a polling endpoint, which only the builtin reference server has (a ${s.target.kind} target speaks WebSocket only)`,
        });
      }
    });
    const encoding = s.publish.encoding ?? (s.target.kind === 'builtin' ? 'binary' : 'text');
    if (encoding === 'binary' && STACK_KINDS.has(s.target.kind)) {
      ctx.issues.push({
        code: 'custom',
        input: encoding,
        path: ['publish', 'encoding'],
        message: `a ${s.target.kind} target carries the payload as text (JSON string or text frame): use encoding text`,
      });
    }
    const channelCount = Array.isArray(s.publish.channels) ? s.publish.channels.length : s.publish.channels;
    if (s.target.kind === 'socketio' && channelCount > 1 && s.target.room === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: s.target,
        path: ['target', 'room'],
        message: 'several channels need a room per channel (e.g. room: "{channel}"): without rooms every client gets every channel',
      });
    }
    if (s.target.kind === 'ws4redis' && s.target.audience !== 'broadcast' && !s.target.who) {
      ctx.issues.push({
        code: 'custom',
        input: s.target,
        path: ['target', 'who'],
        message: `audience ${s.target.audience} needs who (the ${s.target.audience} the messages are addressed to)`,
      });
    }
    const messages = (s.publish.rate * (s.warmup + s.publish.duration)) / 1000;
    if (messages > MAX_MESSAGES) {
      ctx.issues.push({
        code: 'custom',
        input: s.publish.duration,
        path: ['publish', 'duration'],
        message: `rate × (warmup + duration) is ${Math.round(messages).toLocaleString('en-US')} messages; at most ${MAX_MESSAGES.toLocaleString('en-US')} (sequence numbers are 32-bit)`,
      });
    }
    const minimum = encoding === 'binary' ? STAMP_BINARY_BYTES : STAMP_TEXT_BYTES;
    if (s.publish.payloadSize < minimum) {
      ctx.issues.push({
        code: 'custom',
        input: s.publish.payloadSize,
        path: ['publish', 'payloadSize'],
        message: `must be at least ${minimum} bytes for ${encoding} payloads (the stamp)`,
      });
    }
  });

/** Adapters of real stacks: text payloads only. */
const STACK_KINDS = new Set(['socketio', 'channels', 'actioncable', 'ws4redis', 'centrifugo']);

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ParsedScenario = z.output<typeof scenarioSchema>;
