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
import { Encoder } from '@msgpack/msgpack';
import type { Scenario } from '../config/resolve.js';
import type { RedisClient } from '../redis/client.js';
import { fillTemplate } from './template.js';
import { Verdict, preview, type ClientProtocolFactory } from './client-protocol.js';
import type { Injector } from './injector.js';
import { pollUntilReady, waitForClientSignal, type PreparedTarget } from './target.js';

type SocketioConfig = Extract<Scenario['target'], { kind: 'socketio' }>;

/** The uid @socket.io/redis-emitter uses; servers ignore only messages carrying their own uid. */
export const EMITTER_UID = 'emitter';
/** Socket.IO packet type EVENT. */
const EVENT = 2;

export interface SocketioProtocolSpec {
  kind: 'socketio';
  /** Namespace, "/" for the main one. */
  namespace: string;
  /** JSON text of the CONNECT packet's auth object, or null for none ({channel}/{client} filled in). */
  auth: string | null;
}

export interface SocketioInjectorSpec {
  kind: 'socketio';
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

/** The CONNECT packet a client sends for `namespace` with an optional auth JSON text. */
export function connectPacket(namespace: string, auth: string | null): string {
  const nsp = namespace === '/' ? '' : `${namespace},`;
  return `40${nsp}${auth ?? ''}`;
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

const enum State {
  AwaitOpen,
  AwaitConnect,
  Ready,
  Failed,
}

const C_0 = 0x30;
const C_2 = 0x32;
const C_3 = 0x33;
const C_4 = 0x34;

export const socketioProtocol: ClientProtocolFactory<SocketioProtocolSpec> = (spec, ctx) => {
  let state = State.AwaitOpen;
  let problem: string | null = null;
  const connect = connectPacket(spec.namespace, spec.auth === null ? null : fillTemplate(spec.auth, ctx.channel, ctx.clientIndex));
  const fail = (text: string): Verdict => {
    state = State.Failed;
    problem = text;
    return Verdict.Unexpected;
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
      const b0 = frame[start];
      const b1 = end - start > 1 ? frame[start + 1] : undefined;
      // Hot path: an EVENT packet of the namespace the client joined.
      if (state === State.Ready && b0 === C_4 && b1 === C_2) return Verdict.Data;
      // Engine.IO ping: answer at once or the server drops the client.
      if (b0 === C_2 && end - start === 1) {
        ctx.send('3');
        return Verdict.Control;
      }
      const data = frame.subarray(start, end);
      switch (state) {
        case State.AwaitOpen:
          if (b0 === C_0 && b1 === 0x7b /* { */) {
            state = State.AwaitConnect;
            ctx.send(connect);
            return Verdict.Control;
          }
          return fail(`expected Socket.IO open packet "0{…}", got ${preview(data)}`);
        case State.AwaitConnect:
          if (b0 === C_4 && b1 === C_0) {
            state = State.Ready;
            return Verdict.Control;
          }
          if (b0 === C_4 && b1 === C_4) return fail(`Socket.IO refused CONNECT ${JSON.stringify(connect)}: ${preview(data, 200)}`);
          return fail(`expected Socket.IO CONNECT reply "40{…}", got ${preview(data)}`);
        case State.Ready:
          if (b0 === C_4 && b1 === 0x31 /* 1: DISCONNECT */)
            return fail(`the Socket.IO server disconnected the namespace: ${preview(data)}`);
          if (b0 === C_3 || b0 === C_4) return Verdict.Control; // pong, acks, other packets
          return fail(`expected a Socket.IO packet, got ${preview(data)}`);
        default:
          return Verdict.Control;
      }
    },
  };
};

export function createSocketioInjector(spec: SocketioInjectorSpec, redis: RedisClient): Injector {
  const encoder = new Encoder();
  return {
    inject(channel, payload) {
      const room = spec.rooms[channel] ?? null;
      const message = emitterMessage(encoder, spec.uid, spec.namespace, spec.event, payload.toString('latin1'), room);
      return redis.publish(spec.channels[channel]!, Buffer.from(message.buffer, message.byteOffset, message.byteLength));
    },
  };
}

export function prepareSocketioTarget(config: SocketioConfig, scenario: Scenario): PreparedTarget {
  const rooms = scenario.channelNames.map((name) => (config.room === undefined ? null : fillTemplate(config.room, name, 0)));
  const channels = rooms.map((room) => adapterChannel(config.key, config.namespace, room));
  const urlTemplate = socketioUrl(config.url, config.path, config.query);
  const auth = config.auth === undefined ? null : JSON.stringify(config.auth);
  return {
    describe: `socketio ${urlTemplate}`,
    urlTemplate,
    connectHint: `the socketio adapter expects a Socket.IO 4 server with its Engine.IO endpoint at path ${config.path} (set target.path if yours differs)`,
    clientProtocol: { kind: 'socketio', namespace: config.namespace, auth },
    injector: { kind: 'socketio', channels, rooms, namespace: config.namespace, event: config.event, uid: EMITTER_UID },
    headers: config.headers,
    subprotocols: [],
    maxPayload: 256 * 1024 * 1024,
    async waitReady(ctx) {
      const { timeout, settle } = config.readiness;
      await waitForClientSignal(ctx, timeout, `answered CONNECT with "40{…}" (namespace ${config.namespace})`, 'socketio');
      // The adapter PSUBSCRIBEs `key#nsp#*` per server: at least one must be listening.
      await pollUntilReady(
        async () => {
          const numpat = Number(await ctx.redis.call('PUBSUB', 'NUMPAT'));
          return numpat >= 1
            ? null
            : `PUBSUB NUMPAT = 0: no Socket.IO server has PSUBSCRIBEd ${config.key}#${config.namespace}#* (is the Redis adapter on this Redis?)`;
        },
        timeout,
        ctx.signal,
        'socketio target',
      );
      if (settle > 0 && !ctx.signal.aborted) await new Promise((r) => setTimeout(r, settle));
    },
    stop: async () => {},
  };
}
