import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scenarioDifferences, scenarioMismatchWarning, type ScenarioFacts } from '../../src/gate/scenario-diff.js';
import { baselineScenarioWarning, reportScenarioFacts, scenarioFacts } from '../../src/api/scenario-facts.js';
import { parseScenarioText } from '../../src/config/load.js';

const base: ScenarioFacts = { 'clients.connections': '50', 'publish.rate': '200/s', transports: 'websocket' };

test('scenarioDifferences: each differing fact, in the current order, then those only the baseline has', () => {
  const cases: { name: string; baseline: ScenarioFacts; current: ScenarioFacts; keys: [string, string | null, string | null][] }[] = [
    { name: 'same', baseline: base, current: { ...base }, keys: [] },
    {
      name: 'two differ',
      baseline: base,
      current: { ...base, 'clients.connections': '100', 'publish.rate': '400/s' },
      keys: [
        ['clients.connections', '50', '100'],
        ['publish.rate', '200/s', '400/s'],
      ],
    },
    {
      name: 'only current has it',
      baseline: base,
      current: { ...base, 'target.url': 'ws://h/ws' },
      keys: [['target.url', null, 'ws://h/ws']],
    },
    {
      name: 'only baseline has it',
      baseline: { ...base, 'target.processes': '2' },
      current: base,
      keys: [['target.processes', '2', null]],
    },
  ];
  for (const c of cases) {
    const diff = scenarioDifferences(c.baseline, c.current).map((d) => [d.key, d.baseline, d.current]);
    assert.deepEqual(diff, c.keys, c.name);
  }
});

test('scenarioMismatchWarning: null when alike, else one line naming every difference', () => {
  assert.equal(scenarioMismatchWarning('main.json', []), null);
  const line = scenarioMismatchWarning('main.json', [
    { key: 'clients.connections', baseline: '50', current: '100' },
    { key: 'target.url', baseline: null, current: 'ws://h/ws' },
  ])!;
  assert.match(
    line,
    /^the baseline main\.json ran a different scenario \(clients\.connections 50 → 100, target\.url \(not set\) → ws:\/\/h\/ws\)/,
  );
  assert.doesNotMatch(line, /\n/);
});

const yaml = (body: string) => parseScenarioText(body, '');
const facts = (body: string) => scenarioFacts(yaml(body));

test('scenarioFacts: units and defaults resolved, so equal scenarios written differently are alike', () => {
  const a = facts('clients: { connections: 50 }\npublish: { rate: 200/s, duration: 2s, payloadSize: 64B }\n');
  const b = facts(
    'clients: { connections: 50, wsClient: fast }\npublish: { rate: 12000/min, duration: 2000ms, payloadSize: 64, channels: 1 }\nwarmup: 0\n',
  );
  assert.deepEqual(scenarioDifferences(a, b), []);
  const c = facts(
    'clients: { connections: 100 }\npublish: { rate: 400, duration: 1250ms, payloadSize: 1KiB, channels: 4 }\ntransports: [websocket, longpoll]\n',
  );
  assert.deepEqual(
    scenarioDifferences(a, c).map((d) => `${d.key}: ${d.baseline} → ${d.current}`),
    [
      'clients.connections: 50 → 100',
      'publish.rate: 200/s → 400/s',
      'publish.duration: 2s → 1250ms',
      'publish.payloadSize: 64 B → 1,024 B',
      'publish.channels: 1 → 4',
      'transports: websocket → websocket, longpoll',
    ],
  );
});

test('scenarioFacts: clients sending the messages (the chat round trip) is not like a run where wsbench publishes', () => {
  const redis = facts(
    'clients: { connections: 10 }\ntarget: { kind: builtin, clientPublish: true }\npublish: { rate: 10, duration: 1s }\n',
  );
  const chat = facts(
    'clients: { connections: 10 }\ntarget: { kind: builtin, clientPublish: true }\npublish: { rate: 10, duration: 1s, via: websocket, senders: 5 }\n',
  );
  assert.deepEqual(
    scenarioDifferences(redis, chat).map((d) => `${d.key}: ${d.baseline} → ${d.current}`),
    ['publish.via: null → websocket', 'publish.senders: null → 5'],
  );
  const leftOut = facts(
    'clients: { connections: 10 }\ntarget: { kind: builtin, clientPublish: true }\npublish: { rate: 10, duration: 1s, via: websocket, senders: 5, echo: none }\n',
  );
  assert.deepEqual(
    scenarioDifferences(chat, leftOut).map((d) => `${d.key}: ${d.baseline} → ${d.current}`),
    ['publish.echo: null → none'],
    'an app that leaves the sender out is another measurement',
  );
});

test('scenarioFacts: the target, without secrets', () => {
  const f = facts(
    'target: { kind: raw, url: "ws://user:hunter2@h:1/ws/{channel}" }\nclients: { connections: 5 }\npublish: { rate: 1, duration: 1 }\n',
  );
  assert.equal(f['target.kind'], 'raw');
  assert.doesNotMatch(f['target.url']!, /hunter2/);
});

test('baselineScenarioWarning: from a report as stored (raw scenario); an unreadable one says so', () => {
  const current = facts('clients: { connections: 100 }\npublish: { rate: 200/s, duration: 2s }\n');
  const stored = { scenario: { clients: { connections: 50 }, publish: { rate: '200/s', duration: '2s' } } };
  assert.match(baselineScenarioWarning(stored, current, 'main.json')!, /clients\.connections 50 → 100/);
  assert.equal(
    baselineScenarioWarning({ scenario: { clients: { connections: 100 }, publish: { rate: 200, duration: 2 } } }, current, 'x'),
    null,
  );
  assert.match(
    baselineScenarioWarning({ scenario: {} }, current, 'old.json')!,
    /^cannot tell whether the baseline old\.json ran the same scenario \(2 problems: clients: is required \(object\); publish: is required/,
  );
  assert.ok('problem' in reportScenarioFacts({ scenario: 'nonsense' }));
});
