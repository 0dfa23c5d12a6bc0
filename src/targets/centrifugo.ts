/**
 * Target `centrifugo`: Centrifugo's JSON client protocol (v4/v5 style: `{}` pings).
 *
 * The client sends `{"id":1,"connect":{…}}`; after the connect reply it sends
 * `{"id":2,"subscribe":{"channel":…}}`; the subscribe reply is the readiness signal. Publications
 * arrive as `{"push":{"channel":…,"pub":{"data":{…}}}}`; the server may put several replies in one
 * frame separated by newlines (handed back to the pool as a batch) and pings with `{}`, which the
 * client must answer with `{}`.
 *
 * Centrifugo's Redis encoding is internal, so wsbench injects through its HTTP API:
 * POST `{api}/api/publish` `{"channel":…,"data":{"<field>":"WSB1…"}}` with the API key header.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { z } from 'zod';
import { WsbenchError } from '../errors.js';
import { headers, publicHeaders, stackReadiness, wsUrlTemplate } from '../config/fields.js';
import { HandshakeProtocol, Verdict, defineProtocol, preview, type ClientProtocolSpec, type ProtocolContext } from './client-protocol.js';
import { defineInjector, type InjectorSpec } from './injector.js';
import { waitForClientSignal } from './readiness.js';
import { fillTemplate } from './template.js';
import { defineTarget } from './target.js';
import { PAYLOAD_SLOT, jsonTemplate, textTemplateIssues } from './upstream.js';

const KIND = 'centrifugo';

const schema = z
  .strictObject({
    kind: z.literal(KIND),
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

export interface CentrifugoProtocolSpec extends ClientProtocolSpec {
  kind: typeof KIND;
  /** Centrifugo channel name template ({channel}, {client}). */
  channel: string;
  /** Body of the connect command as JSON text (token, name, data …), {} for none. */
  connect: string;
}

export interface CentrifugoInjectorSpec extends InjectorSpec {
  kind: typeof KIND;
  /** POST target, e.g. http://127.0.0.1:8000/api/publish. */
  publishUrl: string;
  headers: Record<string, string>;
  /** Centrifugo channel per scenario channel. */
  channels: string[];
  field: string;
  /** Keep-alive connections to the API: 1 keeps publishes in order. */
  connections: number;
}

export function connectCommand(connect: string): string {
  return `{"id":1,"connect":${connect}}`;
}

export function subscribeCommand(channel: string, id = SUBSCRIBE_ID): string {
  return JSON.stringify({ id, subscribe: { channel } });
}

/** Command id of the (first) subscribe; a client in several channels numbers the others from SUBSCRIBE_MORE_ID. */
const SUBSCRIBE_ID = 2;
const SUBSCRIBE_MORE_ID = 100;

/** The id of the subscribe to a client's `j`-th channel. */
function subscribeIdOf(j: number): number {
  return j === 0 ? SUBSCRIBE_ID : SUBSCRIBE_MORE_ID + j;
}

/**
 * A sender's publish command of the client protocol, `{"id":3,"publish":{"channel":…,"data":{"<field>":"{payload}"}}}`,
 * as a template; the channel's namespace must allow publishing by subscribers (Centrifugo v5
 * `allow_publish_for_subscriber`, v4 `publish: true`). Every publish has id 3: its reply is a
 * control message (a refusal is an error reply, reported as such).
 */
export function publishCommandTemplate(channel: string, field: string): string {
  return jsonTemplate({ id: 3, publish: { channel, data: { [field]: PAYLOAD_SLOT } } });
}

export function publishBody(channel: string, field: string, payload: string): string {
  return JSON.stringify({ channel, data: { [field]: payload } });
}

interface Reply {
  id?: number;
  error?: { code?: number; message?: string };
  connect?: unknown;
  subscribe?: unknown;
  push?: unknown;
}

class CentrifugoProtocol extends HandshakeProtocol {
  /** The connect reply arrived and the subscribe commands were sent; waiting for their replies. */
  private subscribing = false;
  /** The Centrifugo channel of each of the client's channels (several: one subscription each on this connection). */
  private readonly channels: string[];
  private unconfirmed: number;

  constructor(
    private readonly spec: CentrifugoProtocolSpec,
    private readonly ctx: ProtocolContext,
  ) {
    super();
    this.channels = (ctx.channels ?? [ctx.channel]).map((channel) => fillTemplate(spec.channel, channel, ctx.clientIndex));
    this.unconfirmed = this.channels.length;
  }

  private get channel(): string {
    return this.channels.join('", "');
  }

  opened(): void {
    this.ctx.send(connectCommand(this.spec.connect));
  }

  received(frame: Buffer, start: number, end: number): Verdict {
    const length = end - start;
    const newline = frame.indexOf(0x0a, start);
    const batched = newline >= 0 && newline < end - 1;
    // Hot path: one push per frame ({"push":…}); several replies share a frame when batched.
    if (length > 3 && frame[start + 2] === 0x70 /* p */ && frame[start + 3] === 0x75 /* u */ && frame[start] === 0x7b)
      return batched ? Verdict.Batch : Verdict.Data;
    if (length === 2 && frame[start] === 0x7b && frame[start + 1] === 0x7d) {
      this.ctx.send('{}');
      return Verdict.Control;
    }
    if (batched) return Verdict.Batch;
    const data = frame.subarray(start, newline >= 0 && newline < end ? newline : end);
    let reply: Reply;
    try {
      reply = JSON.parse(data.toString('utf8')) as Reply;
    } catch {
      if (this.ready) return this.fail(`expected a Centrifugo JSON reply, got ${preview(data)}`);
      return this.fail(
        `expected the Centrifugo ${this.subscribing ? 'subscribe' : 'connect'} reply {"id":${this.subscribing ? 2 : 1},…}, got ${preview(data)}`,
      );
    }
    if (reply === null || typeof reply !== 'object') return this.fail(`expected a Centrifugo JSON reply, got ${preview(data)}`);
    if (reply.error)
      return this.fail(
        `Centrifugo answered command ${reply.id ?? '?'} with error ${reply.error.code ?? ''} ${reply.error.message ?? ''}`.trim(),
      );
    if (this.ready || this.failed) return Verdict.Control;
    if (!this.subscribing) {
      if (reply.id === 1 && reply.connect !== undefined) {
        this.subscribing = true;
        this.channels.forEach((channel, j) => this.ctx.send(subscribeCommand(channel, subscribeIdOf(j))));
        return Verdict.Control;
      }
      return this.fail(`expected the Centrifugo connect reply {"id":1,"connect":{…}}, got ${preview(data)}`);
    }
    if (reply.subscribe !== undefined && typeof reply.id === 'number' && this.isSubscribeId(reply.id))
      return --this.unconfirmed === 0 ? this.becomeReady() : Verdict.Control;
    if (reply.push !== undefined) return Verdict.Control; // e.g. a server-side subscription's join
    return this.fail(`expected the Centrifugo subscribe reply {"id":2,"subscribe":{…}} for "${this.channel}", got ${preview(data)}`);
  }

  private isSubscribeId(id: number): boolean {
    return id === SUBSCRIBE_ID || (id > SUBSCRIBE_MORE_ID && id < SUBSCRIBE_MORE_ID + this.channels.length);
  }
}

export const centrifugoProtocol = defineProtocol<CentrifugoProtocolSpec>(KIND, (spec, ctx) => new CentrifugoProtocol(spec, ctx));

export const centrifugoInjector = defineInjector<CentrifugoInjectorSpec>(KIND, (spec) => {
  // node:http on keep-alive connections: far cheaper per publish than fetch. With one (the
  // default) publishes reach Centrifugo in order; parallel requests overtake each other and show
  // up as reordering the server did not cause. An API slower than the rate shows as publisher lag.
  const url = new URL(spec.publishUrl);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const agent = new (url.protocol === 'https:' ? HttpsAgent : HttpAgent)({ keepAlive: true, maxSockets: spec.connections });
  return {
    inject(channel, payload) {
      const body = publishBody(spec.channels[channel]!, spec.field, payload.toString('latin1'));
      return new Promise<number>((resolve, reject) => {
        const req = request(
          url,
          {
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...spec.headers },
            timeout: 5000,
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => {
              if ((res.statusCode ?? 0) >= 300)
                return reject(
                  new WsbenchError('PUBLISH_FAILED', `POST ${spec.publishUrl} answered ${res.statusCode}: ${text.slice(0, 200)}`),
                );
              try {
                const reply = JSON.parse(text) as { error?: { code?: number; message?: string } };
                if (reply.error)
                  return reject(
                    new WsbenchError('PUBLISH_FAILED', `Centrifugo publish error ${reply.error.code ?? ''}: ${reply.error.message ?? ''}`),
                  );
              } catch {
                return reject(new WsbenchError('PUBLISH_FAILED', `POST ${spec.publishUrl}: not JSON: ${text.slice(0, 200)}`));
              }
              resolve(-1); // Centrifugo does not say how many subscribers got it.
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new WsbenchError('PUBLISH_FAILED', `POST ${spec.publishUrl}: no answer within 5 s`)));
        req.on('error', reject);
        req.end(body);
      });
    },
  };
});

export const centrifugo = defineTarget({
  kind: KIND,
  schema,
  textOnly: true,
  defaultEncoding: 'text',
  pollEndpoint: false,
  startsServer: () => false,
  // One subscribe command per channel on one connection.
  severalChannelsPerConnection: true,
  clientProtocols: [centrifugoProtocol],
  injectors: [centrifugoInjector],
  check: (config, scenario) => textTemplateIssues(publishCommandTemplate(config.channel, config.field), ['field'], scenario),

  prepare(config, ctx) {
    const channels = ctx.channelNames.map((name) => fillTemplate(config.channel, name, 0));
    const base = config.url.replace(/\/+$/, '');
    const urlTemplate = `${base}${config.path}`;
    const apiBase = (config.apiUrl ?? base.replace(/^ws/i, 'http')).replace(/\/+$/, '');
    const { timeout, settle } = config.readiness;
    return {
      describe: `${KIND} ${urlTemplate}`,
      urlTemplate,
      connectHint: `the ${KIND} adapter expects the JSON WebSocket endpoint at ${config.path} (target.path)`,
      clientProtocol: { kind: KIND, channel: config.channel, connect: JSON.stringify(config.connect) } satisfies CentrifugoProtocolSpec,
      upstream: { template: publishCommandTemplate(config.channel, config.field) },
      injector: {
        kind: KIND,
        publishUrl: `${apiBase}/api/publish`,
        headers:
          config.apiKey === undefined
            ? {}
            : { [config.apiKeyHeader]: config.apiKeyHeader.toLowerCase() === 'authorization' ? `apikey ${config.apiKey}` : config.apiKey },
        channels,
        field: config.field,
        connections: config.apiConnections,
      } satisfies CentrifugoInjectorSpec,
      headers: config.headers,
      subprotocols: [],
      maxPayload: 256 * 1024 * 1024,
      settleMs: settle,
      // Its subscribe confirmation is sent once the subscription exists.
      readyDelayMs: 0,
      waitReady: (ready) => waitForClientSignal(ready, timeout, `got the subscribe reply {"id":2,"subscribe":{…}}`, KIND),
      stop: async () => {},
    };
  },
});
