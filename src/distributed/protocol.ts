/**
 * The control protocol between a coordinator (`wsbench run --agents`) and its agents
 * (`wsbench agent`), spoken over Redis Streams (docs/distributed.md has the tables). Pure: stream
 * names, message schemas (zod), encoding and decoding; distributed/control-channel.ts moves the
 * entries.
 *
 * A stream entry is five flat fields, whose names and meaning never change between versions so
 * that any version can tell a message is not for it and say why:
 *
 *     v     "wsbench-control/<version>"   checked first; a mismatch is refused, never guessed at
 *     type  the message type (per stream: see MESSAGE_TYPES)
 *     from  the sender: an agent's name, or "coordinator"
 *     seq   the sender's counter on that stream (a gap means entries were trimmed unread)
 *     body  JSON: the message; typed arrays as {"$typed": "Float32Array", "base64": "…"}
 *
 * JSON rather than msgpack (already a dependency): the bulk of what travels (encoded histograms)
 * is already base64 text that msgpack would not shrink, the rest is a few hundred bytes a second,
 * and `redis-cli XRANGE` shows a JSON body as it is — the control plane can be read by a person
 * during an incident. The only binary parts (the per-publish arrays of a worker result) go as
 * base64 of their little-endian bytes, which keeps NaN and infinities that JSON numbers cannot.
 *
 * The engine's worker messages (engine/worker-messages.ts) travel inside as they are. Their
 * fields are still moving (issues 12, 15, 16, 17), so the schemas here check only what the
 * control layer relies on (an object with a worker id and the keys that make it that message);
 * the version check guarantees both ends were built from the same types. PROTOCOL_VERSION covers
 * the envelope, these bodies and the embedded worker messages: bump it when any of them changes.
 */
import { z } from 'zod';
import type { WorkerConnected, WorkerPlan, WorkerResult, WorkerSends, WorkerSnapshot } from '../engine/worker-messages.js';
import type { PublishOutcome } from '../metrics/publish-outcomes.js';

export const PROTOCOL_NAME = 'wsbench-control';
/**
 * 2: client senders on agents (publish.via websocket): `stop-sending` on the run's control stream,
 * `sent` on its data stream, and the upstream plan's `stampShiftMs`.
 */
export const PROTOCOL_VERSION = 2;
export const PROTOCOL_ID = `${PROTOCOL_NAME}/${PROTOCOL_VERSION}`;

/** The sender name of the coordinator's messages (an agent may not take it). */
export const COORDINATOR = 'coordinator';

/** Default key prefix: every stream of the protocol lives under it. */
export const DEFAULT_PREFIX = 'wsbench:ctl';

/** Agent names: what a pod, host or container name can be (k8s names such as `agents-3` fit). */
const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Label keys as Kubernetes writes them (`topology.kubernetes.io/zone`), values as its label values. */
const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,252}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;

/** Why a name is not an agent name (null when it is one): the CLI's --name check says this. */
export function agentNameProblem(name: string): string | null {
  if (name === COORDINATOR) return `"${COORDINATOR}" is the coordinator's own sender name`;
  if (!AGENT_NAME.test(name)) return 'an agent name is 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit';
  return null;
}

/** Why a `k=v` label is not one (null when it is): keys and values as Kubernetes labels. */
export function labelProblem(key: string, value: string): string | null {
  if (!LABEL_KEY.test(key))
    return `label key "${key}" must be letters, digits, ".", "_", "-" or "/" (at most 254), starting and ending with a letter or digit`;
  if (!LABEL_VALUE.test(value))
    return `label value "${value}" must be at most 63 letters, digits, ".", "_" or "-", starting and ending with a letter or digit`;
  return null;
}

export function prefixProblem(prefix: string): string | null {
  return PREFIX.test(prefix) ? null : 'a stream prefix is 1–128 letters, digits, ":", ".", "_" or "-"';
}

/** The streams of one control namespace (`prefix`). */
export function streamKeys(prefix = DEFAULT_PREFIX) {
  return {
    /** Every agent → coordinators: register, heartbeat, leave. */
    agents: `${prefix}:agents`,
    /** Coordinator → one agent: plan, refused. */
    agent: (name: string) => `${prefix}:agent:${name}`,
    /** Coordinator → the agents of one run (one consumer group per agent). */
    runControl: (runId: string) => `${prefix}:run:${runId}:control`,
    /** The agents of one run → the coordinator (consumer group "coordinator"). */
    runData: (runId: string) => `${prefix}:run:${runId}:data`,
  };
}

/** Which stream a message travels on: each has its own set of message types. */
export type StreamRole = 'agents' | 'agent' | 'runControl' | 'runData';

/** Approximate MAXLEN per stream (`XADD … MAXLEN ~ n`): Redis trims whole nodes, so a stream may hold up to one node more. */
export const STREAM_MAXLEN: Record<StreamRole, number> = {
  // One heartbeat a second per agent: 100 agents keep 100 s of history, far more than the
  // liveness window a coordinator reads back.
  agents: 10_000,
  // Plans and refusals: a handful per run.
  agent: 100,
  // Coordinator heartbeats (1/s), clock updates and the run's few commands: 15 minutes.
  runControl: 1_000,
  // Snapshots (one per worker per snapshot interval), clocks, results: read as they come; the
  // coordinator is minutes behind before anything is trimmed unread, and `seq` shows it if so.
  runData: 100_000,
};

/** Timing of the protocol (docs/distributed.md, "Timeouts"). */
export const DEFAULT_TIMING = {
  /** An agent heart-beats this often on the agents stream. */
  heartbeatMs: 1_000,
  /** An agent silent this long (on the control Redis's clock) is lost. */
  agentLostAfterMs: 5_000,
  /** The coordinator heart-beats on each run's control stream this often. */
  coordinatorHeartbeatMs: 1_000,
  /** An agent whose coordinator is silent this long stops its clients and waits for the next run. */
  coordinatorLostAfterMs: 5_000,
  /** Both sides re-estimate their offset to Redis TIME this often during a run. */
  clockResampleMs: 10_000,
  /** Run streams expire this long after their last entry (nothing is left behind in the control Redis). */
  runStreamTtlMs: 3_600_000,
};

const agentName = z.string().refine((s) => agentNameProblem(s) === null, { message: 'not an agent name' });
const runId = z.string().regex(RUN_ID, 'a run id is 1–64 letters, digits, "_" or "-"');
const count = z.number().int().nonnegative();
const ms = z.number().finite();
const positiveMs = z.number().int().positive();

const labels = z.record(z.string().regex(LABEL_KEY, 'not a label key'), z.string().regex(LABEL_VALUE, 'not a label value'));

/** Who an agent is: sent with every register and heartbeat (a coordinator that starts late, or reads after trimming, still has it). */
const agentDescriptor = {
  name: agentName,
  /** The agent's host name (for the report and the dashboard). */
  host: z.string().min(1).max(253),
  /** Equal on two processes iff they read the same CLOCK_MONOTONIC (boot id + time namespace); null when unknown. */
  clockId: z.string().min(1).max(200).nullable(),
  pid: z.number().int().positive(),
  wsbenchVersion: z.string().min(1).max(64),
  labels,
  /** Connections this agent takes at most (--capacity); null: the coordinator decides by its cores. */
  capacity: z.number().int().positive().nullable(),
  cores: z.number().int().positive(),
  /** Its heartbeat period, so the coordinator can tell late from lost. */
  heartbeatMs: positiveMs,
};

const offsetEstimate = z.strictObject({
  offsetMs: ms,
  errorBoundMs: z.number().finite().nonnegative(),
  atMs: ms,
  bestRttMs: z.number().finite().nonnegative(),
  samplesUsed: z.number().int().positive(),
  samplesTaken: z.number().int().positive(),
  consistent: z.boolean(),
});

const agentClock = z.strictObject({
  mode: z.enum(['exact', 'estimated']),
  offsetMs: ms,
  errorBoundMs: z.number().finite().nonnegative(),
  driftPpm: ms,
  consistent: z.boolean(),
});

/** A worker message as the engine defines it: an object with a worker id and the keys that make it that message. */
function workerMessage<T>(what: string, keys: readonly string[]) {
  return z.custom<T>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      Number.isInteger((value as { workerId?: unknown }).workerId) &&
      (value as { workerId: number }).workerId >= 0 &&
      keys.every((k) => Object.hasOwn(value, k)),
    { message: `not a ${what} (an object with workerId and ${keys.join(', ')})` },
  );
}

const workerPlan = workerMessage<WorkerPlan>('worker plan', [
  'runId',
  'transport',
  'firstClient',
  'clientCount',
  'urlTemplate',
  'connectStartMs',
]);
const workerSnapshot = workerMessage<WorkerSnapshot>('worker snapshot', ['opened', 'delivered', 'errors']);
const workerConnected = workerMessage<WorkerConnected>('worker connect outcome', ['openedPerChannel', 'failed']);
const workerSends = workerMessage<WorkerSends>('worker sends', ['attemptedUpTo', 'sent', 'failed', 'lag', 'bufferedAmount']);
const workerResult = workerMessage<WorkerResult>('worker result', [
  'delivery',
  'histograms',
  'firstLatencyMs',
  'lastLatencyMs',
  'recipients',
]);

/** The engine's PublishOutcome: publishes sent, and the indices that never reached Redis (ranges or a bitmap, typed arrays). */
const publishOutcome = z.custom<PublishOutcome>(
  (value) => {
    if (typeof value !== 'object' || value === null) return false;
    const { sent, failed } = value as { sent?: unknown; failed?: unknown };
    if (!Number.isSafeInteger(sent) || (sent as number) < 0 || typeof failed !== 'object' || failed === null) return false;
    const f = failed as { ranges?: unknown; bitmap?: unknown };
    return f.ranges instanceof Uint32Array || f.bitmap instanceof Uint8Array;
  },
  { message: 'not a publish outcome ({ sent, failed: { ranges: Uint32Array } | { bitmap: Uint8Array } })' },
);

/** Every message body, by stream and type. */
export const MESSAGE_SCHEMAS = {
  agents: {
    /** An agent starts (or restarts: its seq begins again). */
    register: z.strictObject(agentDescriptor),
    heartbeat: z.strictObject({
      ...agentDescriptor,
      state: z.enum(['idle', 'busy', 'stopping']),
      /** The run it is busy with. */
      runId: runId.nullable(),
    }),
    /** An agent going away on purpose (--once done, SIGTERM): not lost. */
    leave: z.strictObject({ name: agentName, reason: z.string().max(500) }),
  },
  agent: {
    /** The coordinator will not work with this agent. The one message every version must read: its body never changes. */
    refused: z.strictObject({ reason: z.string().max(1000), coordinatorProtocol: z.string(), coordinatorVersion: z.string() }),
    /** The agent's share of a run: its workers' plans (times on the coordinator's clock). */
    plan: z.strictObject({
      runId,
      coordinator: z.strictObject({ host: z.string().min(1).max(253), clockId: z.string().min(1).max(200).nullable() }),
      plans: z.array(workerPlan).min(1),
      timing: z.strictObject({
        coordinatorHeartbeatMs: positiveMs,
        coordinatorLostAfterMs: positiveMs,
        clockResampleMs: positiveMs,
      }),
      /** False when more plans of the same coordinator run follow (its next transports): a `--once` agent stays for them. Absent: true. */
      last: z.boolean().optional(),
    }),
  },
  runControl: {
    heartbeat: z.strictObject({}),
    /** The coordinator's latest offsets to the reference (Redis TIME), for the agents' offset to it. */
    clock: z.strictObject({ estimates: z.array(offsetEstimate).min(1) }),
    /** Connecting starts at this instant of the coordinator's clock (each agent converts it with its offset). */
    start: z.strictObject({ connectStartMs: ms }),
    /** Publishing starts (ToWorker "publishing"): message 0 is due at `t0` on the coordinator's clock (each agent converts it with its offset). */
    publishing: z.strictObject({ t0: ms }),
    /** The run stops early: the workers' senders stop sending and report what they did (ToWorker "stop-sending"). */
    'stop-sending': z.strictObject({}),
    /** Publishing is over and the drain begins (ToWorker "drain"). */
    drain: z.strictObject({ publishes: publishOutcome }),
    /** Event `index` restarts the server, stopped at `at` on the coordinator's clock (ToWorker "server-restart"); each agent answers restart-ack. */
    'server-restart': z.strictObject({ index: count, at: ms }),
    /** The restarted server listens again (ToWorker "server-restarted"). */
    'server-restarted': z.strictObject({ index: count }),
    /** Publishing is over (ToWorker "finish"): what happened to every publish, to settle what each client was owed. */
    finish: z.strictObject({ publishes: publishOutcome }),
    /** Close the clients and send results (a gate stop, Ctrl-C on the coordinator). */
    stop: z.strictObject({ reason: z.string().max(500) }),
    /** Stop at once, no results (--abort-on-fail, a fatal error). */
    abort: z.strictObject({ reason: z.string().max(500) }),
  },
  runData: {
    /** The agent took its plan and started its workers. */
    accepted: z.strictObject({ name: agentName, workerIds: z.array(count).min(1) }),
    /** The agent cannot take the plan (busy, over its capacity, a plan it cannot run). */
    declined: z.strictObject({ name: agentName, reason: z.string().max(1000) }),
    /** The agent's clock against the coordinator's, at `atMs` on the coordinator's clock. */
    clock: z.strictObject({ name: agentName, clock: agentClock, atMs: ms }),
    snapshot: z.strictObject({ name: agentName, snapshot: workerSnapshot }),
    connected: z.strictObject({ name: agentName, connected: workerConnected }),
    result: z.strictObject({ name: agentName, result: workerResult }),
    /** A worker's senders are through their share of the schedule, or were told to stop (FromWorker "sent"; times on the coordinator's clock). */
    sent: z.strictObject({ name: agentName, sends: workerSends }),
    /** Every worker of the agent knows drops from now on are event `index`'s server restart. */
    'restart-ack': z.strictObject({ name: agentName, index: count }),
    fatal: z.strictObject({ name: agentName, workerId: count.nullable(), message: z.string().max(2000) }),
    /** The agent's part of the run is over; it is idle again. */
    stopped: z.strictObject({ name: agentName, reason: z.enum(['finished', 'stopped', 'aborted', 'coordinator-lost']) }),
  },
} as const;

type Schemas = typeof MESSAGE_SCHEMAS;
/** The message types of one stream. */
export type MessageType<R extends StreamRole> = keyof Schemas[R] & string;
/** A message of one stream: its type and body. */
export type ControlMessage<R extends StreamRole> = R extends StreamRole
  ? { [T in MessageType<R>]: { type: T; body: z.infer<Schemas[R][T] & z.ZodType> } }[MessageType<R>]
  : never;
/** The body of one message type. */
export type MessageBody<R extends StreamRole, T extends MessageType<R>> = z.infer<Schemas[R][T] & z.ZodType>;

export const MESSAGE_TYPES: { [R in StreamRole]: MessageType<R>[] } = {
  agents: Object.keys(MESSAGE_SCHEMAS.agents) as MessageType<'agents'>[],
  agent: Object.keys(MESSAGE_SCHEMAS.agent) as MessageType<'agent'>[],
  runControl: Object.keys(MESSAGE_SCHEMAS.runControl) as MessageType<'runControl'>[],
  runData: Object.keys(MESSAGE_SCHEMAS.runData) as MessageType<'runData'>[],
};

/** A message with its envelope, as read from a stream. */
export type Envelope<R extends StreamRole> = ControlMessage<R> & { from: string; seq: number };

/** The fields of one stream entry (XADD's field/value list), bodies validated before encoding. */
export function encodeEntry<R extends StreamRole>(
  role: R,
  message: ControlMessage<R>,
  from: string,
  seq: number,
  protocolId = PROTOCOL_ID,
): string[] {
  const schema = (MESSAGE_SCHEMAS[role] as Record<string, z.ZodType>)[message.type];
  if (!schema) throw new TypeError(`no ${message.type} message on the ${role} stream`);
  const checked = schema.safeParse(message.body);
  if (!checked.success) throw new TypeError(`${role} ${message.type}: ${describeIssues(checked.error)}`);
  return ['v', protocolId, 'type', message.type, 'from', from, 'seq', String(seq), 'body', encodeBody(message.body)];
}

export type Decoded<R extends StreamRole> =
  | { ok: true; message: Envelope<R> }
  /** Another protocol or version: refuse, never interpret. `from` is known when the entry names its sender. */
  | { ok: false; problem: 'version'; from: string | null; protocol: string; detail: string }
  | { ok: false; problem: 'invalid'; from: string | null; detail: string };

/** One stream entry's fields (as XREAD returns them) back to a message, or the one-line reason it is not one. */
export function decodeEntry<R extends StreamRole>(role: R, fields: readonly string[], protocolId = PROTOCOL_ID): Decoded<R> {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  const from = f.get('from') ?? null;
  const sender = from === null ? 'an unnamed sender' : `"${from}"`;
  const v = f.get('v');
  if (v === undefined) return { ok: false, problem: 'invalid', from, detail: `entry from ${sender} has no protocol field "v"` };
  if (v !== protocolId) {
    const wsbench = bodyVersion(f.get('body'));
    return {
      ok: false,
      problem: 'version',
      from,
      protocol: v,
      detail:
        `${sender} speaks ${v}${wsbench ? ` (wsbench ${wsbench})` : ''}, this side speaks ${protocolId}: ` +
        'run the same wsbench version on the coordinator and every agent',
    };
  }
  const type = f.get('type') ?? '';
  const schema = (MESSAGE_SCHEMAS[role] as Record<string, z.ZodType>)[type];
  if (!schema)
    return { ok: false, problem: 'invalid', from, detail: `${sender} sent "${type}", which is not a message of the ${role} stream` };
  if (from === null) return { ok: false, problem: 'invalid', from, detail: `${type} message without a sender` };
  const seq = Number(f.get('seq'));
  if (!Number.isSafeInteger(seq) || seq < 0)
    return { ok: false, problem: 'invalid', from, detail: `${type} from ${sender}: seq is not a count` };
  let body: unknown;
  try {
    body = decodeBody(f.get('body') ?? '');
  } catch (e) {
    return { ok: false, problem: 'invalid', from, detail: `${type} from ${sender}: body is not JSON (${(e as Error).message})` };
  }
  const checked = schema.safeParse(body);
  if (!checked.success) return { ok: false, problem: 'invalid', from, detail: `${type} from ${sender}: ${describeIssues(checked.error)}` };
  return { ok: true, message: { type, body: checked.data, from, seq } as unknown as Envelope<R> };
}

/**
 * The reason of a `refused` entry, whatever protocol version wrote it (its format is frozen so
 * that an agent of any version learns why it was turned away); null when the entry is not a
 * refusal.
 */
export function refusalOf(fields: readonly string[]): { reason: string; coordinatorProtocol: string; coordinatorVersion: string } | null {
  const f = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i]!, fields[i + 1]!);
  if (f.get('type') !== 'refused' || f.get('from') !== COORDINATOR) return null;
  try {
    const body = JSON.parse(f.get('body') ?? '') as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 1000) : '?');
    return {
      reason: text(body.reason),
      coordinatorProtocol: text(body.coordinatorProtocol),
      coordinatorVersion: text(body.coordinatorVersion),
    };
  } catch {
    return { reason: '(unreadable reason)', coordinatorProtocol: f.get('v') ?? '?', coordinatorVersion: '?' };
  }
}

/** The wsbench version a body of another protocol version names, if it names one (for the refusal's wording only). */
function bodyVersion(body: string | undefined): string | null {
  try {
    const v = (JSON.parse(body ?? '') as { wsbenchVersion?: unknown }).wsbenchVersion;
    return typeof v === 'string' ? v.slice(0, 64) : null;
  } catch {
    return null;
  }
}

function describeIssues(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid';
  const path = first.path.length ? `${first.path.join('.')}: ` : '';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `${path}${first.message}${more}`;
}

const TYPED_ARRAYS = {
  Float32Array,
  Float64Array,
  Int8Array,
  Int16Array,
  Int32Array,
  Uint8Array,
  Uint16Array,
  Uint32Array,
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;
type AnyTypedArray = InstanceType<(typeof TYPED_ARRAYS)[TypedArrayName]>;

/** Little-endian on the wire whatever the host's byte order. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function typedArrayName(value: unknown): TypedArrayName | null {
  for (const [name, ctor] of Object.entries(TYPED_ARRAYS)) if (value instanceof ctor) return name as TypedArrayName;
  return null;
}

/** Reverses the bytes of each `width`-byte element (little- ↔ big-endian). */
function swapBytes(bytes: Uint8Array, width: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) for (let j = 0; j < width; j++) out[i + j] = bytes[i + width - 1 - j]!;
  return out;
}

function toLittleEndianBytes(array: AnyTypedArray): Uint8Array {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  return HOST_IS_LITTLE_ENDIAN || array.BYTES_PER_ELEMENT === 1 ? bytes : swapBytes(bytes, array.BYTES_PER_ELEMENT);
}

/** JSON with typed arrays kept (as base64 of their little-endian bytes). */
export function encodeBody(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    const name = typedArrayName(v);
    if (!name) return v;
    return { $typed: name, base64: Buffer.from(toLittleEndianBytes(v as AnyTypedArray)).toString('base64') };
  });
}

export function decodeBody(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    const { $typed, base64 } = v as { $typed?: unknown; base64?: unknown };
    if (typeof $typed !== 'string' || typeof base64 !== 'string' || Object.keys(v).length !== 2) return v;
    if (!Object.hasOwn(TYPED_ARRAYS, $typed)) throw new Error(`unknown typed array ${$typed}`);
    const ctor = TYPED_ARRAYS[$typed as TypedArrayName];
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length % ctor.BYTES_PER_ELEMENT !== 0) throw new Error(`${$typed} of ${bytes.length} bytes`);
    // A copy: aligned for the element size, with its own buffer, in the host's byte order.
    const copy = HOST_IS_LITTLE_ENDIAN ? new Uint8Array(bytes) : swapBytes(bytes, ctor.BYTES_PER_ELEMENT);
    return new ctor(copy.buffer, 0, copy.length / ctor.BYTES_PER_ELEMENT);
  });
}

/** The millisecond part of a stream entry ID ("1700000000000-3"): the control Redis's clock when it was added. */
export function entryIdMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}
