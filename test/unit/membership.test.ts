/**
 * Clients in several channels: the membership rule (config/membership.ts) as tables, the
 * members per channel against a count made here client by client, the scenario's validation (one
 * line naming where and what), the worker plans and the reference server's /ws?channels= parsing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  channelsOfClient,
  maxChannelsPerClient,
  membersPerChannel,
  membershipOf,
  type MembershipSpec,
} from '../../src/config/membership.js';
import { parseScenarioText } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { connectionsOfRange } from '../../src/engine/worker-plans.js';
import { plainWorkerPlans } from '../helpers/worker-plans.js';
import { websocket } from '../../src/transports/websocket.js';
import { longpoll } from '../../src/transports/longpoll.js';
import { channelsOfQuery } from '../../src/server/router.js';
import { fillTemplate } from '../../src/targets/template.js';
import { scenarioFacts } from '../../src/api/scenario-facts.js';

test('membership rule: client i is in channels (i·k + j) mod n; k = 1 is i mod n; groups by i mod groups', () => {
  const cases: [MembershipSpec | null, number, number, number[]][] = [
    [null, 0, 4, [0]],
    [null, 5, 4, [1]],
    [{ perClient: 3 }, 0, 10, [0, 1, 2]],
    [{ perClient: 3 }, 1, 10, [3, 4, 5]],
    [{ perClient: 3 }, 3, 10, [9, 0, 1]],
    [{ perClient: 3 }, 10, 10, [0, 1, 2]],
    [{ perClient: 2 }, 1, 2, [0, 1]],
    [{ perClient: 4 }, 2, 4, [0, 1, 2, 3]],
    [{ perClient: 2 }, 2, 3, [1, 2]],
    [{ groups: [[0, 2], [1]] }, 0, 3, [0, 2]],
    [{ groups: [[0, 2], [1]] }, 1, 3, [1]],
    [{ groups: [[0, 2], [1]] }, 4, 3, [0, 2]],
  ];
  for (const [spec, client, n, channels] of cases)
    assert.deepEqual(channelsOfClient(spec, client, n), channels, `${JSON.stringify(spec)} client ${client} of ${n} channels`);
});

test('members per channel: what a count client by client gives; the rule spreads them evenly', () => {
  const specs: (MembershipSpec | null)[] = [
    null,
    { perClient: 2 },
    { perClient: 3 },
    { perClient: 7 },
    { groups: [[0, 1, 2], [3], [1, 3]] },
  ];
  for (const spec of specs)
    for (const [clients, n] of [
      [0, 7],
      [1, 7],
      [5, 7],
      [20, 10],
      [23, 7],
      [100, 9],
    ] as const) {
      if (maxChannelsPerClient(spec) > n) continue;
      const counted = new Array<number>(n).fill(0);
      for (let i = 0; i < clients; i++) for (const c of channelsOfClient(spec, i, n)) counted[c]!++;
      assert.deepEqual(membersPerChannel(spec, clients, n), counted, `${JSON.stringify(spec)}, ${clients} clients over ${n}`);
      if (spec === null || 'perClient' in spec) assert.ok(Math.max(...counted) - Math.min(...counted) <= 1, `even: ${counted.join(',')}`);
    }
  // channelsPerClient 3 over 10 channels, 20 clients: 6 members each, every channel has members.
  assert.deepEqual(membersPerChannel({ perClient: 3 }, 20, 10), new Array(10).fill(6));
  assert.deepEqual(membersPerChannel({ perClient: 3 }, 3, 10), [1, 1, 1, 1, 1, 1, 1, 1, 1, 0], '9 memberships: one channel has none');
});

const BASE = `clients:
  connections: 20
publish:
  rate: 100/s
  duration: 2s
  channels: 10
`;

function rejected(text: string): string {
  try {
    parseScenarioText(text, 'scn.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return e.message;
  }
  assert.fail('expected the scenario to be rejected');
}

const withClients = (extra: string, rest = '') => BASE.replace('connections: 20', `connections: 20\n  ${extra}`) + rest;

test('clients.channelsPerClient and clients.membership in a scenario: the spec the workers get', () => {
  const cases: [string, MembershipSpec | null][] = [
    ['channelsPerClient: 1', null],
    ['channelsPerClient: 3', { perClient: 3 }],
    ['channelsPerClient: 10', { perClient: 10 }],
    ['membership: [[bench-0, bench-9], [bench-3]]', { groups: [[0, 9], [3]] }],
    ['membership: [[bench-4]]', { groups: [[4]] }],
  ];
  for (const [extra, spec] of cases) {
    const s = parseScenarioText(withClients(extra), 'scn.yaml');
    assert.deepEqual(membershipOf(s.clients, s.channelNames), spec, extra);
  }
  assert.equal(membershipOf(parseScenarioText(BASE, 'scn.yaml').clients, []), null, 'default: one channel each');
});

test('clients in several channels, mistakes: one line naming where and what', () => {
  const cases: [string, RegExp][] = [
    [withClients('channelsPerClient: 0'), /scn\.yaml:3:22: clients\.channelsPerClient: must be >= 1/],
    [withClients('channelsPerClient: 2.5'), /clients\.channelsPerClient: .*(integer|int)/i],
    [
      withClients('channelsPerClient: 11'),
      /clients\.channelsPerClient: is 11, but there are 10 channels \(publish\.channels\): at most 10/,
    ],
    [withClients('channelsPerClient: three'), /clients\.channelsPerClient: .*number/i],
    [
      withClients('channelsPerClient: 2\n  membership: [[bench-0]]'),
      /clients\.membership: either channelsPerClient or membership, not both/,
    ],
    [
      withClients('membership: [[bench-0, nope]]'),
      /clients\.membership\[0\]\[1\]: "nope" is not one of publish\.channels \(bench-0, bench-1, bench-2, bench-3, … bench-9\)/,
    ],
    [withClients('membership: [[bench-1, bench-1]]'), /clients\.membership\[0\]\[1\]: "bench-1" is listed twice in this group/],
    [withClients('membership: []'), /clients\.membership: /],
    [withClients('membership: [[]]'), /clients\.membership\[0\]: /],
    [
      withClients('channelsPerClient: 2').replace('channels: 10', 'channels: 10\n  via: websocket\n  senders: 10') +
        'target: { kind: builtin, clientPublish: true }\n',
      /publish\.via: not with clients in several channels \(clients\.channelsPerClient\) yet: a sender sends to one channel/,
    ],
    [
      withClients(
        'channelsPerClient: 2\n  slow: { fraction: 10%, readRate: 1KiB/s }',
        'target: { kind: raw, url: "ws://127.0.0.1:1/{channel}" }\n',
      ),
      /clients\.slow: not with clients in several channels \(clients\.channelsPerClient\) on a raw target yet: it opens a connection per \(client, channel\)/,
    ],
    [
      withClients('channelsPerClient: 2', 'target: { kind: socketio, url: "ws://127.0.0.1:1", room: "{channel}" }\n'),
      /target\.query: clients in several channels: the handshake must name them .* rooms: "\{channels\}"/,
    ],
    [
      withClients('channelsPerClient: 2', 'target: { kind: channels, url: "ws://127.0.0.1:1/ws/bench/{channel}/" }\n'),
      /target\.url: clients in several channels: the URL must name them .*\?groups=\{channels\}/,
    ],
  ];
  for (const [text, says] of cases) assert.match(rejected(text), says, text);
});

test('worker plans: the membership and the URL for several channels, the same for every worker', () => {
  const plan = (extra: string, severalChannelsUrlTemplate?: string) => {
    const scenario = parseScenarioText(withClients(extra), 'scn.yaml');
    return plainWorkerPlans(scenario, {
      ...(severalChannelsUrlTemplate ? { target: { severalChannelsUrlTemplate } } : {}),
      workers: 2,
    });
  };
  for (const p of plan('channelsPerClient: 3', 'ws://h/ws?channels={channels}')) {
    assert.deepEqual(p.membership, { perClient: 3 });
    assert.equal(p.urlTemplate, 'ws://h/ws?channels={channels}');
  }
  for (const p of plan('channelsPerClient: 3')) assert.equal(p.urlTemplate, 'ws://h/ws/{channel}', 'the target has one URL for all');
  for (const p of plan('channelsPerClient: 3', 'ws://h/ws?channels={channels}')) assert.equal(p.connectionPerChannel, undefined);
  for (const p of plan('channelsPerClient: 1', 'ws://h/ws?channels={channels}')) {
    assert.equal(p.membership, undefined, 'one channel per client: no membership, the one-channel path');
    assert.equal(p.urlTemplate, 'ws://h/ws/{channel}');
  }
});

test('{channels} in templates: every channel of the client, comma-separated; the channel alone for one', () => {
  assert.equal(fillTemplate('ws://h/ws?channels={channels}&c={client}', 'a', 7, 'a,b%2Cc'), 'ws://h/ws?channels=a,b%2Cc&c=7');
  assert.equal(fillTemplate('ws://h/ws?channels={channels}', 'a', 0), 'ws://h/ws?channels=a');
  assert.equal(fillTemplate('/ws/{channel}/{channels}', 'x', 0, 'x,y'), '/ws/x/x,y');
});

test('/ws?channels=: names split at commas before decoding (%2C is a comma inside a name), once each; mistakes say what', () => {
  const cases: [string, string[] | string][] = [
    ['channels=a,b,c', ['a', 'b', 'c']],
    ['channels=a', ['a']],
    ['x=1&channels=a%2Cb,c', ['a,b', 'c']],
    ['channels=caf%C3%A9,a,a', ['café', 'a']],
    ['channels=', 'WebSocket path must be /ws/<channel> or /ws?channels=<a>,<b>'],
    ['', 'WebSocket path must be /ws/<channel> or /ws?channels=<a>,<b>'],
    ['channels=a,,b', 'empty channel name in channels='],
    ['channels=%E0%A4%A', 'bad channel name encoding'],
  ];
  for (const [query, want] of cases) assert.deepEqual(channelsOfQuery(query), want, query);
});

test('scenario facts: clients in several channels are a fact of the scenario (absent for one channel, so older reports compare)', () => {
  assert.equal(scenarioFacts(parseScenarioText(BASE, 'scn.yaml'))['clients.channelsPerClient'], undefined);
  assert.equal(scenarioFacts(parseScenarioText(withClients('channelsPerClient: 1'), 'scn.yaml'))['clients.channelsPerClient'], undefined);
  assert.equal(scenarioFacts(parseScenarioText(withClients('channelsPerClient: 3'), 'scn.yaml'))['clients.channelsPerClient'], '3');
  assert.equal(
    scenarioFacts(parseScenarioText(withClients('membership: [[bench-0, bench-9], [bench-3]]'), 'scn.yaml'))['clients.membership'],
    '[[bench-0, bench-9], [bench-3]]',
  );
});

test('worker plans: a connection per (client, channel) where one connection cannot carry several (a raw target, a polling transport)', () => {
  const base = (target: string, descriptor = websocket) =>
    plainWorkerPlans(parseScenarioText(withClients('channelsPerClient: 2', target), 'scn.yaml'), {
      descriptor,
      urlTemplate: 'ws://h/{channel}',
    })[0]!;
  const raw = base('target: { kind: raw, url: "ws://127.0.0.1:1/{channel}" }\n');
  assert.equal(raw.connectionPerChannel, true);
  assert.equal(raw.urlTemplate, 'ws://h/{channel}', 'each connection its one channel');
  assert.equal(base('transports: [longpoll]\n', longpoll).connectionPerChannel, true, 'a poll reads one channel');
  assert.equal(base('').connectionPerChannel, undefined, 'the reference server over WebSocket: one connection');
  // The connections a worker's clients open (what a coordinator counts failed when their agent is lost before connecting).
  assert.equal(raw.connections, 40, '20 clients in 2 channels each');
  assert.equal(base('').connections, undefined, 'one connection per client: clientCount says it');
});

test('worker plans: each worker’s connections with a connection per (client, channel) are its clients’ memberships', () => {
  const plans = (clients: string, workers: number) =>
    plainWorkerPlans(parseScenarioText(withClients(clients, 'target: { kind: raw, url: "ws://127.0.0.1:1/{channel}" }\n'), 'scn.yaml'), {
      urlTemplate: 'ws://h/{channel}',
      workers,
    }).map((p) => [p.clientCount, p.connections]);
  const cases: [clients: string, workers: number, want: [clients: number, connections: number | undefined][]][] = [
    [
      'channelsPerClient: 3',
      3,
      [
        [7, 21],
        [7, 21],
        [6, 18],
      ],
    ],
    // Client i in group i mod 2: worker 0 of 2 has the even clients (3 channels each), worker 1 the odd ones (1 each).
    [
      'membership: [[bench-0, bench-1, bench-2], [bench-3]]',
      2,
      [
        [10, 30],
        [10, 10],
      ],
    ],
    // Worker w of 3 has clients w, w + 3, …: groups 0, 1, 0, 1, … for worker 0; 1, 0, 1, … for worker 1.
    [
      'membership: [[bench-0, bench-1, bench-2], [bench-3]]',
      3,
      [
        [7, 4 * 3 + 3],
        [7, 3 * 3 + 4],
        [6, 3 * 3 + 3],
      ],
    ],
    [
      'channelsPerClient: 1',
      2,
      [
        [10, undefined],
        [10, undefined],
      ],
    ],
  ];
  for (const [clients, workers, want] of cases) {
    const got = plans(clients, workers);
    assert.deepEqual(got, want, `${clients} over ${workers} workers`);
  }
});

test('connectionsOfRange: what an agent’s capacity is measured against — connections, one per (client, channel) where a transport needs it', () => {
  const range = { first: 1, count: 5, stride: 2 };
  const of = (text: string) => connectionsOfRange(parseScenarioText(text, 'scn.yaml'), range);
  assert.equal(of(BASE), 5, 'one channel per client');
  assert.equal(of(withClients('channelsPerClient: 3')), 5, 'the built-in server: one connection carries the 3 channels');
  assert.equal(of(withClients('channelsPerClient: 3', 'target: { kind: raw, url: "ws://127.0.0.1:1/{channel}" }\n')), 15);
  assert.equal(of(withClients('channelsPerClient: 3', 'transports: [websocket, longpoll]\n')), 15, 'the most over the transports');
  // Clients 1, 3, 5, 7, 9: all in the second group (one channel).
  assert.equal(
    of(withClients('membership: [[bench-0, bench-1, bench-2], [bench-3]]', 'target: { kind: raw, url: "ws://127.0.0.1:1/{channel}" }\n')),
    5,
  );
});

test('clients in several channels run on agents: a distributed: block is no longer refused', () => {
  for (const extra of ['channelsPerClient: 3', 'membership: [[bench-0, bench-1], [bench-2]]']) {
    const s = parseScenarioText(withClients(extra, 'distributed: { agents: 2 }\n'), 'scn.yaml');
    assert.ok(s.distributed, extra);
  }
});
