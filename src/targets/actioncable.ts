/**
 * Target `actioncable`: Rails ActionCable with the Redis subscription adapter.
 *
 * The server greets with `{"type":"welcome"}`; the client subscribes with
 * `{"command":"subscribe","identifier":"{\"channel\":\"BenchChannel\",…}"}` (the identifier is a
 * JSON string); `confirm_subscription` comes only after Redis confirmed the SUBSCRIBE, so it is
 * the readiness signal. Data arrives as `{"identifier":"…","message":{…}}` (one byte check: the
 * third byte is the `i` of identifier); the server pings `{"type":"ping",…}` every 3 s.
 *
 * Inject: PUBLISH `{channel_prefix}:{broadcasting}` a JSON document (ActionCable decodes and
 * re-encodes it, so the stamp travels as a JSON string field).
 */
import type { Scenario } from '../config/resolve.js';
import type { RedisClient } from '../redis/client.js';
import { fillTemplate } from './template.js';
import { Verdict, preview, type ClientProtocolFactory } from './client-protocol.js';
import type { Injector } from './injector.js';
import { waitForClientSignal, type PreparedTarget } from './target.js';

type ActioncableConfig = Extract<Scenario['target'], { kind: 'actioncable' }>;

export interface ActioncableProtocolSpec {
  kind: 'actioncable';
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

/** The JSON document published for a payload: {"<field>":"WSB1…"}. */
export function actioncablePayload(field: string, payload: string): string {
  return JSON.stringify({ [field]: payload });
}

const enum State {
  AwaitWelcome,
  AwaitConfirm,
  Ready,
  Failed,
}

export const actioncableProtocol: ClientProtocolFactory<ActioncableProtocolSpec> = (spec, ctx) => {
  let state = State.AwaitWelcome;
  let problem: string | null = null;
  const identifier = fillTemplate(spec.identifier, ctx.channel, ctx.clientIndex);
  const fail = (text: string): Verdict => {
    state = State.Failed;
    problem = text;
    return Verdict.Unexpected;
  };
  const typeOf = (data: Buffer): string | null => {
    try {
      const parsed = JSON.parse(data.toString('utf8')) as { type?: unknown };
      return typeof parsed.type === 'string' ? parsed.type : null;
    } catch {
      return null;
    }
  };
  return {
    get ready() {
      return state === State.Ready;
    },
    get problem() {
      return problem;
    },
    opened() {},
    received(frame, start, end) {
      const length = end - start;
      // Hot path: {"identifier":…,"message":…}.
      if (state === State.Ready && length > 2 && frame[start + 2] === 0x69 /* i */ && frame[start] === 0x7b) return Verdict.Data;
      // {"type":"ping",…} is the most frequent control message.
      if (length > 9 && frame[start + 2] === 0x74 /* t */ && frame[start + 9] === 0x70 /* p */ && frame[start] === 0x7b)
        return Verdict.Control;
      const data = frame.subarray(start, end);
      const type = typeOf(data);
      switch (state) {
        case State.AwaitWelcome:
          if (type === 'welcome') {
            state = State.AwaitConfirm;
            ctx.send(subscribeCommand(identifier));
            return Verdict.Control;
          }
          if (type === 'disconnect') return fail(`ActionCable refused the connection: ${preview(data, 200)}`);
          return fail(`expected ActionCable welcome {"type":"welcome"}, got ${preview(data)}`);
        case State.AwaitConfirm:
          if (type === 'confirm_subscription') {
            state = State.Ready;
            return Verdict.Control;
          }
          if (type === 'reject_subscription') return fail(`ActionCable rejected the subscription ${identifier}`);
          return fail(`expected ActionCable "confirm_subscription" for ${identifier}, got ${preview(data)}`);
        case State.Ready:
          if (type === 'disconnect') return fail(`ActionCable disconnected the client: ${preview(data, 200)}`);
          if (type !== null) return Verdict.Control;
          return fail(`expected an ActionCable message, got ${preview(data)}`);
        default:
          return Verdict.Control;
      }
    },
  };
};

export function prepareActioncableTarget(config: ActioncableConfig, scenario: Scenario): PreparedTarget {
  const channels = scenario.channelNames.map((name) =>
    actioncableChannel(config.channelPrefix, fillTemplate(config.broadcasting, name, 0)),
  );
  const { timeout, settle } = config.readiness;
  const origin = config.origin ?? config.url.replace(/^ws/i, 'http').replace(/^(https?:\/\/[^/]+).*$/, '$1');
  return {
    describe: `actioncable ${config.url}`,
    urlTemplate: config.url,
    connectHint: `the actioncable adapter expects ActionCable mounted at ${new URL(config.url.replaceAll('{channel}', 'c').replaceAll('{client}', '0')).pathname} accepting Origin ${origin} (target.url, target.origin)`,
    clientProtocol: { kind: 'actioncable', identifier: actioncableIdentifier(config.channel, config.params) },
    injector: { kind: 'publish-json', channels, field: config.field },
    headers: { Origin: origin, ...config.headers },
    subprotocols: ['actioncable-v1-json'],
    maxPayload: 256 * 1024 * 1024,
    async waitReady(ctx) {
      await waitForClientSignal(ctx, timeout, 'got "confirm_subscription"', 'actioncable');
      if (settle > 0 && !ctx.signal.aborted) await new Promise((r) => setTimeout(r, settle));
    },
    stop: async () => {},
  };
}

export interface PublishJsonInjectorSpec {
  kind: 'publish-json';
  channels: string[];
  /** The payload goes into a JSON object under this key. */
  field: string;
}

export function createPublishJsonInjector(spec: PublishJsonInjectorSpec, redis: RedisClient): Injector {
  return {
    inject: (channel: number, payload: Buffer) =>
      redis.publish(spec.channels[channel]!, actioncablePayload(spec.field, payload.toString('latin1'))),
  };
}
