/**
 * Target `actioncable`: Rails ActionCable with the Redis subscription adapter.
 *
 * The server greets with `{"type":"welcome"}`; the client subscribes with
 * `{"command":"subscribe","identifier":"{\"channel\":\"BenchChannel\",…}"}` (the identifier is a
 * JSON string); `confirm_subscription` comes only after Redis confirmed the SUBSCRIBE, so it is
 * the readiness signal. A client in several channels (clients.channelsPerClient) sends one
 * subscribe per channel on its one cable and is ready when every one is confirmed. Data arrives as `{"identifier":"…","message":{…}}` (one byte check: the
 * third byte is the `i` of identifier); the server pings `{"type":"ping",…}` every 3 s.
 *
 * Inject: PUBLISH `{channel_prefix}:{broadcasting}` a JSON document (ActionCable decodes and
 * re-encodes it, so the stamp travels as a JSON string field).
 */
import { z } from 'zod';
import { headers, publicHeaders, stackReadiness, wsUrlTemplate } from '../config/fields.js';
import { HandshakeProtocol, Verdict, defineProtocol, preview, type ClientProtocolSpec, type ProtocolContext } from './client-protocol.js';
import { defineInjector, type InjectorSpec } from './injector.js';
import { waitForClientSignal } from './readiness.js';
import { fillTemplate } from './template.js';
import { defineTarget } from './target.js';
import { PAYLOAD_SLOT, jsonTemplate, textTemplateIssues } from './upstream.js';

const KIND = 'actioncable';

const schema = z
  .strictObject({
    kind: z.literal(KIND),
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
    sendAction: z
      .string()
      .min(1)
      .default('speak')
      .describe(
        'publish.via websocket: the channel action a sender performs with {"<field>": "WSB1…"} (command "message"); your channel broadcasts it to the broadcasting the clients stream from, e.g. def speak(data) = ActionCable.server.broadcast("bench:#{params[:room]}", { payload: data["payload"] }).',
      ),
    headers,
    publicHeaders,
    readiness: stackReadiness.prefault({}),
  })
  .describe('Rails ActionCable with the Redis adapter: ready on confirm_subscription.');

export interface ActioncableProtocolSpec extends ClientProtocolSpec {
  kind: typeof KIND;
  /** Identifier object as JSON text; {channel} and {client} are filled per client. */
  identifier: string;
}

/** The subscribe command for an identifier JSON text (which is sent as a JSON string). */
export function subscribeCommand(identifier: string): string {
  return JSON.stringify({ command: 'subscribe', identifier });
}

/** Redis channel of a broadcasting: `prefix:broadcasting`, or the broadcasting alone without a prefix. */
export function actioncableChannel(prefix: string, broadcasting: string): string {
  return prefix ? `${prefix}:${broadcasting}` : broadcasting;
}

/** Identifier JSON with the channel class first, as ActionCable's JS client builds it. */
export function actioncableIdentifier(channelClass: string, params: Record<string, string>): string {
  return JSON.stringify({ channel: channelClass, ...params });
}

/** A sender's `message` command performing `action` with {"<field>": payload}, as a template (`data` is a JSON string). */
export function performTemplate(identifier: string, action: string, field: string): string {
  return jsonTemplate({ command: 'message', identifier, data: jsonTemplate({ action, [field]: PAYLOAD_SLOT }) });
}

/** The JSON document published for a payload: {"<field>":"WSB1…"}. */
export function actioncablePayload(field: string, payload: string): string {
  return JSON.stringify({ [field]: payload });
}

/** The `type` of an ActionCable control message, or null when it has none (or is not JSON). */
function typeOf(data: Buffer): string | null {
  try {
    const parsed = JSON.parse(data.toString('utf8')) as { type?: unknown };
    return typeof parsed.type === 'string' ? parsed.type : null;
  } catch {
    return null;
  }
}

class ActioncableProtocol extends HandshakeProtocol {
  /** The welcome arrived and the subscribe commands were sent; waiting for their confirmations. */
  private subscribing = false;
  /** One identifier per channel of the client. */
  private readonly identifiers: string[];
  private unconfirmed: number;

  constructor(
    spec: ActioncableProtocolSpec,
    private readonly ctx: ProtocolContext,
  ) {
    super();
    this.identifiers = (ctx.channels ?? [ctx.channel]).map((channel) => fillTemplate(spec.identifier, channel, ctx.clientIndex));
    this.unconfirmed = this.identifiers.length;
  }

  private get identifier(): string {
    return this.identifiers.join(', ');
  }

  opened(): void {}

  received(frame: Buffer, start: number, end: number): Verdict {
    const length = end - start;
    // Hot path: {"identifier":…,"message":…}.
    if (this.ready && length > 2 && frame[start + 2] === 0x69 /* i */ && frame[start] === 0x7b) return Verdict.Data;
    // {"type":"ping",…} is the most frequent control message.
    if (length > 9 && frame[start + 2] === 0x74 /* t */ && frame[start + 9] === 0x70 /* p */ && frame[start] === 0x7b)
      return Verdict.Control;
    if (this.failed) return Verdict.Control;
    const data = frame.subarray(start, end);
    const type = typeOf(data);
    if (this.ready) {
      if (type === 'disconnect') return this.fail(`ActionCable disconnected the client: ${preview(data, 200)}`);
      if (type !== null) return Verdict.Control;
      return this.fail(`expected an ActionCable message, got ${preview(data)}`);
    }
    if (!this.subscribing) {
      if (type === 'welcome') {
        this.subscribing = true;
        for (const identifier of this.identifiers) this.ctx.send(subscribeCommand(identifier));
        return Verdict.Control;
      }
      if (type === 'disconnect') return this.fail(`ActionCable refused the connection: ${preview(data, 200)}`);
      return this.fail(`expected ActionCable welcome {"type":"welcome"}, got ${preview(data)}`);
    }
    if (type === 'confirm_subscription') return --this.unconfirmed === 0 ? this.becomeReady() : Verdict.Control;
    // A message of a subscription confirmed while others are not yet (several channels): data,
    // owed only once the connection is ready (the pool's windows decide).
    if (
      type === null &&
      length > 2 &&
      frame[start + 2] === 0x69 /* i */ &&
      frame[start] === 0x7b &&
      this.unconfirmed < this.identifiers.length
    )
      return Verdict.Data;
    if (type === 'reject_subscription') return this.fail(`ActionCable rejected the subscription ${this.identifier}`);
    return this.fail(`expected ActionCable "confirm_subscription" for ${this.identifier}, got ${preview(data)}`);
  }
}

export const actioncableProtocol = defineProtocol<ActioncableProtocolSpec>(KIND, (spec, ctx) => new ActioncableProtocol(spec, ctx));

export interface PublishJsonInjectorSpec extends InjectorSpec {
  kind: 'publish-json';
  channels: string[];
  /** The payload goes into a JSON object under this key. */
  field: string;
}

export const publishJsonInjector = defineInjector<PublishJsonInjectorSpec>('publish-json', (spec, redis) => ({
  inject: (channel: number, payload: Buffer) =>
    redis.publish(spec.channels[channel]!, actioncablePayload(spec.field, payload.toString('latin1'))),
}));

export const actioncable = defineTarget({
  kind: KIND,
  schema,
  textOnly: true,
  defaultEncoding: 'text',
  pollEndpoint: false,
  startsServer: () => false,
  // Several subscriptions on one cable, one per channel.
  severalChannelsPerConnection: true,
  clientProtocols: [actioncableProtocol],
  injectors: [publishJsonInjector],
  check: (config, scenario) =>
    textTemplateIssues(
      performTemplate(actioncableIdentifier(config.channel, config.params), config.sendAction, config.field),
      ['sendAction'],
      scenario,
    ),

  prepare(config, ctx) {
    const channels = ctx.channelNames.map((name) => actioncableChannel(config.channelPrefix, fillTemplate(config.broadcasting, name, 0)));
    const { timeout, settle } = config.readiness;
    const origin = config.origin ?? config.url.replace(/^ws/i, 'http').replace(/^(https?:\/\/[^/]+).*$/, '$1');
    return {
      describe: `${KIND} ${config.url}`,
      urlTemplate: config.url,
      connectHint: `the ${KIND} adapter expects ActionCable mounted at ${new URL(config.url.replaceAll('{channel}', 'c').replaceAll('{client}', '0')).pathname} accepting Origin ${origin} (target.url, target.origin)`,
      clientProtocol: { kind: KIND, identifier: actioncableIdentifier(config.channel, config.params) } satisfies ActioncableProtocolSpec,
      upstream: { template: performTemplate(actioncableIdentifier(config.channel, config.params), config.sendAction, config.field) },
      injector: { kind: 'publish-json', channels, field: config.field } satisfies PublishJsonInjectorSpec,
      headers: { Origin: origin, ...config.headers },
      subprotocols: ['actioncable-v1-json'],
      maxPayload: 256 * 1024 * 1024,
      settleMs: settle,
      // Its subscribe confirmation is sent once the subscription exists.
      readyDelayMs: 0,
      waitReady: (ready) => waitForClientSignal(ready, timeout, 'got "confirm_subscription"', KIND),
      stop: async () => {},
    };
  },
});
