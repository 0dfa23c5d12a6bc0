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
import type { Scenario } from '../config/resolve.js';
import { fillTemplate } from './template.js';
import { Verdict, preview, type ClientProtocolFactory } from './client-protocol.js';
import type { Injector } from './injector.js';
import { waitForClientSignal, type PreparedTarget } from './target.js';

type CentrifugoConfig = Extract<Scenario['target'], { kind: 'centrifugo' }>;

export interface CentrifugoProtocolSpec {
  kind: 'centrifugo';
  /** Centrifugo channel name template ({channel}, {client}). */
  channel: string;
  /** Body of the connect command as JSON text (token, name, data …), {} for none. */
  connect: string;
}

export interface CentrifugoInjectorSpec {
  kind: 'centrifugo';
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

export function subscribeCommand(channel: string): string {
  return JSON.stringify({ id: 2, subscribe: { channel } });
}

export function publishBody(channel: string, field: string, payload: string): string {
  return JSON.stringify({ channel, data: { [field]: payload } });
}

const enum State {
  AwaitConnect,
  AwaitSubscribe,
  Ready,
  Failed,
}

interface Reply {
  id?: number;
  error?: { code?: number; message?: string };
  connect?: unknown;
  subscribe?: unknown;
  push?: unknown;
}

export const centrifugoProtocol: ClientProtocolFactory<CentrifugoProtocolSpec> = (spec, ctx) => {
  let state = State.AwaitConnect;
  let problem: string | null = null;
  const channel = fillTemplate(spec.channel, ctx.channel, ctx.clientIndex);
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
    opened() {
      ctx.send(connectCommand(spec.connect));
    },
    received(frame, start, end) {
      const length = end - start;
      const newline = frame.indexOf(0x0a, start);
      const batched = newline >= 0 && newline < end - 1;
      // Hot path: one push per frame ({"push":…}); several replies share a frame when batched.
      if (length > 3 && frame[start + 2] === 0x70 /* p */ && frame[start + 3] === 0x75 /* u */ && frame[start] === 0x7b)
        return batched ? Verdict.Batch : Verdict.Data;
      if (length === 2 && frame[start] === 0x7b && frame[start + 1] === 0x7d) {
        ctx.send('{}');
        return Verdict.Control;
      }
      if (batched) return Verdict.Batch;
      const data = frame.subarray(start, newline >= 0 && newline < end ? newline : end);
      let reply: Reply;
      try {
        reply = JSON.parse(data.toString('utf8')) as Reply;
      } catch {
        if (state === State.Ready) return fail(`expected a Centrifugo JSON reply, got ${preview(data)}`);
        return fail(
          `expected the Centrifugo ${state === State.AwaitConnect ? 'connect' : 'subscribe'} reply {"id":${state === State.AwaitConnect ? 1 : 2},…}, got ${preview(data)}`,
        );
      }
      if (reply === null || typeof reply !== 'object') return fail(`expected a Centrifugo JSON reply, got ${preview(data)}`);
      if (reply.error)
        return fail(
          `Centrifugo answered command ${reply.id ?? '?'} with error ${reply.error.code ?? ''} ${reply.error.message ?? ''}`.trim(),
        );
      switch (state) {
        case State.AwaitConnect:
          if (reply.id === 1 && reply.connect !== undefined) {
            state = State.AwaitSubscribe;
            ctx.send(subscribeCommand(channel));
            return Verdict.Control;
          }
          return fail(`expected the Centrifugo connect reply {"id":1,"connect":{…}}, got ${preview(data)}`);
        case State.AwaitSubscribe:
          if (reply.id === 2 && reply.subscribe !== undefined) {
            state = State.Ready;
            return Verdict.Control;
          }
          if (reply.push !== undefined) return Verdict.Control; // e.g. a server-side subscription's join
          return fail(`expected the Centrifugo subscribe reply {"id":2,"subscribe":{…}} for "${channel}", got ${preview(data)}`);
        default:
          return Verdict.Control;
      }
    },
  };
};

export function createCentrifugoInjector(spec: CentrifugoInjectorSpec): Injector {
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
                return reject(new Error(`POST ${spec.publishUrl} answered ${res.statusCode}: ${text.slice(0, 200)}`));
              try {
                const reply = JSON.parse(text) as { error?: { code?: number; message?: string } };
                if (reply.error)
                  return reject(new Error(`Centrifugo publish error ${reply.error.code ?? ''}: ${reply.error.message ?? ''}`));
              } catch {
                return reject(new Error(`POST ${spec.publishUrl}: not JSON: ${text.slice(0, 200)}`));
              }
              resolve(-1); // Centrifugo does not say how many subscribers got it.
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`POST ${spec.publishUrl}: no answer within 5 s`)));
        req.on('error', reject);
        req.end(body);
      });
    },
  };
}

export function prepareCentrifugoTarget(config: CentrifugoConfig, scenario: Scenario): PreparedTarget {
  const channels = scenario.channelNames.map((name) => fillTemplate(config.channel, name, 0));
  const base = config.url.replace(/\/+$/, '');
  const urlTemplate = `${base}${config.path}`;
  const apiBase = (config.apiUrl ?? base.replace(/^ws/i, 'http')).replace(/\/+$/, '');
  const { timeout, settle } = config.readiness;
  return {
    describe: `centrifugo ${urlTemplate}`,
    urlTemplate,
    connectHint: `the centrifugo adapter expects the JSON WebSocket endpoint at ${config.path} (target.path)`,
    clientProtocol: { kind: 'centrifugo', channel: config.channel, connect: JSON.stringify(config.connect) },
    injector: {
      kind: 'centrifugo',
      publishUrl: `${apiBase}/api/publish`,
      headers:
        config.apiKey === undefined
          ? {}
          : { [config.apiKeyHeader]: config.apiKeyHeader.toLowerCase() === 'authorization' ? `apikey ${config.apiKey}` : config.apiKey },
      channels,
      field: config.field,
      connections: config.apiConnections,
    },
    headers: config.headers,
    subprotocols: [],
    maxPayload: 256 * 1024 * 1024,
    async waitReady(ctx) {
      await waitForClientSignal(ctx, timeout, `got the subscribe reply {"id":2,"subscribe":{…}}`, 'centrifugo');
      if (settle > 0 && !ctx.signal.aborted) await new Promise((r) => setTimeout(r, settle));
    },
    stop: async () => {},
  };
}
