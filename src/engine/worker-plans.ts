/**
 * What each client worker is told to do for one transport: its share of the clients, where they
 * connect and how (the target's endpoint for this transport, the protocol they speak), its share
 * of the handshakes in flight, and what the publisher will send. Pure: plans are plain data that
 * travel to the workers (a child process today, a remote agent later).
 */
import type { Scenario } from '../config/resolve.js';
import { WsbenchError } from '../errors.js';
import { PLAIN_PROTOCOL } from '../targets/client-protocol.js';
import type { PreparedTarget } from '../targets/target.js';
import type { TransportDescriptor, TransportSettings } from '../transports/descriptor.js';
import type { TransportName } from '../transports/registry.js';
import type { IntervalGridSpec } from './interval-grid.js';
import type { LifecycleEvent, LifecyclePlan, ReconnectPolicy, UpstreamPlan, WorkerPlan } from './worker-messages.js';
import type { ClientTlsOptions } from '../transports/tls.js';
import { clientCompression } from './connection-settings.js';
import { readThrottleOf, slowClientCount } from '../config/slow-clients.js';
import { senderPoolSize } from '../config/senders.js';
import { channelsOfClient, maxChannelsPerClient, membersPerChannel, membershipOf, type MembershipSpec } from '../config/membership.js';
import { targetAdapter } from '../targets/registry.js';
import { transportDescriptor } from '../transports/registry.js';

/** Per-publish first/last tracking is bounded to keep worker memory flat on long runs. */
export const PER_PUBLISH_LIMIT = 4_000_000;

/** The scenario's settings every transport may read. */
export function transportSettings(scenario: Pick<Scenario, 'clients' | 'polling'>): TransportSettings {
  return {
    websocketClient: scenario.clients.wsClient,
    pollIntervalMs: scenario.polling.interval,
    longPollHoldMs: scenario.polling.longPollTimeout,
  };
}

/** The URL template this transport's clients connect to (the schema refuses targets without it). */
export function endpointOf(
  target: Pick<PreparedTarget, 'describe' | 'urlTemplate' | 'pollUrlTemplate'>,
  transport: TransportDescriptor,
): string {
  const url = transport.needsPollEndpoint ? target.pollUrlTemplate : target.urlTemplate;
  if (!url) throw new WsbenchError('CONFIG', `${target.describe} has no polling endpoint for transport ${transport.name}`);
  return url;
}

export interface PlanInput {
  scenario: Pick<
    Scenario,
    'clients' | 'polling' | 'channelNames' | 'encoding' | 'publish' | 'load' | 'events' | 'senders' | 'target' | 'stages'
  >;
  target: Pick<
    PreparedTarget,
    'describe' | 'headers' | 'subprotocols' | 'clientProtocol' | 'maxPayload' | 'readyDelayMs' | 'upstream' | 'severalChannelsUrlTemplate'
  >;
  transport: TransportName;
  descriptor: TransportDescriptor;
  urlTemplate: string;
  /** The stamp run id of this transport. */
  runId: string;
  workers: number;
  publishes: { warmup: number; total: number };
  localAddresses: string[];
  snapshotIntervalMs: number;
  /** monotonicMs() at which the global ramp starts. */
  connectStartMs: number;
  /** The timeline's grid. */
  timeline: IntervalGridSpec;
  /** The clients' TLS settings (engine/connection-settings.ts). */
  tls?: ClientTlsOptions;
}

/**
 * Deals `total` clients out to `workers` in turn: worker w gets w, w + workers, w + 2·workers, …
 * So clients below any level — what the load's curve wants, what a storm takes by index — are
 * shared by the workers alike, and the connect ramp interleaves them.
 */
export function interleaveClients(total: number, workers: number): { first: number; count: number; stride: number }[] {
  return Array.from({ length: workers }, (_, w) => ({
    first: w,
    count: w < total ? Math.ceil((total - w) / workers) : 0,
    stride: workers,
  }));
}

/** A policy as the workers get it (ms). */
function reconnectPolicy(r: NonNullable<Scenario['events']>[number]['reconnect']): ReconnectPolicy {
  return {
    afterMs: r.after,
    jitterMs: r.jitter,
    backoff: { initialMs: r.backoff.initial, maxMs: r.backoff.max, factor: r.backoff.factor },
  };
}

/** A load that never changes: the clients opened first stay until the end (benches, hand-made plans). */
export const STEADY_LIFECYCLE: LifecyclePlan = {
  connections: null,
  spanMs: Number.POSITIVE_INFINITY,
  churnPerSec: 0,
  events: [],
  readyDelayMs: 0,
};

/** What happens to the connections while publishing, for one worker (its share of the churn). */
export function lifecyclePlan(
  scenario: Pick<Scenario, 'clients' | 'load' | 'events'>,
  target: Pick<PreparedTarget, 'readyDelayMs'>,
  workers: number,
): LifecyclePlan {
  const { load } = scenario;
  const initial = scenario.clients.connections;
  const constant = load.connections.every((s) => s.from === initial && s.to === initial);
  const events: LifecycleEvent[] = (scenario.events ?? []).map((e, index) =>
    e.serverRestart
      ? { index, kind: 'server-restart', atMs: e.at, reconnect: reconnectPolicy(e.reconnect) }
      : {
          index,
          kind: 'disconnect',
          atMs: e.at,
          fraction: e.disconnect ?? 1,
          how: e.how ?? 'close',
          reconnect: reconnectPolicy(e.reconnect),
        },
  );
  return {
    connections: constant ? null : load.connections,
    spanMs: load.spanMs,
    churnPerSec: (scenario.clients.churn ?? 0) / workers,
    events,
    readyDelayMs: target.readyDelayMs,
  };
}

/** What the senders need when clients send the schedule (publish.via websocket), or null. */
export function upstreamPlan(input: Pick<PlanInput, 'scenario' | 'target'>): UpstreamPlan | null {
  const { scenario, target } = input;
  if (scenario.senders === 0) return null;
  // The scenario's rules refuse such a target before anything starts.
  if (!target.upstream) throw new WsbenchError('CONFIG', `${target.describe} takes no messages from clients (publish.via websocket)`);
  return {
    senders: scenario.senders,
    pool: senderPoolSize(scenario.clients.connections, scenario.stages),
    echo: scenario.publish.echo,
    template: target.upstream.template,
    payloadSize: scenario.publish.payloadSize,
    padding: scenario.publish.padding,
  };
}

/**
 * Whether clients in several channels open a connection per (client, channel): the target cannot
 * subscribe one connection to several channels, or the transport polls (a poll reads one channel).
 */
export function connectionPerChannel(
  scenario: Pick<Scenario, 'clients' | 'channelNames' | 'target'>,
  descriptor: Pick<TransportDescriptor, 'needsPollEndpoint'>,
): boolean {
  if (membershipOf(scenario.clients, scenario.channelNames) === null) return false;
  return !targetAdapter(scenario.target.kind).severalChannelsPerConnection || descriptor.needsPollEndpoint;
}

/** Connections clients [0, clients) open: one each, or one per (client, channel) (connectionPerChannel). */
export function connectionsOfClients(
  scenario: Pick<Scenario, 'clients' | 'channelNames' | 'target'>,
  descriptor: Pick<TransportDescriptor, 'needsPollEndpoint'>,
  clients: number,
): number {
  if (!connectionPerChannel(scenario, descriptor)) return clients;
  const membership = membershipOf(scenario.clients, scenario.channelNames);
  return membersPerChannel(membership, clients, scenario.channelNames.length).reduce((a, b) => a + b, 0);
}

/** Memberships of a worker's clients (first, first + stride, … count of them): its connections with one per (client, channel). */
function membershipsOfRange(
  membership: MembershipSpec | null,
  range: { first: number; count: number; stride: number },
  channelCount: number,
): number {
  if (membership === null || 'perClient' in membership) return range.count * maxChannelsPerClient(membership);
  let memberships = 0;
  for (let i = 0; i < range.count; i++) memberships += channelsOfClient(membership, range.first + i * range.stride, channelCount).length;
  return memberships;
}

/**
 * Connections a worker's clients (first, first + stride, … count of them) open in the scenario:
 * one each, or one per (client, channel) (connectionPerChannel) — the most over its transports,
 * which run in turn. What an agent's stated capacity (connections) is measured against.
 */
export function connectionsOfRange(
  scenario: Pick<Scenario, 'clients' | 'channelNames' | 'target' | 'transports'>,
  range: { first: number; count: number; stride: number },
): number {
  if (!scenario.transports.some((t) => connectionPerChannel(scenario, transportDescriptor(t)))) return range.count;
  return membershipsOfRange(membershipOf(scenario.clients, scenario.channelNames), range, scenario.channelNames.length);
}

export function workerPlans(input: PlanInput): WorkerPlan[] {
  const { scenario, target } = input;
  const connections = scenario.clients.connections;
  const upstream = upstreamPlan(input);
  const lifecycle = lifecyclePlan(scenario, target, input.workers);
  // Polling clients cannot send upstream: they speak plain whatever the target.
  const clientProtocol = input.descriptor.usesTargetProtocol ? target.clientProtocol : PLAIN_PROTOCOL;
  // Clients in several channels: one connection each (at the target's URL for several channels
  // when it has one), or a connection per (client, channel) where one cannot carry several.
  const membership = membershipOf(scenario.clients, scenario.channelNames);
  const perChannel = connectionPerChannel(scenario, input.descriptor);
  const urlTemplate =
    membership && !perChannel && target.severalChannelsUrlTemplate ? target.severalChannelsUrlTemplate : input.urlTemplate;
  return interleaveClients(scenario.load.maxConnections, input.workers).map((range, workerId) => ({
    workerId,
    runId: input.runId,
    transport: input.transport,
    transportSettings: transportSettings(scenario),
    firstClient: range.first,
    clientCount: range.count,
    clientStride: range.stride,
    totalClients: connections,
    channelNames: scenario.channelNames,
    urlTemplate,
    headers: target.headers,
    subprotocols: target.subprotocols,
    clientProtocol,
    rampUpMs: scenario.clients.rampUp,
    connectStartMs: input.connectStartMs,
    maxInFlight: Math.max(1, Math.ceil(scenario.clients.maxHandshakesInFlight / input.workers)),
    connectTimeoutMs: scenario.clients.connectTimeout,
    maxPayload: target.maxPayload,
    encoding: scenario.encoding,
    totalPublishes: input.publishes.total,
    warmupPublishes: input.publishes.warmup,
    snapshotIntervalMs: input.snapshotIntervalMs,
    perPublishLimit: PER_PUBLISH_LIMIT,
    localAddresses: input.localAddresses,
    timeline: input.timeline,
    publishRate: scenario.load.rate,
    lifecycle,
    upstream,
    ...(input.tls ? { tls: input.tls } : {}),
    ...(membership ? { membership } : {}),
    ...(perChannel
      ? { connectionPerChannel: true as const, connections: membershipsOfRange(membership, range, scenario.channelNames.length) }
      : {}),
    ...(scenario.clients.slow
      ? {
          slow: {
            clients: slowClientCount(scenario.clients.slow.fraction, connections),
            readThrottle: readThrottleOf(scenario.clients.slow),
          },
        }
      : {}),
    // permessage-deflate is a WebSocket extension: polling clients never offer it.
    ...(scenario.clients.compression !== 'off' && !input.descriptor.needsPollEndpoint
      ? { compression: clientCompression(scenario, clientProtocol) }
      : {}),
  }));
}
