/**
 * The control protocol's messages (distributed/protocol.ts): every message type of every stream
 * encodes and decodes to itself (worker messages embedded as the engine makes them, typed arrays
 * included); invalid entries are refused with a line that says what and from whom; another
 * protocol version is refused, never interpreted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  COORDINATOR,
  DEFAULT_PREFIX,
  MESSAGE_SCHEMAS,
  MESSAGE_TYPES,
  PROTOCOL_ID,
  STREAM_MAXLEN,
  agentNameProblem,
  decodeBody,
  decodeEntry,
  encodeBody,
  encodeEntry,
  entryIdMs,
  labelProblem,
  prefixProblem,
  refusalOf,
  streamKeys,
  type ControlMessage,
  type StreamRole,
} from '../../src/distributed/protocol.js';
import { parseScenarioText } from '../../src/config/load.js';
import { endpointOf, workerPlans } from '../../src/engine/worker-plans.js';
import type { WorkerConnected, WorkerResult, WorkerSnapshot } from '../../src/engine/worker-messages.js';
import { createHistogram, encodeHistogram, recordMs } from '../../src/metrics/histogram.js';
import { estimateOffset, sameHostClock } from '../../src/metrics/clock-offset.js';
import { PLAIN_PROTOCOL } from '../../src/targets/client-protocol.js';
import { TRANSPORTS } from '../../src/transports/registry.js';

const scenario = parseScenarioText('clients: { connections: 10 }\npublish: { rate: 10, duration: 1s, channels: 2 }\n', 'proto.yaml');
const target = {
  describe: 'test target',
  urlTemplate: 'ws://10.250.0.1:8080/ws/{channel}',
  pollUrlTemplate: 'http://10.250.0.1:8080/poll/{channel}',
  headers: { Authorization: 'Bearer x' },
  subprotocols: [],
  clientProtocol: PLAIN_PROTOCOL,
  maxPayload: 1 << 20,
  readyDelayMs: 0,
};
/** Real plans, as the engine builds them. */
const plans = workerPlans({
  scenario,
  target,
  transport: 'websocket',
  descriptor: TRANSPORTS.websocket,
  urlTemplate: endpointOf(target, TRANSPORTS.websocket),
  runId: '0123456789abcdef',
  workers: 2,
  publishes: { warmup: 2, total: 12 },
  localAddresses: [],
  snapshotIntervalMs: 1000,
  connectStartMs: 123_456.789,
  timeline: { originMs: 123_400.5, lengthMs: 1000 },
});

const histogram = createHistogram();
for (const ms of [0.4, 1.2, 3.3, 250]) recordMs(histogram, ms);
const encoded = encodeHistogram(histogram);

/** One interval of a worker's timeline, as snapshots (with the per-publish slice) and results carry it. */
const interval = {
  index: 3,
  deliveries: 40,
  fanout: encoded,
  lost: 0,
  errors: 1,
  connectionsOpen: 5,
  connect: { count: 2, histogram: encoded },
  notOwed: 0,
  unpublished: 0,
  tool: { cpuPercent: 4.2, eventLoopDelayP99Ms: 0.8 },
};

const snapshot: WorkerSnapshot = {
  workerId: 1,
  opened: 5,
  failed: 0,
  closed: 0,
  inFlight: 0,
  open: 5,
  ready: 5,
  problem: null,
  delivered: 50,
  duplicated: 0,
  reordered: 1,
  ignored: 2,
  errors: { 'socket.dropped-1006': 1 },
  interval: encoded,
  wire: { bytesIn: 1000, bytesOut: 200, requests: 5 },
  cpuPercent: 3.5,
  eventLoopDelayP99Ms: 1.1,
  events: [{ index: 0, dropped: 2, reconnected: 1, gone: 0, failed: 1, at: 5000.25, firstReadyAt: 5100.5, lastReadyAt: null }],
  owedDue: 55,
  outstanding: null,
  timeline: {
    closedBefore: 4,
    intervals: [
      {
        ...interval,
        publishes: {
          from: 20,
          firstLatencyMs: new Float32Array([0.4, Number.POSITIVE_INFINITY]),
          lastLatencyMs: new Float32Array([3.3, 0]),
          recipients: new Uint32Array([5, 0]),
        },
      },
    ],
  },
};
const connected: WorkerConnected = { workerId: 1, openedPerChannel: [3, 2], failed: 0, errors: {}, errorSamples: {} };
const result: WorkerResult = {
  workerId: 1,
  opened: 5,
  failed: 0,
  closedEarly: 0,
  delivery: { expected: 60, delivered: 60, lost: 0, unpublished: 0, notOwed: 0, duplicated: 0, reordered: 1, ignored: 2 },
  ignoredBy: { foreign: 0, unstamped: 0, control: 2, misrouted: 0, notOwed: 0 },
  errors: {},
  errorSamples: {},
  clampedSamples: 0,
  wire: { bytesIn: 1000, bytesOut: 200, requests: 5 },
  histograms: { fanout: encoded, connect: encoded },
  lifecycle: { events: [], timeToReconnect: encoded, churn: { closed: 3, opened: 3, failed: 0 } },
  // Publishes nobody received keep NaN, which JSON numbers cannot carry.
  firstLatencyMs: new Float32Array([0.25, Number.NaN, 1.5, Number.POSITIVE_INFINITY, -0]),
  lastLatencyMs: new Float32Array([0.5, Number.NaN, 2.75, 3, 0]),
  recipients: new Uint32Array([5, 0, 5, 4_000_000_000, 1]),
  process: {
    role: 'worker',
    pid: 4242,
    cpuPercent: 12,
    cpuMs: 120,
    eventLoopDelayMs: { p50: 0.5, p99: 2, max: 9 },
    rssBytes: 80 << 20,
    peakRssBytes: 90 << 20,
  },
  timeline: [{ ...interval, lost: 3 }],
};
const descriptor = {
  name: 'agent-0',
  host: 'node-a.example',
  clockId: '886f72e9-0cfc-4b02-979e-759df3dcf109+0',
  pid: 17,
  wsbenchVersion: '0.1.0',
  labels: { zone: 'eu-west-1a', 'topology.kubernetes.io/zone': 'a' },
  capacity: 15_000,
  cores: 2,
  heartbeatMs: 1000,
};
const estimate = estimateOffset([{ sentMs: 10, referenceMs: 5000, receivedMs: 10.2 }])!;

/** One valid message of every type of every stream. */
const VALID: { [R in StreamRole]: ControlMessage<R>[] } = {
  agents: [
    { type: 'register', body: descriptor },
    { type: 'register', body: { ...descriptor, clockId: null, capacity: null, labels: {} } },
    { type: 'heartbeat', body: { ...descriptor, state: 'idle', runId: null } },
    { type: 'heartbeat', body: { ...descriptor, state: 'busy', runId: '0123456789abcdef' } },
    { type: 'leave', body: { name: 'agent-0', reason: '--once: the run is over' } },
  ],
  agent: [
    { type: 'refused', body: { reason: 'speaks wsbench-control/2', coordinatorProtocol: PROTOCOL_ID, coordinatorVersion: '0.1.0' } },
    {
      type: 'plan',
      body: {
        runId: '0123456789abcdef',
        coordinator: { host: 'coord', clockId: null },
        plans,
        timing: { coordinatorHeartbeatMs: 1000, coordinatorLostAfterMs: 5000, clockResampleMs: 10_000 },
      },
    },
  ],
  runControl: [
    { type: 'heartbeat', body: {} },
    { type: 'clock', body: { estimates: [estimate] } },
    { type: 'start', body: { connectStartMs: 98_765.4321 } },
    { type: 'publishing', body: { t0: 98_785.4321 } },
    { type: 'drain', body: { publishes: { sent: 12, failed: { ranges: new Uint32Array(0) } } } },
    { type: 'server-restart', body: { index: 2, at: 98_900.5 } },
    { type: 'server-restarted', body: { index: 2 } },
    { type: 'finish', body: { publishes: { sent: 12, failed: { ranges: Uint32Array.from([3, 5]) } } } },
    { type: 'finish', body: { publishes: { sent: 20, failed: { bitmap: Uint8Array.from([0b101, 0, 1]) } } } },
    { type: 'stop-sending', body: {} },
    { type: 'stop', body: { reason: 'threshold failed' } },
    { type: 'abort', body: { reason: '--abort-on-fail: fanout.p99 < 1ms failed' } },
  ],
  runData: [
    { type: 'accepted', body: { name: 'agent-0', workerIds: [0, 1] } },
    { type: 'declined', body: { name: 'agent-0', reason: 'busy with run 0011223344556677' } },
    { type: 'clock', body: { name: 'agent-0', clock: sameHostClock(), atMs: 5 } },
    {
      type: 'clock',
      body: {
        name: 'agent-0',
        clock: { mode: 'estimated', offsetMs: 250.01, errorBoundMs: 0.08, driftPpm: -3.2, consistent: true },
        atMs: 5,
      },
    },
    { type: 'snapshot', body: { name: 'agent-0', snapshot } },
    { type: 'connected', body: { name: 'agent-0', connected } },
    { type: 'result', body: { name: 'agent-0', result } },
    {
      type: 'sent',
      body: {
        name: 'agent-0',
        sends: {
          workerId: 1,
          attemptedUpTo: 40,
          sent: 9,
          failed: { ranges: Uint32Array.from([12, 13]) },
          unsent: { ranges: new Uint32Array(0) },
          failureSamples: ['message #12 was due from sender client 3, whose connection was not open: not sent (owed to nobody)'],
          measuredSent: 8,
          measuredFirstSentAt: 98_790.5,
          measuredLastSentAt: 98_800.25,
          lag: encoded,
          bufferedAmount: encoded,
        },
      },
    },
    { type: 'fatal', body: { name: 'agent-0', workerId: 1, message: 'worker exited (SIGKILL)' } },
    { type: 'fatal', body: { name: 'agent-0', workerId: null, message: 'cannot start workers' } },
    { type: 'restart-ack', body: { name: 'agent-0', index: 2 } },
    { type: 'stopped', body: { name: 'agent-0', reason: 'coordinator-lost' } },
  ],
};

test('every message type of every stream has a valid case here', () => {
  for (const role of Object.keys(MESSAGE_SCHEMAS) as StreamRole[]) {
    const covered = new Set(VALID[role].map((m) => m.type));
    assert.deepEqual([...covered].sort(), [...MESSAGE_TYPES[role]].sort(), role);
  }
});

for (const role of Object.keys(VALID) as StreamRole[]) {
  for (const [i, message] of (VALID[role] as ControlMessage<StreamRole>[]).entries()) {
    test(`valid ${role} ${message.type} #${i} round-trips through a stream entry`, () => {
      const fields = encodeEntry(role, message, role === 'agents' || role === 'runData' ? 'agent-0' : COORDINATOR, 7);
      assert.deepEqual(
        fields.filter((_, k) => k % 2 === 0),
        ['v', 'type', 'from', 'seq', 'body'],
        'field names never change',
      );
      assert.equal(fields[1], PROTOCOL_ID);
      // Stream entries come back as strings only.
      assert.ok(fields.every((f) => typeof f === 'string'));
      const decoded = decodeEntry(role, fields);
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.detail);
      assert.equal(decoded.message.type, message.type);
      assert.equal(decoded.message.seq, 7);
      assert.deepEqual(decoded.message.body, message.body);
    });
  }
}

test('a worker result keeps its typed arrays, NaN, infinities and −0 included', () => {
  const decoded = decodeEntry('runData', encodeEntry('runData', { type: 'result', body: { name: 'agent-0', result } }, 'agent-0', 0));
  assert.ok(decoded.ok);
  const back = (decoded.message.body as { result: WorkerResult }).result;
  assert.ok(back.firstLatencyMs instanceof Float32Array);
  assert.ok(back.recipients instanceof Uint32Array);
  assert.ok(Number.isNaN(back.firstLatencyMs[1]));
  assert.equal(back.firstLatencyMs[3], Number.POSITIVE_INFINITY);
  assert.ok(Object.is(back.firstLatencyMs[4], -0));
  assert.equal(back.recipients[3], 4_000_000_000);
  assert.equal(back.histograms.fanout, encoded, 'encoded histograms travel as the same string');
});

/** Fields of a valid entry with some replaced (or removed when the value is undefined). */
function entry(base: string[], changes: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (let i = 0; i < base.length; i += 2) {
    const key = base[i]!;
    if (!(key in changes)) out.push(key, base[i + 1]!);
    else if (changes[key] !== undefined) out.push(key, changes[key]);
  }
  return out;
}
const register = encodeEntry('agents', { type: 'register', body: descriptor }, 'agent-0', 0);
const body = (over: Record<string, unknown>) => JSON.stringify({ ...descriptor, ...over });

const INVALID: { name: string; role: StreamRole; fields: string[]; detail: RegExp }[] = [
  {
    name: 'no protocol field',
    role: 'agents',
    fields: entry(register, { v: undefined }),
    detail: /^entry from "agent-0" has no protocol field "v"$/,
  },
  {
    name: 'a type of another stream',
    role: 'agents',
    fields: entry(register, { type: 'plan' }),
    detail: /^"agent-0" sent "plan", which is not a message of the agents stream$/,
  },
  { name: 'no sender', role: 'agents', fields: entry(register, { from: undefined }), detail: /^register message without a sender$/ },
  { name: 'seq not a count', role: 'agents', fields: entry(register, { seq: '-1' }), detail: /seq is not a count/ },
  {
    name: 'body not JSON',
    role: 'agents',
    fields: entry(register, { body: '{"name":' }),
    detail: /^register from "agent-0": body is not JSON/,
  },
  {
    name: 'name with a space',
    role: 'agents',
    fields: entry(register, { body: body({ name: 'agent 0' }) }),
    detail: /name: not an agent name/,
  },
  {
    name: 'the coordinator\u2019s name',
    role: 'agents',
    fields: entry(register, { body: body({ name: 'coordinator' }) }),
    detail: /name: not an agent name/,
  },
  { name: 'capacity of zero', role: 'agents', fields: entry(register, { body: body({ capacity: 0 }) }), detail: /capacity: / },
  { name: 'an unknown key', role: 'agents', fields: entry(register, { body: body({ extra: 1 }) }), detail: /Unrecognized key/ },
  {
    name: 'a label value with a space',
    role: 'agents',
    fields: entry(register, { body: body({ labels: { zone: 'a b' } }) }),
    detail: /labels\.zone: not a label value/,
  },
  {
    name: 'several problems are counted',
    role: 'agents',
    fields: entry(register, { body: body({ cores: 0, pid: -1 }) }),
    detail: /\(and 1 more\)$/,
  },
  {
    name: 'a plan without plans',
    role: 'agent',
    fields: encodeEntryUnchecked('agent', 'plan', { ...VALID.agent[1]!.body, plans: [] }),
    detail: /plans: Too small/i,
  },
  {
    name: 'a plan whose worker plan has no worker id',
    role: 'agent',
    fields: encodeEntryUnchecked('agent', 'plan', { ...VALID.agent[1]!.body, plans: [{ ...plans[0], workerId: undefined }] }),
    detail: /plans\.0: not a worker plan \(an object with workerId and runId/,
  },
  {
    name: 'a snapshot that is a result',
    role: 'runData',
    fields: encodeEntryUnchecked('runData', 'snapshot', { name: 'agent-0', snapshot: connected }),
    detail: /snapshot: not a worker snapshot/,
  },
  {
    name: 'an unknown typed array',
    role: 'runData',
    fields: entry(encodeEntry('runData', { type: 'result', body: { name: 'agent-0', result } }, 'agent-0', 1), {
      body: JSON.stringify({ name: 'agent-0', result: { ...result, recipients: { $typed: 'BigInt64Array', base64: '' } } }),
    }),
    detail: /body is not JSON \(unknown typed array BigInt64Array\)/,
  },
  {
    name: 'a negative publish count',
    role: 'runControl',
    fields: encodeEntryUnchecked('runControl', 'finish', { publishes: { sent: -1, failed: { ranges: [] } } }),
    detail: /publishes: not a publish outcome/,
  },
  {
    name: 'failed publishes as a plain array',
    role: 'runControl',
    fields: encodeEntryUnchecked('runControl', 'finish', { publishes: { sent: 3, failed: { ranges: [0, 1] } } }),
    detail: /publishes: not a publish outcome/,
  },
  {
    name: 'a stopped reason nobody knows',
    role: 'runData',
    fields: encodeEntryUnchecked('runData', 'stopped', { name: 'agent-0', reason: 'tired' }),
    detail: /reason: /,
  },
];

/** Fields of an entry whose body skips encodeEntry's check (what a broken or hostile sender could write). */
function encodeEntryUnchecked(_role: StreamRole, type: string, value: unknown): string[] {
  return ['v', PROTOCOL_ID, 'type', type, 'from', 'x-1', 'seq', '0', 'body', encodeBody(value)];
}

for (const c of INVALID) {
  test(`invalid: ${c.name}`, () => {
    const decoded = decodeEntry(c.role, c.fields);
    assert.equal(decoded.ok, false);
    if (decoded.ok) return;
    assert.equal(decoded.problem, 'invalid');
    assert.match(decoded.detail, c.detail);
    assert.ok(!decoded.detail.includes('\n'), 'one line');
  });
}

const MISMATCHED: { name: string; v: string; body?: string; detail: RegExp }[] = [
  {
    name: 'a newer version, naming its wsbench version',
    v: 'wsbench-control/3',
    detail:
      /^"agent-0" speaks wsbench-control\/3 \(wsbench 0\.1\.0\), this side speaks wsbench-control\/2: run the same wsbench version on the coordinator and every agent$/,
  },
  {
    // Version 1 carried no client senders (no stop-sending, no sent): an agent built before them is refused.
    name: 'the version before client senders ran on agents',
    v: 'wsbench-control/1',
    detail: /^"agent-0" speaks wsbench-control\/1 \(wsbench 0\.1\.0\), this side speaks wsbench-control\/2: run the same wsbench version/,
  },
  {
    name: 'an older version with a body we cannot read',
    v: 'wsbench-control/0',
    body: '\u0000garbage',
    detail: /^"agent-0" speaks wsbench-control\/0, this side/,
  },
  { name: 'another protocol', v: 'celery/4', detail: /speaks celery\/4/ },
];

for (const c of MISMATCHED) {
  test(`mismatched version: ${c.name}`, () => {
    const decoded = decodeEntry('agents', entry(register, { v: c.v, ...(c.body !== undefined ? { body: c.body } : {}) }));
    assert.equal(decoded.ok, false);
    if (decoded.ok) return;
    assert.equal(decoded.problem, 'version');
    assert.equal(decoded.from, 'agent-0', 'the sender is known, so the refusal can be addressed');
    assert.equal(decoded.protocol, c.v);
    assert.match(decoded.detail, c.detail);
  });
}

test('a side built for another version decodes our entries as mismatched (both directions)', () => {
  const decoded = decodeEntry('agents', register, 'wsbench-control/3');
  assert.equal(decoded.ok, false);
  assert.equal(!decoded.ok && decoded.problem, 'version');
  const old = encodeEntry('agents', { type: 'register', body: descriptor }, 'agent-0', 0, 'wsbench-control/0');
  assert.equal(old[1], 'wsbench-control/0');
});

test('encodeEntry refuses to write an invalid body or a type the stream does not carry', () => {
  assert.throws(
    () => encodeEntry('agents', { type: 'register', body: { ...descriptor, cores: 0 } }, 'agent-0', 0),
    /^TypeError: agents register: cores: /,
  );
  assert.throws(
    () => encodeEntry('agents', { type: 'plan' } as unknown as ControlMessage<'agents'>, 'agent-0', 0),
    /no plan message on the agents stream/,
  );
});

test('typed arrays of every kind survive, subarray views included; look-alike objects are left alone', () => {
  const backing = new Float64Array([1, 2, 3.5, Number.NaN, 5]);
  const value = {
    f64: backing.subarray(2, 4),
    i8: new Int8Array([-128, 127]),
    i16: new Int16Array([-32768, 1]),
    i32: new Int32Array([-1, 2 ** 31 - 1]),
    u8: new Uint8Array([0, 255]),
    u16: new Uint16Array([65535]),
    empty: new Float32Array(0),
    lookalike: { $typed: 'Float32Array', base64: 'AAAA', note: 'three keys: not a typed array' },
  };
  const back = decodeBody(encodeBody(value)) as typeof value;
  assert.ok(back.f64 instanceof Float64Array);
  assert.deepEqual([...back.f64], [3.5, Number.NaN]);
  assert.deepEqual(back.i8, value.i8);
  assert.deepEqual(back.i16, value.i16);
  assert.deepEqual(back.i32, value.i32);
  assert.deepEqual(back.u8, value.u8);
  assert.deepEqual(back.u16, value.u16);
  assert.deepEqual(back.empty, value.empty);
  assert.deepEqual(back.lookalike, value.lookalike);
  // Little-endian on the wire: 1.0f is 00 00 80 3f.
  assert.equal(encodeBody(new Float32Array([1])), '{"$typed":"Float32Array","base64":"AACAPw=="}');
  assert.throws(() => decodeBody('{"$typed":"Float32Array","base64":"AAA="}'), /Float32Array of 2 bytes/);
});

test('stream names: one namespace per prefix, one stream per agent and two per run', () => {
  const keys = streamKeys();
  assert.equal(keys.agents, `${DEFAULT_PREFIX}:agents`);
  assert.equal(keys.agent('agent-3'), 'wsbench:ctl:agent:agent-3');
  assert.equal(keys.runControl('0123456789abcdef'), 'wsbench:ctl:run:0123456789abcdef:control');
  assert.equal(keys.runData('0123456789abcdef'), 'wsbench:ctl:run:0123456789abcdef:data');
  assert.equal(streamKeys('team-a:bench').agents, 'team-a:bench:agents');
  for (const role of Object.keys(STREAM_MAXLEN) as StreamRole[]) assert.ok(STREAM_MAXLEN[role] > 0);
});

const NAMES: [string, boolean][] = [
  ['agent-0', true],
  ['agents-12.eu_west', true],
  ['a', true],
  ['x'.repeat(63), true],
  ['x'.repeat(64), false],
  ['-agent', false],
  ['agent 0', false],
  ['agent:0', false],
  ['', false],
  [COORDINATOR, false],
];
test('agent names', () => {
  for (const [name, ok] of NAMES) assert.equal(agentNameProblem(name) === null, ok, name);
  assert.match(agentNameProblem(COORDINATOR)!, /coordinator's own sender name/);
});

test('labels and prefixes', () => {
  assert.equal(labelProblem('zone', 'eu-west-1a'), null);
  assert.equal(labelProblem('topology.kubernetes.io/zone', ''), null);
  assert.match(labelProblem('-zone', 'a')!, /^label key "-zone"/);
  assert.match(labelProblem('zone', 'a b')!, /^label value "a b"/);
  assert.match(labelProblem('zone', 'a'.repeat(64))!, /^label value/);
  assert.equal(prefixProblem('wsbench:ctl'), null);
  assert.match(prefixProblem('has space')!, /stream prefix/);
});

test('entry ids carry the control Redis\u2019s clock in milliseconds', () => {
  assert.equal(entryIdMs('1700000000123-4'), 1_700_000_000_123);
});

test('a refusal is read whatever version wrote it (its format is frozen)', () => {
  const body = { reason: 'agent-0 speaks wsbench-control/2', coordinatorProtocol: 'wsbench-control/1', coordinatorVersion: '0.1.0' };
  const fields = encodeEntry('agent', { type: 'refused', body }, COORDINATOR, 0);
  assert.deepEqual(refusalOf(fields), body);
  // Written by a coordinator of another version: decodeEntry refuses it, refusalOf still reads it.
  const other = entry(fields, { v: 'wsbench-control/9' });
  assert.equal(decodeEntry('agent', other).ok, false);
  assert.deepEqual(refusalOf(other), body);
  assert.deepEqual(refusalOf(entry(fields, { body: 'nope' })), {
    reason: '(unreadable reason)',
    coordinatorProtocol: PROTOCOL_ID,
    coordinatorVersion: '?',
  });
  assert.equal(refusalOf(encodeEntry('agent', VALID.agent[1]!, COORDINATOR, 1)), null, 'a plan is not a refusal');
  assert.equal(refusalOf(entry(fields, { from: 'agent-1' })), null, 'only the coordinator refuses');
});
