/**
 * A target is what the clients connect to and how messages reach it through Redis. Each kind of
 * target is one module, `targets/<kind>.ts`, exporting one TargetAdapter: its scenario keys (a zod
 * schema), its rules across the scenario, how it is prepared and known to be ready, and the
 * client protocols and injectors it needs rebuilt in the worker processes and the publisher
 * thread. targets/registry.ts maps kinds to adapters; nothing else names a kind.
 *
 * This file holds the shared interfaces only: it imports no adapter.
 */
import type { z } from 'zod';
import type { ProcessStats, ServerSample } from '../results/types.js';
import type { RedisClient } from '../redis/client.js';
import type { PayloadPadding, StampEncoding } from '../metrics/stamp.js';
import type { TransportDescriptor } from '../transports/descriptor.js';
import type { PublishVia } from '../config/senders.js';
import type { ClientProtocolSpec, ProtocolDefinition } from './client-protocol.js';
import type { InjectorDefinition, InjectorSpec } from './injector.js';

/** What preparing a target needs to know of the run (plain values, not the whole scenario). */
export interface TargetContext {
  channelNames: readonly string[];
  /** Client connections of the run. */
  connections: number;
  /** Where wsbench publishes (a started reference server subscribes there too). */
  redisUrl: string;
  /** The coordinator's connection to that Redis (for what a target must look at before clients connect). */
  redis?: RedisClient;
  /** longpoll: how long the server may hold a request (the reference server is started with it). */
  longPollTimeoutMs: number;
  /** Who sends the schedule's messages: wsbench into Redis, or the clients through their WebSocket (senders). */
  publishVia: PublishVia;
  /** Folder that relative paths in the scenario (certificate files) start from. */
  baseDir?: string;
  /** What the clients trust (clients.tls, CA files read): for the target's own requests to the server. */
  tls?: { ca: string[]; rejectUnauthorized: boolean };
}

export interface ReadinessContext {
  /** The transport whose clients are connecting. */
  transport: TransportDescriptor;
  redis: RedisClient;
  channelNames: readonly string[];
  /** Open connections per channel index. */
  openedPerChannel: readonly number[];
  /** Clients that gave their protocol's readiness signal so far, and the first unexpected message. */
  clientReadiness(): { ready: number; opened: number; problem: string | null };
  signal: AbortSignal;
}

export interface PreparedTarget {
  /** Short description for messages: "builtin ws://127.0.0.1:41234". */
  describe: string;
  /**
   * Said when no connection could be opened because the server answered the upgrade with an HTTP
   * error (a 404 usually means the adapter's path is not the server's): what the adapter expected.
   */
  connectHint?: string;
  /** Client URL template with {channel} (URL-encoded name) and {client}. */
  urlTemplate: string;
  /**
   * Client URL template for a client in several channels ({channels}: their URL-encoded names,
   * comma-separated), when it differs from urlTemplate (the reference server's /ws?channels=…).
   */
  severalChannelsUrlTemplate?: string;
  /** URL template of the HTTP polling endpoint; absent when the target has none. */
  pollUrlTemplate?: string;
  /** What clients send, answer and ignore on their connection (plain data: it travels to workers). */
  clientProtocol: ClientProtocolSpec;
  /** How the publisher puts a payload into the stack (plain data: it travels to the publisher thread). */
  injector: InjectorSpec;
  /**
   * How a client sends a message of the schedule for the app to publish (publish.via websocket),
   * plain data that travels to the workers; absent when the target takes no messages from clients.
   */
  upstream?: UpstreamSpec;
  headers: Record<string, string>;
  subprotocols: string[];
  maxPayload: number;
  /** PEM certificates the clients trust in addition to their own settings (a server's generated certificate). */
  trustedCa?: string[];
  /** Resolves when every open client is subscribed; throws TARGET_NOT_READY on timeout. */
  waitReady(ctx: ReadinessContext): Promise<void>;
  /** Extra wait after readiness, before the first publish (`readiness.settle`). */
  settleMs: number;
  /**
   * A client that (re)connects while publishing is owed messages from its own readiness — its
   * protocol's signal, or its open when the protocol has none — plus this: 0 where that is exact
   * (a server that answers the upgrade once the client is subscribed; a subscribe confirmation);
   * for a target whose subscriptions only Redis can see, a conservative wait (unobservedReadyMs).
   */
  readyDelayMs: number;
  /** CPU and event-loop figures of the server when wsbench runs it. */
  serverStats?(): Promise<ProcessStats | undefined>;
  /** Restart server CPU accounting (at the start of each transport's measured run). */
  resetServerStats?(): void;
  /** The server's memory and queued bytes now (the builtin target: its /stats), for the timeline; undefined when it cannot tell. */
  sampleServer?(): Promise<ServerSample | undefined>;
  /**
   * What the server wsbench runs for the target says as it happens (its process exited, its
   * Redis subscriber was dropped or restored); returns a function that stops listening.
   */
  watch?(listener: (notice: TargetNotice) => void): () => void;
  /**
   * Restarts the server wsbench runs for the target (stops its processes, starts them again on the
   * same address), as a deploy would; resolves with a description once it accepts connections
   * again. Only targets whose server wsbench starts have it.
   */
  restart?(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A sender's message as the app expects it: `template` with `{payload}` (the stamped payload, text
 * or binary as `publish.encoding` says), `{channel}` and `{client}` (the sender's) filled in. A
 * template other than exactly `{payload}` is text, so it needs text payloads.
 */
export interface UpstreamSpec {
  template: string;
}

/** The template of a message that is the payload itself (the reference server, raw relays, ws4redis). */
export const VERBATIM_UPSTREAM: UpstreamSpec = { template: '{payload}' };

/** Something the target's server said or did, at monotonic time `at` (on this host's one clock). */
export type TargetNotice =
  /** The server process wsbench started exited while the run still needed it. */
  | { type: 'exited'; detail: string; at: number }
  /** Its Redis subscriber was dropped, or is subscribed again. */
  | { type: 'incident'; kind: 'subscriber-dropped' | 'subscriber-restored'; detail: string; at: number };

/** The rest of the scenario, as a target's cross-field rules see it. */
export interface ScenarioFacts {
  channelCount: number;
  /** The most channels one client is a member of (clients.channelsPerClient, clients.membership); 1 by default. */
  channelsPerClient: number;
  encoding: StampEncoding;
  publishVia: PublishVia;
  /** What fills payloads behind the stamp (publish.padding). */
  padding: PayloadPadding;
}

/** A broken cross-field rule: the key under `target` it is about, and what is wrong. */
export interface TargetIssue {
  path: (string | number)[];
  message: string;
}

/** The schema of one kind's `target` keys: a strict object whose `kind` is a literal. */
export type TargetSchema = z.ZodType<{ kind: string }>;
export type TargetConfigOf<S extends TargetSchema> = z.output<S>;

export interface TargetAdapter<S extends TargetSchema = TargetSchema> {
  /** The `target.kind` this adapter answers to. */
  readonly kind: TargetConfigOf<S>['kind'];
  /** Its scenario keys; the scenario's `target` is the union of every adapter's schema. */
  readonly schema: S;
  /** The stack carries payloads as text (a JSON string, a text frame): binary stamps are refused. */
  readonly textOnly: boolean;
  /** `publish.encoding` when the scenario does not say. */
  readonly defaultEncoding: StampEncoding;
  /** Serves the HTTP polling endpoint that the longpoll and poll transports need. */
  readonly pollEndpoint: boolean;
  /**
   * One connection can carry several channels (clients.channelsPerClient > 1): the client URL's
   * `{channels}` or the client protocol's subscriptions (ProtocolContext.channels) name them all.
   */
  readonly severalChannelsPerConnection?: boolean;
  /** Whether preparing it starts a server (shown as the `starting-server` phase). */
  startsServer(config: TargetConfigOf<S>): boolean;
  /** Rules between the target's keys and the rest of the scenario (checked with the scenario). */
  check?(config: TargetConfigOf<S>, scenario: ScenarioFacts): TargetIssue[];
  prepare(config: TargetConfigOf<S>, ctx: TargetContext): PreparedTarget | Promise<PreparedTarget>;
  /** Client protocols its prepared targets name (rebuilt in each worker from their spec). */
  readonly clientProtocols?: readonly ProtocolDefinition[];
  /** Injectors its prepared targets name (rebuilt on the publisher thread from their spec). */
  readonly injectors?: readonly InjectorDefinition[];
}

/** Declares an adapter with its config type inferred from its schema. */
export function defineTarget<S extends TargetSchema>(adapter: TargetAdapter<S>): TargetAdapter<S> {
  return adapter;
}
