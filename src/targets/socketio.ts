/**
 * Target `socketio`: Socket.IO 4 servers scaled with @socket.io/redis-adapter.
 *
 * Client: Engine.IO v4 over a plain WebSocket (`/socket.io/?EIO=4&transport=websocket`). The
 * server speaks first with the open packet `0{"sid":…}`; the client sends CONNECT `40` (or
 * `40/ns,` and an auth object); the server's `40{"sid":…}` is the readiness signal. The server
 * pings with `2` and drops a client that does not answer `3`. Events arrive as
 * `42["event",payload]` (`42/ns,[…]` in a namespace): a data message costs two byte checks.
 *
 * Injection is what @socket.io/redis-emitter does: PUBLISH `<key>#<nsp>#` (or `<key>#<nsp>#<room>#`
 * for one room) the msgpack of `[uid, packet, opts]` with a uid no server has.
 */
import { z } from 'zod';
import { Encoder } from '@msgpack/msgpack';
import { headers, publicHeaders, stackReadiness, wsUrlTemplate } from '../config/fields.js';
import { HandshakeProtocol, Verdict, defineProtocol, preview, type ClientProtocolSpec, type ProtocolContext } from './client-protocol.js';
import { defineInjector, type InjectorSpec } from './injector.js';
import { numsub } from '../redis/client.js';
import { pollUntilReady, waitForClientSignal } from './readiness.js';
import { fillTemplate } from './template.js';
import { defineTarget } from './target.js';
import { PAYLOAD_SLOT, jsonTemplate, textTemplateIssues } from './upstream.js';

const KIND = 'socketio';

const schema = z
  .strictObject({
    kind: z.literal(KIND),
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
        'Extra query parameters of the handshake ({channel}, {channels} and {client} are filled), e.g. { room: "{channel}" } for an app that joins a room from the query, or { rooms: "{channels}" } (comma-separated) for clients in several channels.',
      ),
    auth: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Auth object sent in the CONNECT packet (string values may use {channel} and {client}).'),
    event: z.string().min(1).default('bench').describe('Event name the payload is emitted as.'),
    sendEvent: z
      .string()
      .min(1)
      .default('bench:send')
      .describe(
        'publish.via websocket: the event a sender emits with the payload; your app re-emits it to the sender\'s room as `event` (io.to(room).emit, which includes the sender), e.g. socket.on("bench:send", (p) => io.to(room).emit("bench", p)).',
      ),
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

/** The uid @socket.io/redis-emitter uses; servers ignore only messages carrying their own uid. */
export const EMITTER_UID = 'emitter';
/** Socket.IO packet type EVENT. */
const EVENT = 2;

export interface SocketioProtocolSpec extends ClientProtocolSpec {
  kind: typeof KIND;
  /** Namespace, "/" for the main one. */
  namespace: string;
  /** JSON text of the CONNECT packet's auth object, or null for none ({channel}/{client} filled in). */
  auth: string | null;
}

export interface SocketioInjectorSpec extends InjectorSpec {
  kind: typeof KIND;
  /** Redis channel per scenario channel. */
  channels: string[];
  /** Room per scenario channel, or null to broadcast to the whole namespace. */
  rooms: (string | null)[];
  namespace: string;
  event: string;
  uid: string;
}

/** ws://host:port + /socket.io/ → the Engine.IO v4 WebSocket URL, with extra query parameters. */
export function socketioUrl(base: string, path: string, query: Record<string, string> = {}): string {
  const root = base.replace(/\/+$/, '');
  const p = '/' + path.replace(/^\/+/, '').replace(/\/*$/, '/');
  const params = Object.entries(query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).replaceAll('%7B', '{').replaceAll('%7D', '}')}`)
    .join('&');
  return `${root}${p}?EIO=4&transport=websocket${params ? '&' + params : ''}`;
}

/** The channel each redis-adapter instance SUBSCRIBEs for requests of one namespace: `key-request#nsp#`. */
export function adapterRequestChannel(key: string, namespace: string): string {
  return `${key}-request#${namespace}#`;
}

/** The CONNECT packet a client sends for `namespace` with an optional auth JSON text. */
export function connectPacket(namespace: string, auth: string | null): string {
  const nsp = namespace === '/' ? '' : `${namespace},`;
  return `40${nsp}${auth ?? ''}`;
}

/** A sender's EVENT packet, `42["<event>","{payload}"]` (`42/ns,[…]` in a namespace), as a template. */
export function sendEventTemplate(namespace: string, event: string): string {
  const nsp = namespace === '/' ? '' : `${namespace},`;
  return `42${nsp}${jsonTemplate([event, PAYLOAD_SLOT])}`;
}

/** Redis channel the adapter listens on for a namespace (and one room): `key#nsp#` / `key#nsp#room#`. */
export function adapterChannel(key: string, namespace: string, room: string | null): string {
  return `${key}#${namespace}#${room === null ? '' : `${room}#`}`;
}

/** The emitter's message: msgpack([uid, {type: EVENT, data: [event, payload], nsp}, {rooms, flags, except}]). */
export function emitterMessage(
  encoder: Encoder,
  uid: string,
  namespace: string,
  event: string,
  payload: string,
  room: string | null,
): Uint8Array {
  return encoder.encode([
    uid,
    { type: EVENT, data: [event, payload], nsp: namespace },
    { rooms: room === null ? [] : [room], flags: {}, except: [] },
  ]);
}

const C_0 = 0x30;
const C_2 = 0x32;
const C_3 = 0x33;
const C_4 = 0x34;

class SocketioProtocol extends HandshakeProtocol {
  /** The open packet arrived and CONNECT was sent; waiting for the server's CONNECT reply. */
  private connecting = false;
  private readonly connect: string;

  constructor(
    spec: SocketioProtocolSpec,
    private readonly ctx: ProtocolContext,
  ) {
    super();
    const channels = (ctx.channels ?? [ctx.channel]).join(',');
    this.connect = connectPacket(
      spec.namespace,
      spec.auth === null ? null : fillTemplate(spec.auth, ctx.channel, ctx.clientIndex, channels),
    );
  }

  opened(): void {}

  received(frame: Buffer, start: number, end: number): Verdict {
    const b0 = frame[start];
    const b1 = end - start > 1 ? frame[start + 1] : undefined;
    // Hot path: an EVENT packet of the namespace the client joined.
    if (this.ready && b0 === C_4 && b1 === C_2) return Verdict.Data;
    // Engine.IO ping: answer at once or the server drops the client.
    if (b0 === C_2 && end - start === 1) {
      this.ctx.send('3');
      return Verdict.Control;
    }
    if (this.failed) return Verdict.Control;
    const data = frame.subarray(start, end);
    if (this.ready) {
      if (b0 === C_4 && b1 === 0x31 /* 1: DISCONNECT */)
        return this.fail(`the Socket.IO server disconnected the namespace: ${preview(data)}`);
      if (b0 === C_3 || b0 === C_4) return Verdict.Control; // pong, acks, other packets
      return this.fail(`expected a Socket.IO packet, got ${preview(data)}`);
    }
    if (!this.connecting) {
      if (b0 === C_0 && b1 === 0x7b /* { */) {
        this.connecting = true;
        this.ctx.send(this.connect);
        return Verdict.Control;
      }
      return this.fail(`expected Socket.IO open packet "0{…}", got ${preview(data)}`);
    }
    if (b0 === C_4 && b1 === C_0) return this.becomeReady();
    if (b0 === C_4 && b1 === C_4) return this.fail(`Socket.IO refused CONNECT ${JSON.stringify(this.connect)}: ${preview(data, 200)}`);
    return this.fail(`expected Socket.IO CONNECT reply "40{…}", got ${preview(data)}`);
  }
}

export const socketioProtocol = defineProtocol<SocketioProtocolSpec>(KIND, (spec, ctx) => new SocketioProtocol(spec, ctx));

export const socketioInjector = defineInjector<SocketioInjectorSpec>(KIND, (spec, redis) => {
  const encoder = new Encoder();
  return {
    inject(channel, payload) {
      const room = spec.rooms[channel] ?? null;
      const message = emitterMessage(encoder, spec.uid, spec.namespace, spec.event, payload.toString('latin1'), room);
      return redis.publish(spec.channels[channel]!, Buffer.from(message.buffer, message.byteOffset, message.byteLength));
    },
  };
});

export const socketio = defineTarget({
  kind: KIND,
  schema,
  textOnly: true,
  defaultEncoding: 'text',
  pollEndpoint: false,
  startsServer: () => false,
  // Rooms: the app joins a client to every room the handshake names ({channels}).
  severalChannelsPerConnection: true,
  clientProtocols: [socketioProtocol],
  injectors: [socketioInjector],

  check(config, scenario) {
    const send = textTemplateIssues(sendEventTemplate(config.namespace, config.sendEvent), ['sendEvent'], scenario);
    const namesChannels = [...Object.values(config.query), JSON.stringify(config.auth ?? null)].some((v) => v.includes('{channels}'));
    if (scenario.channelsPerClient > 1 && !namesChannels)
      send.push({
        path: ['query'],
        message:
          'clients in several channels: the handshake must name them for your app to join each room, e.g. query: { rooms: "{channels}" } (comma-separated)',
      });
    if (scenario.channelCount > 1 && config.room === undefined)
      return [
        {
          path: ['room'],
          message: 'several channels need a room per channel (e.g. room: "{channel}"): without rooms every client gets every channel',
        },
        ...send,
      ];
    return send;
  },

  prepare(config, ctx) {
    const rooms = ctx.channelNames.map((name) => (config.room === undefined ? null : fillTemplate(config.room, name, 0)));
    const channels = rooms.map((room) => adapterChannel(config.key, config.namespace, room));
    const urlTemplate = socketioUrl(config.url, config.path, config.query);
    const auth = config.auth === undefined ? null : JSON.stringify(config.auth);
    const { timeout, settle } = config.readiness;
    return {
      describe: `${KIND} ${urlTemplate}`,
      urlTemplate,
      connectHint: `the ${KIND} adapter expects a Socket.IO 4 server with its Engine.IO endpoint at path ${config.path} (set target.path if yours differs)`,
      clientProtocol: { kind: KIND, namespace: config.namespace, auth } satisfies SocketioProtocolSpec,
      injector: {
        kind: KIND,
        channels,
        rooms,
        namespace: config.namespace,
        event: config.event,
        uid: EMITTER_UID,
      } satisfies SocketioInjectorSpec,
      upstream: { template: sendEventTemplate(config.namespace, config.sendEvent) },
      headers: config.headers,
      subprotocols: [],
      maxPayload: 256 * 1024 * 1024,
      settleMs: settle,
      // Its subscribe confirmation is sent once the subscription exists.
      readyDelayMs: 0,
      async waitReady(ready) {
        await waitForClientSignal(ready, timeout, `answered CONNECT with "40{…}" (namespace ${config.namespace})`, KIND);
        // Each server's adapter for the namespace PSUBSCRIBEs `key#nsp#*` — which any pattern
        // subscriber would seem to satisfy — and SUBSCRIBEs its own request channel
        // `key-request#nsp#`: that one names the key, so a wrong target.key is never ready.
        const requests = adapterRequestChannel(config.key, config.namespace);
        await pollUntilReady(
          async () => {
            const adapters = (await numsub(ready.redis, [requests])).get(requests) ?? 0;
            if (adapters >= 1) return null;
            const patterns = Number(await ready.redis.call('PUBSUB', 'NUMPAT'));
            return `no Socket.IO redis-adapter with key "${config.key}" for namespace ${config.namespace} on this Redis (PUBSUB NUMSUB ${requests} = 0)${patterns > 0 ? `; ${patterns} pattern subscription(s) exist: an adapter with another key? (target.key is createAdapter's key option)` : ': is the Redis adapter on this Redis?'}`;
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
