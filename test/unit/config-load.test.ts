import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenarioText } from '../../src/config/load.js';
import { fieldOverrides, stagesOverride, targetOverride } from '../../src/config/overrides.js';
import { publishCounts } from '../../src/config/resolve.js';
import { redactSecrets } from '../../src/secrets.js';
import { ConfigError } from '../../src/errors.js';

const GOOD = `name: t
clients:
  connections: 10
publish:
  rate: 100/s
  duration: 2s
`;

function configError(text: string, overrides = [] as ReturnType<typeof fieldOverrides>): ConfigError {
  try {
    parseScenarioText(text, 'scn.yaml', overrides);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the scenario to be rejected');
}

test('a minimal scenario gets defaults and resolved units', () => {
  const s = parseScenarioText(GOOD, 'scn.yaml');
  assert.equal(s.target.kind, 'builtin');
  assert.equal(s.publish.rate, 100);
  assert.equal(s.publish.duration, 2000);
  assert.equal(s.publish.payloadSize, 64);
  assert.deepEqual(s.channelNames, ['bench']);
  assert.equal(s.encoding, 'binary');
  assert.equal(s.drain, 2000);
  assert.equal(s.clients.maxHandshakesInFlight, 64);
  assert.deepEqual(publishCounts(s), { warmup: 0, measured: 200, total: 200 });
});

test('JSON scenarios are accepted', () => {
  const s = parseScenarioText('{"clients":{"connections":3},"publish":{"rate":5,"duration":"1s","channels":["a","b"]}}', 'scn.json');
  assert.deepEqual(s.channelNames, ['a', 'b']);
  assert.equal(s.clients.connections, 3);
});

const broken: { name: string; text: string; where: string; says: RegExp }[] = [
  { name: 'bad YAML', text: 'clients:\n  connections: 10\n publish: [\n', where: 'scn.yaml:3:', says: /invalid YAML/ },
  { name: 'unknown key', text: GOOD + 'publsh:\n  rate: 1\n', where: 'scn.yaml:7:1', says: /unknown key "publsh"/ },
  {
    name: 'unknown nested key',
    text: GOOD.replace('  connections: 10', '  connections: 10\n  conections: 3'),
    where: 'scn.yaml:4:3',
    says: /clients\.conections: unknown key/,
  },
  {
    name: 'wrong type',
    text: GOOD.replace('connections: 10', 'connections: many'),
    where: 'scn.yaml:3:16',
    says: /clients\.connections: expected number, got string "many"/,
  },
  { name: 'negative rate', text: GOOD.replace('100/s', '-5/s'), where: 'scn.yaml:5:9', says: /publish\.rate: .*greater than zero/ },
  { name: 'not a rate', text: GOOD.replace('100/s', 'lots'), where: 'scn.yaml:5:9', says: /"lots" is not a rate/ },
  {
    name: 'negative duration',
    text: GOOD.replace('duration: 2s', 'duration: -2s'),
    where: 'scn.yaml:6:13',
    says: /publish\.duration: .*greater than zero/,
  },
  {
    name: 'bad target URL',
    text: GOOD + 'target:\n  kind: raw\n  url: http://x/ws\n',
    where: 'scn.yaml:9:8',
    says: /target\.url: must start with ws:\/\/ or wss:\/\//,
  },
  {
    name: 'bad redis URL',
    text: GOOD + 'redis:\n  url: localhost:6379\n',
    where: 'scn.yaml:8:8',
    says: /redis\.url: must be a redis:\/\/ or rediss:\/\/ URL/,
  },
  {
    name: 'unknown target kind',
    text: GOOD + 'target:\n  kind: kafka\n',
    where: 'scn.yaml:8:9',
    says: /target\.kind: must be one of "builtin", "raw", "socketio", "channels", "actioncable", "ws4redis", "centrifugo"/,
  },
  {
    name: 'missing required key',
    text: 'clients:\n  connections: 10\npublish:\n  rate: 5\n',
    where: 'scn.yaml:4:3',
    says: /publish\.duration: required \(how long to publish\), unless `stages` say how the load goes/,
  },
  {
    name: 'payload below stamp',
    text: GOOD.replace('  duration: 2s', '  duration: 2s\n  payloadSize: 16'),
    where: 'scn.yaml:7:16',
    says: /publish\.payloadSize: .*at least 32 bytes/,
  },
  {
    name: 'timeline interval too short',
    text: GOOD + 'report:\n  interval: 10ms\n',
    where: 'scn.yaml:8:13',
    says: /report\.interval: "10ms": must be at least 100 ms/,
  },
  { name: 'not a mapping', text: '- 1\n- 2\n', where: 'scn.yaml:1:1', says: /must be a mapping/ },
  { name: 'duplicate key', text: GOOD + 'name: again\n', where: 'scn.yaml:7:1', says: /invalid YAML: Map keys must be unique/ },
];

for (const c of broken) {
  test(`broken scenario: ${c.name} → one line naming file:line:col`, () => {
    const e = configError(c.text);
    assert.ok(e.message.startsWith(c.where), `"${e.message}" should start with ${c.where}`);
    assert.match(e.message, c.says);
    assert.ok(!e.message.includes('\n'), 'one line');
    assert.equal(e.exitCode, 2);
  });
}

test('flags override the file and bad flag values name the flag', () => {
  const s = parseScenarioText(GOOD, 'scn.yaml', fieldOverrides({ connections: '25', rate: '2k/s', duration: '1m' }));
  assert.equal(s.clients.connections, 25);
  assert.equal(s.publish.rate, 2000);
  assert.equal(s.publish.duration, 60_000);
  const e = configError(GOOD, fieldOverrides({ rate: '-3' }));
  assert.match(e.message, /^--rate: .*greater than zero$/);
});

test('--target with a URL makes a raw target; builtin switches back', () => {
  const raw = parseScenarioText(GOOD, 'scn.yaml', [targetOverride('ws://127.0.0.1:9/ws/{channel}?subscribe-broadcast')]);
  assert.equal(raw.target.kind, 'raw');
  assert.equal(raw.encoding, 'text');
  const builtin = parseScenarioText(GOOD + 'target:\n  kind: raw\n  url: ws://x/{channel}\n', 'scn.yaml', [targetOverride('builtin')]);
  assert.equal(builtin.target.kind, 'builtin');
  const bad = configError(GOOD, [targetOverride('127.0.0.1:9')]);
  assert.match(bad.message, /^--target: .*ws:\/\//);
});

test('--target with a URL keeps a stack adapter (its protocol and injector) and sets its url', () => {
  const stack = GOOD + 'target:\n  kind: ws4redis\n  url: ws://127.0.0.1:8000\n  heartbeat: "--hb--"\n';
  const s = parseScenarioText(stack, 'scn.yaml', [targetOverride('ws://10.0.0.5:9000')]);
  assert.equal(s.target.kind, 'ws4redis');
  assert.equal((s.target as { url: string }).url, 'ws://10.0.0.5:9000');
  assert.equal((s.target as { heartbeat?: string }).heartbeat, '--hb--', 'the adapter keeps its other keys');
  // raw keeps its settings too; builtin becomes raw (its url is another thing: a running wsbench serve).
  const raw = parseScenarioText(GOOD + 'target:\n  kind: raw\n  url: ws://x/{channel}\n  ignore: [ping]\n', 'scn.yaml', [
    targetOverride('ws://y/{channel}'),
  ]);
  assert.deepEqual([raw.target.kind, (raw.target as { ignore: string[] }).ignore], ['raw', ['ping']]);
  assert.equal(parseScenarioText(GOOD + 'target:\n  kind: builtin\n', 'scn.yaml', [targetOverride('ws://y/{channel}')]).target.kind, 'raw');
});

test('secrets are redacted from the scenario as run', () => {
  const s = parseScenarioText(GOOD + 'redis:\n  url: redis://user:hunter2@127.0.0.1:6379/2\n', 'scn.yaml');
  assert.ok(!JSON.stringify(s.asRun).includes('hunter2'));
  // Every header value is secret unless the header is listed as public.
  assert.deepEqual(redactSecrets({ headers: { Authorization: 'Bearer x', cookie: 'y', 'X-Trace': 't' }, publicHeaders: ['x-trace'] }), {
    headers: { Authorization: '***', cookie: '***', 'X-Trace': 't' },
    publicHeaders: ['x-trace'],
  });
});

const STAGED = `clients:
  connections: 50
publish:
  rate: 20/s
warmup: 1s
stages:
  - { duration: 10s, connections: 500, rate: 200/s }
  - { duration: 5s }
`;

test('stages: the load shape ramps from the previous values, publish.duration is the stages’ total, counts are the curve’s area', () => {
  const s = parseScenarioText(STAGED + 'events:\n  - { at: 3s, disconnect: 50%, how: reset, reconnect: { jitter: 2s } }\n', 'scn.yaml');
  assert.equal(s.publish.duration, 15_000);
  assert.equal(s.load.maxConnections, 500);
  assert.equal(s.load.spanMs, 16_000);
  assert.deepEqual(s.load.stageStartsMs, [1000, 11_000]);
  assert.deepEqual(
    s.load.connections.map((c) => [c.from, c.to]),
    [
      [50, 50],
      [50, 500],
      [500, 500],
    ],
  );
  // Warm-up 20/s × 1 s; the ramp (20 + 200) / 2 × 10 s; the hold 200/s × 5 s.
  assert.deepEqual(publishCounts(s), { warmup: 20, measured: 1100 + 1000, total: 2120 });
  assert.deepEqual(s.events![0], {
    at: 3000,
    disconnect: 0.5,
    how: 'reset',
    reconnect: { after: 0, jitter: 2000, backoff: { initial: 250, max: 10_000, factor: 2 } },
  });
});

test('stages, churn and events: bad input names the key and says what is wrong', () => {
  const cases: [name: string, text: string, says: RegExp][] = [
    [
      'duration with stages',
      STAGED.replace('  rate: 20/s\n', '  rate: 20/s\n  duration: 5s\n'),
      /publish\.duration: with stages, publishing lasts/,
    ],
    [
      'both kinds in one event',
      STAGED + 'events:\n  - { at: 2s, disconnect: 10%, serverRestart: true }\n',
      /events\[0\]: an event either drops clients/,
    ],
    ['neither kind', STAGED + 'events:\n  - { at: 2s }\n', /events\[0\]: an event either drops clients/],
    ['a share above 100 %', STAGED + 'events:\n  - { at: 2s, disconnect: 150% }\n', /events\[0\]\.disconnect: "150%": must be a share/],
    [
      'after publishing',
      STAGED + 'events:\n  - { at: 20s, disconnect: 10% }\n',
      /events\[0\]\.at: at 20000 ms is not within publishing \(it lasts 16000 ms/,
    ],
    [
      'restart of a server wsbench did not start',
      STAGED + 'target: { kind: builtin, url: "ws://127.0.0.1:1" }\nevents:\n  - { at: 2s, serverRestart: true }\n',
      /events\[0\]\.serverRestart: only a server wsbench starts can be restarted/,
    ],
    [
      'how with a restart',
      STAGED + 'events:\n  - { at: 2s, serverRestart: true, how: reset }\n',
      /events\[0\]\.how: a server restart drops every connection its own way/,
    ],
    ['negative connections', STAGED.replace('connections: 500', 'connections: -1'), /stages\[0\]\.connections/],
    ['churn of zero', STAGED.replace('  connections: 50\n', '  connections: 50\n  churn: 0/s\n'), /clients\.churn: .*greater than zero/],
  ];
  for (const [name, text, says] of cases) assert.match(configError(text).message, says, name);
});

test('--stage replaces the stages; a malformed one names the flag, its position and the part', () => {
  const s = parseScenarioText(STAGED, 'scn.yaml', [stagesOverride(['2s:connections=100', '3s:rate=50/s:connections=10'])]);
  assert.deepEqual(
    s.stages!.map((x) => [x.duration, x.connections, x.rate]),
    [
      [2000, 100, undefined],
      [3000, 10, 50],
    ],
  );
  const cases: [values: string[], says: RegExp][] = [
    [[':rate=5'], /--stage 1 \(":rate=5"\): starts with a duration/],
    [['2s', '2s:speed=3'], /--stage 2 \("2s:speed=3"\): "speed=3" is not connections=N or rate=R/],
    [['2s:rate=1:rate=2'], /--stage 1 .*rate given twice/],
  ];
  for (const [values, says] of cases)
    assert.throws(
      () => parseScenarioText(STAGED, 'scn.yaml', [stagesOverride(values)]),
      (e: unknown) => e instanceof ConfigError && says.test(e.message),
    );
});
