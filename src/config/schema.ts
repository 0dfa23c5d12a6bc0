/**
 * The scenario file schema (one source for validation, TypeScript types and the published JSON
 * Schema in schema/scenario.schema.json). Human units are accepted on input and resolved here to
 * plain numbers: durations in milliseconds, rates per second, sizes in bytes.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { MAX_MESSAGES, MAX_RATE_PER_SEC, parseDurationMs, parseRatePerSec } from './units.js';
import { duration, isValidUrl, positiveDuration, size, unitValue } from './fields.js';
import { areaOf, loadShapeOf } from './load-shape.js';
import { STAMP_BINARY_BYTES, STAMP_TEXT_BYTES } from '../metrics/stamp.js';
import { excerpt, parseThreshold, ThresholdSyntaxError } from '../gate/expression.js';
import { lookupMetric } from '../gate/metrics.js';
import { parseTolerance } from '../gate/baseline.js';
import { TARGET_SCHEMAS, targetAdapter } from '../targets/registry.js';
import { DEFAULT_INTERVAL_MS, MAX_TIMELINE_INTERVALS, MIN_REPORT_INTERVAL_MS } from '../results/timeline.js';
import { clientCompression, clientDeflate, clientTls } from './connection-fields.js';
import { slowClients } from './slow-clients.js';
import { channelNamesOf, channelsPerClient, membership, membershipOf, maxChannelsPerClient, membershipProblems } from './membership.js';
import { DEFAULT_TRANSPORTS, TRANSPORT_NAMES, transportDescriptor } from '../transports/registry.js';
import { PUBLISH_VIA, SENDER_ECHO, senderCount, senderPoolSize, sendersPercent, sendersProblem } from './senders.js';

const rate = unitValue(parseRatePerSec, 'rate', '1000/s, 5k/s, 60/min', (n) =>
  n <= 0 ? 'must be greater than zero' : n > MAX_RATE_PER_SEC ? 'must be at most 10M/s' : undefined,
).describe('Publishes per second across all channels: 1000, "1000/s", "5k/s", "60/min".');

/** A rate that may be zero (a stage that stops publishing). */
const rateOrZero = unitValue(parseRatePerSec, 'rate', '500/s, 5k/s, 0', (n) =>
  n < 0 ? 'must not be negative' : n > MAX_RATE_PER_SEC ? 'must be at most 10M/s' : undefined,
);

const stage = z
  .strictObject({
    duration: positiveDuration().describe('How long this stage lasts (it ramps linearly over all of it).'),
    connections: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .optional()
      .describe('Connections at the end of the stage (ramped linearly from the previous value); unchanged when not given.'),
    rate: rateOrZero
      .optional()
      .describe(
        'Publish rate at the end of the stage, e.g. "500/s" (ramped linearly from the previous one; 0 stops publishing); unchanged when not given.',
      ),
  })
  .describe(
    'One stage of the load: ramps linearly from the previous stage’s values (the first from clients.connections and publish.rate) to its own.',
  );

/** A fraction of the open clients: "50%" or 0.5. */
const fraction = z
  .union([z.string(), z.number()], { error: 'expected a share such as "50%" or 0.5' })
  .transform((value, ctx) => {
    const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value) : null;
    const n = typeof value === 'number' ? value : match ? Number(match[1]) / 100 : Number.NaN;
    if (!(n > 0 && n <= 1)) {
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: `${JSON.stringify(value)}: must be a share of the open clients above 0 and at most 100% (e.g. "50%" or 0.5)`,
      });
      return z.NEVER;
    }
    return n;
  })
  .describe('A share of the open clients: "50%" or 0.5.');

const reconnect = z
  .strictObject({
    after: duration().default(0).describe('Wait this long after the drop before reconnecting.'),
    jitter: duration()
      .default(0)
      .describe('Plus a random delay up to this long, different per client (as real apps spread a reconnect storm).'),
    backoff: z
      .strictObject({
        initial: positiveDuration().default(250).describe('Wait before the first retry of a failed reconnect.'),
        max: positiveDuration().default(10_000).describe('Longest wait between retries.'),
        factor: z.number().min(1).max(100).default(2).describe('Each further retry waits this many times longer (up to max).'),
      })
      .prefault({})
      .describe('Retries of a failed reconnect: initial × factor^(n−1), at most max, each with up to half taken off at random.'),
  })
  .prefault({})
  .describe('How the dropped clients reconnect.');

const loadEvent = z
  .strictObject({
    at: duration().describe('When, from the start of publishing (message 0 is due at 0; warm-up included).'),
    disconnect: fraction
      .optional()
      .describe('Drop this share of the open clients at once (chosen by client index, spread evenly), then reconnect them.'),
    how: z
      .enum(['close', 'reset'])
      .optional()
      .describe(
        'close: a clean close handshake; reset: an abrupt TCP reset, as when a load balancer or a server process dies (default close).',
      ),
    serverRestart: z
      .literal(true)
      .optional()
      .describe(
        'Restart the reference server wsbench started (its processes stopped and started again on the same port), as a deploy would.',
      ),
    reconnect,
  })
  .describe('Something that happens to the connections at a moment of the run: a reconnect storm or a server restart.');

const redisUrl = z
  .string()
  .refine((s) => /^rediss?:\/\//i.test(s) && isValidUrl(s), {
    message: 'must be a redis:// or rediss:// URL, e.g. redis://:password@127.0.0.1:6379/0',
  })
  .describe('redis://[user:password@]host:port[/db] or rediss:// for TLS. Omit to start an embedded redis-server.');

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
    target: z.discriminatedUnion('kind', TARGET_SCHEMAS).prefault({ kind: 'builtin' }).describe('What the clients connect to.'),
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
        churn: unitValue(parseRatePerSec, 'rate', '200/s, 5/min', (n) =>
          n <= 0 ? 'must be greater than zero' : n > MAX_RATE_PER_SEC ? 'must be at most 10M/s' : undefined,
        )
          .optional()
          .describe('While publishing, this many clients per second close and a fresh one opens in each one’s place, e.g. "200/s".'),
        workers: z.number().int().min(1).max(64).optional().describe('Client worker processes (default: from connections and cores).'),
        localAddresses: z
          .array(z.string().refine((s) => isIP(s) !== 0, { message: 'must be an IP address (IPv4 or IPv6)' }))
          .optional()
          .describe('Source addresses to spread connections over (default: 127.0.0.x as needed for loopback targets).'),
        tls: clientTls,
        compression: clientCompression,
        deflate: clientDeflate,
        slow: slowClients,
        channelsPerClient,
        membership,
      })
      .describe('The load: how many clients and how they connect.'),
    publish: z
      .strictObject({
        rate,
        duration: positiveDuration()
          .optional()
          .describe('How long to publish at the rate (after warm-up). Required unless `stages` say how the load goes.'),
        payloadSize: size(STAMP_BINARY_BYTES, 64 * 1024 * 1024)
          .default(64)
          .describe(`Bytes per published message, stamp included (binary stamp ${STAMP_BINARY_BYTES} B, text ${STAMP_TEXT_BYTES} B).`),
        channels,
        padding: z
          .enum(['plain', 'json'])
          .default('plain')
          .describe(
            'What fills the payload behind the stamp: plain (zeros for binary, x for text: compresses to almost nothing) or json (JSON-like chat messages that compress like real JSON, for permessage-deflate runs).',
          ),
        encoding: z
          .enum(['binary', 'text'])
          .optional()
          .describe(
            'Payload encoding: binary (fixed offsets; builtin default) or text (printable, for stacks that send text frames; raw default).',
          ),
        via: z
          .enum(PUBLISH_VIA)
          .default('redis')
          .describe(
            "Who sends the schedule's messages: redis (wsbench PUBLISHes them into Redis) or websocket (some clients, the senders, send them through their own WebSocket and the app publishes them: the chat round trip).",
          ),
        senders: z
          .union([
            z
              .number()
              .positive()
              .refine((n) => n < 1 || Number.isInteger(n), {
                message: 'must be a whole number of clients, or a fraction of them between 0 and 1 (0.1), or a percentage ("10%")',
              }),
            z.string().refine((s) => sendersPercent(s) !== undefined, {
              message: 'must be a number of clients, a fraction of them (0.1) or a percentage such as "10%"',
            }),
          ])
          .optional()
          .describe(
            'via websocket: how many clients send: a number, a fraction of the connections below 1 (0.1), or a percentage ("10%"); default one per channel. The schedule is spread over them.',
          ),
        echo: z
          .enum(SENDER_ECHO)
          .default('expected')
          .describe(
            "via websocket: whether the app sends a sender its own message back. expected: every member gets it, the sender too (io.to(room).emit, group_send, ActionCable broadcast): the sender's copy is echo latency. none: the app leaves the sender out (socket.to(room).emit): a sender is owed none of its own messages (notOwed), and an own copy that arrives anyway is counted as publish.unexpected-echo.",
          ),
      })
      .describe('The open-loop publisher.'),
    stages: z
      .array(stage)
      .min(1)
      .max(1000)
      .optional()
      .describe(
        'Load that changes over time (after warm-up): each stage ramps the connections and the publish rate linearly from the previous values to its own over its duration. Publishing lasts as long as the stages together.',
      ),
    events: z.array(loadEvent).max(100).optional().describe('Reconnect storms and server restarts at given moments of publishing.'),
    transports: z
      .array(z.enum(TRANSPORT_NAMES))
      .min(1)
      .default(DEFAULT_TRANSPORTS)
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
    onTargetDown: z
      .enum(['stop', 'continue'])
      .default('stop')
      .describe(
        'When the target dies mid-run (every connection dropped, or polls fail, and it accepts no new connection; a server wsbench started exits): stop (default) stops publishing 1 s later unless it came back and reports what was measured (not completed, exit code 4); continue publishes on (its messages count as lost). Either way a target-down incident is recorded at once.',
      ),
    report: z
      .strictObject({
        interval: unitValue(parseDurationMs, 'duration', '1s, 500ms, 5s', (n) =>
          n < MIN_REPORT_INTERVAL_MS ? `must be at least ${MIN_REPORT_INTERVAL_MS} ms` : undefined,
        )
          .default(DEFAULT_INTERVAL_MS)
          .describe(
            `Length of the timeline's intervals (results over time): a duration of at least ${MIN_REPORT_INTERVAL_MS} ms, default 1s. Doubled as often as needed so a run keeps at most ${MAX_TIMELINE_INTERVALS} intervals.`,
          ),
      })
      .prefault({})
      .describe('What the report records besides the totals.'),
    thresholds: z
      .array(threshold)
      .default([])
      .describe('Pass/fail criteria over the report (exit code 1 when one fails); see the threshold grammar in docs/ci.md.'),
    baseline: baselineSettings.optional(),
    distributed: z
      .strictObject({
        agents: z
          .union([z.number().int().min(1).max(1000), z.array(z.string().min(1).max(63)).min(1).max(1000)])
          .describe('How many agents (wsbench agent) run the clients, or the names of the agents to use.'),
        labels: z
          .record(z.string().min(1).max(254), z.string().max(63))
          .default({})
          .describe('Only agents with all these labels (their --label k=v).'),
        wait: positiveDuration()
          .default(60_000)
          .describe('How long to wait for the agents before failing with the names of those that came.'),
        controlRedis: redisUrl
          .optional()
          .describe("The Redis the agents and the coordinator talk through (the agents' --redis); default: redis.url."),
      })
      .optional()
      .describe(
        'Run the clients on agents (wsbench agent) instead of local workers; the run is their coordinator (docs/distributed.md). Flags (--agents, --agent-label, --agents-wait) win.',
      ),
  })
  .superRefine((s, ctx) => {
    const adapter = targetAdapter(s.target.kind);
    const seen = new Set<string>();
    s.transports.forEach((t, i) => {
      if (seen.has(t)) ctx.issues.push({ code: 'custom', input: t, path: ['transports', i], message: `"${t}" is listed twice` });
      seen.add(t);
      if (s.clients.slow && !transportDescriptor(t).readsSlowly) {
        ctx.issues.push({
          code: 'custom',
          input: t,
          path: ['transports', i],
          message: `"${t}" clients cannot read slowly (clients.slow pauses a WebSocket's socket; a poll is answered from the server's bounded channel buffer): run clients.slow with transports: [websocket]`,
        });
      }
      if (transportDescriptor(t).needsPollEndpoint && !adapter.pollEndpoint) {
        ctx.issues.push({
          code: 'custom',
          input: t,
          path: ['transports', i],
          message: `"${t}" needs a polling endpoint, which only the builtin reference server has (a ${s.target.kind} target speaks WebSocket only)`,
        });
      }
    });
    const encoding = s.publish.encoding ?? adapter.defaultEncoding;
    if (encoding === 'binary' && adapter.textOnly) {
      ctx.issues.push({
        code: 'custom',
        input: encoding,
        path: ['publish', 'encoding'],
        message: `a ${s.target.kind} target carries the payload as text (JSON string or text frame): use encoding text`,
      });
    }
    const channelCount = Array.isArray(s.publish.channels) ? s.publish.channels.length : s.publish.channels;
    const via = s.publish.via;
    if (via === 'redis' && s.publish.senders !== undefined) {
      ctx.issues.push({
        code: 'custom',
        input: s.publish.senders,
        path: ['publish', 'senders'],
        message: 'senders send through their WebSocket: set publish.via: websocket (with via redis wsbench publishes)',
      });
    }
    if (via === 'redis' && s.publish.echo !== 'expected') {
      ctx.issues.push({
        code: 'custom',
        input: s.publish.echo,
        path: ['publish', 'echo'],
        message: "echo says what the app does with a sender's own message: only with publish.via: websocket",
      });
    }
    if (via === 'websocket') {
      // Senders are clients the load keeps throughout (a stage that lowers the connections never takes one away).
      const problem = sendersProblem(
        senderCount(s.publish.senders, s.clients.connections, channelCount),
        senderPoolSize(s.clients.connections, s.stages),
        channelCount,
        s.stages !== undefined,
      );
      if (problem)
        ctx.issues.push({
          code: 'custom',
          input: s.publish.senders,
          path: ['publish', s.publish.senders === undefined ? 'via' : 'senders'],
          message: problem,
        });
      s.transports.forEach((t, i) => {
        if (transportDescriptor(t).usesTargetProtocol) return;
        ctx.issues.push({
          code: 'custom',
          input: t,
          path: ['transports', i],
          message: `"${t}" clients cannot send (polling has no upstream channel): with publish.via websocket only websocket runs`,
        });
      });
    }
    const names = channelNamesOf(s.publish.channels);
    const membershipIssues = membershipProblems(s.clients, names);
    for (const [path, message] of membershipIssues)
      ctx.issues.push({ code: 'custom', input: s.clients, path: ['clients', ...path], message });
    const perClient = membershipIssues.length > 0 ? 1 : maxChannelsPerClient(membershipOf(s.clients, names));
    if (perClient > 1 || s.clients.membership !== undefined) {
      const key = s.clients.membership !== undefined ? 'membership' : 'channelsPerClient';
      const refuse = (path: (string | number)[], message: string) => ctx.issues.push({ code: 'custom', input: s.clients, path, message });
      // A target that cannot carry several channels on one connection gets one connection per
      // (client, channel) (engine/worker-plans.ts); client classes count clients, not connections.
      if (!adapter.severalChannelsPerConnection && s.clients.slow)
        refuse(
          ['clients', 'slow'],
          `not with clients in several channels (clients.${key}) on a ${s.target.kind} target yet: it opens a connection per (client, channel), and the slow class counts clients`,
        );
      if (via === 'websocket')
        refuse(['publish', 'via'], `not with clients in several channels (clients.${key}) yet: a sender sends to one channel`);
    }
    for (const issue of adapter.check?.(s.target, {
      channelCount,
      channelsPerClient: perClient,
      encoding,
      publishVia: via,
      padding: s.publish.padding,
    }) ?? []) {
      ctx.issues.push({ code: 'custom', input: s.target, path: ['target', ...issue.path], message: issue.message });
    }
    if (s.stages && s.publish.duration !== undefined) {
      ctx.issues.push({
        code: 'custom',
        input: s.publish.duration,
        path: ['publish', 'duration'],
        message: 'with stages, publishing lasts as long as the stages together: remove publish.duration',
      });
    } else if (!s.stages && s.publish.duration === undefined) {
      ctx.issues.push({
        code: 'custom',
        input: s.publish,
        path: ['publish', 'duration'],
        message: 'required (how long to publish), unless `stages` say how the load goes',
      });
    }
    const shape = loadShapeOf(s);
    const messages = areaOf(shape.rate);
    if (messages > MAX_MESSAGES) {
      ctx.issues.push({
        code: 'custom',
        input: s.publish.duration,
        path: s.stages ? ['stages'] : ['publish', 'duration'],
        message: `rate × (warmup + duration) is ${Math.round(messages).toLocaleString('en-US')} messages; at most ${MAX_MESSAGES.toLocaleString('en-US')} (sequence numbers are 32-bit)`,
      });
    }
    (s.events ?? []).forEach((event, i) => {
      const issue = (path: (string | number)[], message: string) =>
        ctx.issues.push({ code: 'custom', input: event, path: ['events', i, ...path], message });
      if ((event.disconnect === undefined) === (event.serverRestart === undefined))
        issue([], 'an event either drops clients (disconnect: "50%") or restarts the server (serverRestart: true), one of the two');
      if (event.serverRestart && event.how !== undefined) issue(['how'], 'a server restart drops every connection its own way: remove how');
      if (event.serverRestart && !adapter.startsServer(s.target))
        issue(['serverRestart'], `only a server wsbench starts can be restarted (the builtin target without target.url)`);
      if (event.at >= shape.spanMs)
        issue(['at'], `at ${event.at} ms is not within publishing (it lasts ${shape.spanMs} ms, warm-up included)`);
    });
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

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ParsedScenario = z.output<typeof scenarioSchema>;
