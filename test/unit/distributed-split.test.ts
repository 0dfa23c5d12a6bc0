/**
 * How a distributed run shares its clients among agents (distributed/coordinator.ts
 * splitByWeight): in proportion to their capacities, exactly the total, every agent at least one
 * client when there are enough; and the agent command's flags (cli/agent.ts agentSettings).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareAmongAgents, splitByWeight, unobservedDelivery } from '../../src/distributed/coordinator.js';
import { interleaveClients } from '../../src/engine/worker-plans.js';
import { agentSettings } from '../../src/cli/agent.js';
import { addressShare, addressesNotHere } from '../../src/distributed/host-identity.js';

const SPLITS: { name: string; total: number; weights: number[]; expect: number[] }[] = [
  { name: 'equal agents, divisible', total: 300, weights: [1, 1, 1], expect: [100, 100, 100] },
  { name: 'equal agents, remainder to the first', total: 301, weights: [5, 5, 5], expect: [101, 100, 100] },
  { name: 'by capacity', total: 30_000, weights: [10_000, 20_000, 30_000], expect: [5000, 10_000, 15_000] },
  { name: 'largest remainder wins', total: 10, weights: [1, 2], expect: [3, 7] },
  { name: 'a tiny capacity still gets one client', total: 100, weights: [1, 1_000_000], expect: [1, 99] },
  { name: 'one agent', total: 7, weights: [3], expect: [7] },
  { name: 'as many clients as agents', total: 3, weights: [1, 100, 1], expect: [1, 1, 1] },
];

for (const c of SPLITS) {
  test(`splitByWeight: ${c.name}`, () => {
    const got = splitByWeight(c.total, c.weights);
    assert.deepEqual(got, c.expect);
    assert.equal(
      got.reduce((a, b) => a + b, 0),
      c.total,
    );
  });
}

const SHARES: {
  name: string;
  total: number;
  weights: number[];
  least: number;
  capacities?: number[];
  workers: number[] | null;
  clients?: number[];
}[] = [
  { name: 'equal agents, one worker each', total: 300, weights: [1, 1, 1], least: 3, workers: [1, 1, 1], clients: [100, 100, 100] },
  { name: 'equal agents, remainder to the first', total: 301, weights: [5, 5, 5], least: 3, workers: [1, 1, 1], clients: [101, 100, 100] },
  { name: 'more workers wanted', total: 100, weights: [1, 1], least: 4, workers: [2, 2], clients: [50, 50] },
  {
    name: 'capacities 1:2:3: workers in proportion, shares exact',
    total: 30_000,
    weights: [10_000, 20_000, 30_000],
    least: 3,
    capacities: [10_000, 20_000, 30_000],
    workers: [1, 2, 3],
    clients: [5000, 10_000, 15_000],
  },
  {
    name: 'a small agent never over its capacity (5 workers would give it 12,000)',
    total: 60_000,
    weights: [50_000, 10_000],
    least: 5,
    capacities: [50_000, 10_000],
    workers: [5, 1],
    clients: [50_000, 10_000],
  },
  { name: 'as many clients as agents', total: 3, weights: [1, 100, 1], least: 3, workers: [1, 1, 1], clients: [1, 1, 1] },
  { name: 'more clients than the capacities: none fits', total: 20, weights: [10, 9], least: 2, capacities: [10, 9], workers: null },
];

for (const c of SHARES) {
  test(`shareAmongAgents: ${c.name}`, () => {
    const got = shareAmongAgents(c.total, c.weights, c.least, c.capacities ?? null, interleaveClients);
    if (c.workers === null) {
      assert.equal(got, null);
      return;
    }
    assert.ok(got);
    assert.deepEqual(
      got.map((s) => s.workers),
      c.workers,
    );
    assert.deepEqual(
      got.map((s) => s.clients),
      c.clients,
    );
    assert.equal(
      got.reduce((a, s) => a + s.clients, 0),
      c.total,
    );
    // Interleaved as local workers are: below any level, every agent holds its share of the clients
    // (to within one client per worker), where contiguous blocks would give the first agent all of them.
    const W = got.reduce((a, s) => a + s.workers, 0);
    for (const level of [Math.floor(c.total / 3), Math.floor(c.total / 2)]) {
      let first = 0;
      for (const s of got) {
        const below = interleaveClients(c.total, W)
          .slice(first, first + s.workers)
          .reduce((n, r) => n + (r.first < level ? Math.min(r.count, Math.ceil((level - r.first) / r.stride)) : 0), 0);
        first += s.workers;
        assert.ok(Math.abs(below - (s.clients * level) / c.total) <= s.workers + 1, `${below} of ${s.clients} below ${level}`);
      }
    }
  });
}

test('agentSettings: labels and capacity as given, capacity null when not given', () => {
  assert.deepEqual(
    agentSettings({ redis: 'redis://h:1', name: 'agent-0', label: ['zone=eu-1a', 'topology.kubernetes.io/zone=a'], capacity: 50_000 }),
    {
      redis: 'redis://h:1',
      name: 'agent-0',
      labels: { zone: 'eu-1a', 'topology.kubernetes.io/zone': 'a' },
      capacity: 50_000,
      localAddresses: [],
    },
  );
  assert.deepEqual(agentSettings({ redis: 'rediss://u:p@h:1/2', name: 'a.b_c-d' }), {
    redis: 'rediss://u:p@h:1/2',
    name: 'a.b_c-d',
    labels: {},
    capacity: null,
    localAddresses: [],
  });
  assert.deepEqual(agentSettings({ redis: 'redis://h', name: 'a', 'local-address': ['10.0.0.7', '::1'] }).localAddresses, [
    '10.0.0.7',
    '::1',
  ]);
});

const BAD_FLAGS: { args: Parameters<typeof agentSettings>[0]; error: RegExp }[] = [
  { args: { name: 'a' }, error: /^--redis: the control Redis is required/ },
  { args: { redis: 'http://h', name: 'a' }, error: /^--redis: must be a redis:\/\/ or rediss:\/\/ URL/ },
  { args: { redis: 'redis://h' }, error: /^--name: every agent needs a name/ },
  { args: { redis: 'redis://h', name: 'x'.repeat(64) }, error: /^--name: "x+": an agent name is 1–63/ },
  { args: { redis: 'redis://h', name: 'a', label: ['=v'] }, error: /^--label: "=v" is not k=v/ },
  { args: { redis: 'redis://h', name: 'a', capacity: -5 }, error: /^--capacity: -5 is not a connection count/ },
  {
    args: { redis: 'redis://h', name: 'a', 'local-address': ['10.0.0.300'] },
    error: /^--local-address: "10\.0\.0\.300" is not an IP address/,
  },
];

for (const c of BAD_FLAGS) {
  test(`agentSettings refuses ${JSON.stringify(c.args)}`, () => {
    assert.throws(
      () => agentSettings(c.args),
      (e: Error) => c.error.test(e.message),
    );
  });
}

const UNOBSERVED: {
  name: string;
  opened: number[];
  sent: number;
  failed: number[];
  expect: { expected: number; unpublished: number; unobserved: number };
}[] = [
  {
    name: 'nothing failed: all owed is unobserved',
    opened: [3],
    sent: 10,
    failed: [],
    expect: { expected: 30, unpublished: 0, unobserved: 30 },
  },
  {
    name: 'two channels, uneven opens',
    opened: [2, 1],
    sent: 5,
    failed: [],
    // channel 0 carries publishes 0, 2, 4; channel 1 carries 1, 3.
    expect: { expected: 2 * 3 + 1 * 2, unpublished: 0, unobserved: 8 },
  },
  {
    name: 'a failed publish stays unpublished, never unobserved',
    opened: [2, 1],
    sent: 5,
    failed: [2, 3],
    // publish 2 (channel 0) failed: owed to nobody.
    expect: { expected: 8, unpublished: 2, unobserved: 6 },
  },
  { name: 'no client open: nothing owed', opened: [0, 0], sent: 100, failed: [], expect: { expected: 0, unpublished: 0, unobserved: 0 } },
];

for (const c of UNOBSERVED) {
  test(`unobservedDelivery: ${c.name}`, () => {
    const d = unobservedDelivery(c.opened, { sent: c.sent, failed: { ranges: Uint32Array.from(c.failed) } });
    assert.deepEqual({ expected: d.expected, unpublished: d.unpublished, unobserved: d.unobserved }, c.expect);
    assert.equal(d.delivered + d.lost + d.unpublished + d.unobserved!, d.expected, 'the ledger identity');
    assert.equal(d.delivered, 0);
    assert.equal(d.lost, 0);
  });
}

test('shareAmongAgents: capacities are connections, so a client in 3 channels with a connection each counts 3', () => {
  const perChannel = (range: { count: number }) => range.count * 3;
  // 30 clients of 3 connections each: 90 connections; capacities 60 + 30 fit 20 + 10 clients, not 15 + 15.
  const got = shareAmongAgents(30, [1, 1], 2, [60, 30], interleaveClients, perChannel);
  assert.ok(got);
  const clients = got.map((s) => s.clients);
  assert.equal(clients[0]! + clients[1]!, 30);
  assert.ok(clients[0]! * 3 <= 60 && clients[1]! * 3 <= 30, `shares ${clients.join(', ')} over the capacities in connections`);
  // Counted as clients (one connection each) the even split fits both.
  assert.deepEqual(
    shareAmongAgents(30, [1, 1], 2, [60, 30], interleaveClients)!.map((s) => s.clients),
    [15, 15],
  );
  // 90 connections cannot fit in 40 + 40.
  assert.equal(shareAmongAgents(30, [1, 1], 2, [40, 40], interleaveClients, perChannel), null);
});

test('addressShare: each agent its own share of the source addresses', () => {
  const list = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'];
  const cases: [addresses: string[], agents: number, shares: string[][]][] = [
    [[], 3, [[], [], []]],
    [list, 1, [list]],
    [
      list,
      2,
      [
        ['10.0.0.1', '10.0.0.3', '10.0.0.5'],
        ['10.0.0.2', '10.0.0.4'],
      ],
    ],
    [list, 5, list.map((a) => [a])],
    // Fewer addresses than agents: one each, in turn (two agents then share one).
    [['10.0.0.1', '10.0.0.2'], 3, [['10.0.0.1'], ['10.0.0.2'], ['10.0.0.1']]],
  ];
  for (const [addresses, agents, shares] of cases) {
    const got = Array.from({ length: agents }, (_, i) => addressShare(addresses, i, agents));
    assert.deepEqual(got, shares, `${addresses.length} over ${agents}`);
  }
});

test('addressesNotHere: loopback is always here, other addresses only on an interface', () => {
  const interfaces = {
    lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
    eth0: [
      { address: '10.1.2.3', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '10.1.2.3/24' },
    ],
  } as unknown as Parameters<typeof addressesNotHere>[1];
  const cases: [string[], string[]][] = [
    [[], []],
    [['127.0.0.1', '127.0.0.42', '::1'], []],
    [['10.1.2.3'], []],
    [
      ['10.1.2.4', '10.1.2.3', '192.168.0.9'],
      ['10.1.2.4', '192.168.0.9'],
    ],
  ];
  for (const [addresses, missing] of cases) assert.deepEqual(addressesNotHere(addresses, interfaces), missing, addresses.join(', '));
});
