/**
 * The bad-input corpus: command lines and files built from tables (field × wrong value, flag ×
 * missing or wrong value, broken YAML, broken thresholds, broken report files), each with where
 * its one error line must point. test/integration/bad-input-corpus.test.ts runs them all.
 *
 * Files are declared by a short name; in `args` and `where`, `@name` stands for the file's path
 * (each case gets its own files). Every scenario names an unreachable Redis (port 1) so a case
 * that was wrongly accepted fails fast instead of starting a run.
 */
import { deflateSync } from 'node:zlib';
import { stringify } from 'yaml';
import { fakeReport } from './report.js';

export type Category = 'yaml' | 'scenario' | 'flags' | 'thresholds' | 'reports';

export type FileSpec = string | Buffer | { fifo: true } | { dir: true } | { sparseBytes: number } | { symlinkTo: string };

export interface BadInputCase {
  category: Category;
  name: string;
  args: string[];
  files?: Record<string, FileSpec>;
  /** The first problem line (after "wsbench: error: ") must match; `@name` is the file's path. */
  where: string;
  /** Exit code: 2, except `wsbench connect`, which keeps wscat's 1 for a bad flag. */
  code?: number;
}

const NO_REDIS = 'redis://127.0.0.1:1';

/** A valid scenario; each case changes one thing. */
function baseScenario(kind?: 'builtin' | 'raw'): Record<string, unknown> {
  return {
    name: 'corpus',
    ...(kind === 'raw'
      ? { target: { kind: 'raw', url: 'ws://127.0.0.1:1/ws/{channel}' } }
      : kind === 'builtin'
        ? { target: { kind: 'builtin' } }
        : {}),
    redis: { url: NO_REDIS },
    clients: { connections: 2 },
    publish: { rate: '10/s', duration: '1s' },
    drain: 0,
  };
}

function setIn(obj: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const out = structuredClone(obj);
  let node = out;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
  return out;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function scenarioCase(
  category: Category,
  name: string,
  scenario: Record<string, unknown> | string,
  where: string,
  extraArgs: string[] = [],
): BadInputCase {
  const text = typeof scenario === 'string' ? scenario : stringify(scenario);
  return { category, name, args: ['run', '@s.yaml', ...extraArgs], files: { 's.yaml': text }, where };
}

// ---------------------------------------------------------------------------------------------
// YAML and files

function yamlCases(): BadInputCase[] {
  const ok = stringify(baseScenario());
  const deepList = '['.repeat(50_000) + ']'.repeat(50_000);
  const deepMap = Array.from({ length: 60 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' 1\n';
  const bomb =
    'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n' +
    'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n';
  const texts: [string, FileSpec, string][] = [
    ['unclosed flow list', 'clients:\n  connections: 10\npublish: [\n', '^@s.yaml:\\d+:\\d+: invalid YAML'],
    ['bad indentation', 'clients:\n  connections: 10\n publish: 1\n', '^@s.yaml:3:\\d+: invalid YAML'],
    ['tab indentation', 'clients:\n\tconnections: 10\n', '^@s.yaml:2:\\d+: invalid YAML'],
    ['duplicate key', ok + 'name: again\n', '^@s.yaml:\\d+:1: invalid YAML: Map keys must be unique'],
    ['unterminated quote', 'name: "corpus\nclients: {connections: 1}\n', '^@s.yaml:\\d+:\\d+: invalid YAML'],
    ['two documents', ok + '---\nname: second\n', '^@s.yaml:\\d+:\\d+: invalid YAML: a scenario is one document'],
    ['undefined alias', ok.replace('connections: 2', 'connections: *nope'), '^@s.yaml:\\d+:\\d+: undefined alias \\*nope'],
    ['self-referencing alias', 'a: &a [1, *a]\n', '^@s.yaml:1:\\d+: alias \\*a refers to itself'],
    ['alias bomb', bomb, '^@s.yaml:\\d+:\\d+: aliases expand to more than 10,000 values'],
    ['list nested 50,000 deep', deepList, '^@s.yaml:1:33: nested too deeply \\(at most 32 levels\\)'],
    ['flow mappings nested 40 deep', '{a: '.repeat(40) + '1' + '}'.repeat(40), '^@s.yaml:1:\\d+: nested too deeply'],
    ['sequences nested 40 deep on one line', '- '.repeat(40) + 'x\n', '^@s.yaml:1:65: nested too deeply'],
    ['indented 200 columns', 'name: x\n' + ' '.repeat(200) + 'y: 1\n', '^@s.yaml:2:129: nested too deeply'],
    ['mappings nested 60 deep', deepMap, '^@s.yaml:\\d+:\\d+: nested too deeply'],
    ['a list, not a mapping', '- 1\n- 2\n', '^@s.yaml:1:1: a scenario must be a mapping'],
    ['a scalar, not a mapping', 'just text\n', '^@s.yaml:1:1: a scenario must be a mapping'],
    ['a number, not a mapping', '42\n', '^@s.yaml:1:1: a scenario must be a mapping'],
    ['broken JSON', '{"clients": {"connections": 1}', '^@s.yaml:\\d+:\\d+: invalid JSON/YAML'],
    ['JSON with a comment', '{"clients": {"connections": 1} // no\n}', '^@s.yaml:\\d+:\\d+: invalid JSON/YAML'],
    ['NUL bytes', Buffer.from('clients:\0\0\0\n'), '^@s.yaml:1:1: a scenario must be a mapping'],
    ['not UTF-8', Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xff, 0xfe, 0x0a]), '^@s.yaml: is not UTF-8 text'],
    ['larger than 1 MiB', 'name: x\n' + '#'.repeat(1024 * 1024) + '\n', '^@s.yaml: is 1 MiB: larger than the 1 MiB allowed'],
    ['sparse 2 GiB file', { sparseBytes: 2 * 1024 ** 3 }, '^@s.yaml: is 2048 MiB: larger than the 1 MiB allowed'],
    ['a FIFO', { fifo: true }, '^@s.yaml: is a FIFO \\(named pipe\\), not a regular file'],
    ['a directory', { dir: true }, '^@s.yaml: is a directory'],
    ['a symbolic link loop', { symlinkTo: 's.yaml' }, '^@s.yaml: too many symbolic links'],
  ];
  const out: BadInputCase[] = texts.map(([name, file, where]) => ({
    category: 'yaml',
    name,
    args: ['run', '@s.yaml'],
    files: { 's.yaml': file },
    where,
  }));
  out.push(
    { category: 'yaml', name: 'missing file', args: ['run', '@missing.yaml'], where: '^@missing.yaml: file not found' },
    { category: 'yaml', name: 'a character device', args: ['run', '/dev/null'], where: '^/dev/null: is a character device' },
    {
      category: 'yaml',
      name: 'a path through a file',
      args: ['run', '@f.yaml/x.yaml'],
      files: { 'f.yaml': ok },
      where: '^@f.yaml/x.yaml: a part of the path is not a directory',
    },
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scenario fields × wrong values

const DURATION_BAD: unknown[] = ['abc', -1, '-5s', true, [], {}, 1e308, '', '5 parsecs', '169h', '1e400', null];
const RATE_BAD: unknown[] = ['abc', 0, -1, '0/s', '11M/s', '5/fortnight', true, [], {}, 1e308, '', null];
const SIZE_BAD: unknown[] = ['abc', -1, 0, 1.5, '2GiB', '64 parsecs', true, [], '', null];

interface FieldSpec {
  path: string[];
  bad: unknown[];
  kind?: 'builtin' | 'raw';
}

/** Every `n`-th value from `k`: fields of one kind share the kind's wrong values between them. */
const share = (values: unknown[], k: number, n: number) => values.filter((_, i) => i % n === k);

const FIELDS: FieldSpec[] = [
  // The main field of each kind gets every wrong value of its kind; the others a share of them.
  { path: ['publish', 'duration'], bad: [...DURATION_BAD, 0] },
  { path: ['warmup'], bad: share(DURATION_BAD, 0, 4) },
  { path: ['drain'], bad: share(DURATION_BAD, 1, 4) },
  { path: ['clients', 'rampUp'], bad: share(DURATION_BAD, 2, 4) },
  { path: ['clients', 'connectTimeout'], bad: [...share(DURATION_BAD, 3, 4), 0] },
  { path: ['polling', 'interval'], bad: [...share(DURATION_BAD, 1, 3), 0] },
  { path: ['polling', 'longPollTimeout'], bad: ['abc', 0, '-1s', '169h', true] },
  { path: ['target', 'writeDelay'], bad: ['abc', '-1ms', '169h', []], kind: 'builtin' },
  { path: ['target', 'readiness', 'timeout'], bad: ['abc', 0, '169h', {}], kind: 'raw' },
  { path: ['target', 'readiness', 'settle'], bad: ['abc', '-1s', '169h'], kind: 'raw' },
  { path: ['publish', 'rate'], bad: RATE_BAD },
  { path: ['publish', 'payloadSize'], bad: [...SIZE_BAD, 16, '65MiB'] },
  { path: ['target', 'maxPayload'], bad: share(SIZE_BAD, 0, 2), kind: 'builtin' },
  { path: ['clients', 'connections'], bad: ['many', -1, 0, 1.5, 1e12, true, null] },
  { path: ['clients', 'maxHandshakesInFlight'], bad: ['many', 0, 1.5, 1e9, false] },
  { path: ['clients', 'workers'], bad: ['many', 0, 65, 1.5] },
  { path: ['target', 'port'], bad: ['http', -1, 65536, 1.5], kind: 'builtin' },
  { path: ['target', 'pollBufferSize'], bad: ['x', 0, 1e8], kind: 'builtin' },
  { path: ['target', 'processes'], bad: ['some', 0, 65, 1.5], kind: 'builtin' },
  { path: ['target', 'host'], bad: ['bad host!', '', 5, '-x'], kind: 'builtin' },
  { path: ['target', 'perMessageDeflate'], bad: ['yes please', 1], kind: 'builtin' },
  {
    path: ['publish', 'channels'],
    bad: [0, 100_001, 'ten', [], ['..'], ['.'], ['a b'], ['a%2Fb'], ['a/b'], ['x'.repeat(201)], ['\u001b[2J'], ['\u202eevil'], [5]],
  },
  { path: ['publish', 'encoding'], bad: ['base64', 1, true] },
  { path: ['clients', 'wsClient'], bad: ['slow', 1, null] },
  { path: ['clients', 'localAddresses'], bad: [['999.1.1.1'], ['abc'], ['::::'], '127.0.0.1', [5]] },
  { path: ['transports'], bad: [[], ['carrier-pigeon'], 'websocket', [1]] },
  { path: ['redis', 'url'], bad: ['localhost:6379', 'http://x', 'redis://', 5, ''] },
  { path: ['redis', 'binary'], bad: [5, []] },
  { path: ['target', 'kind'], bad: ['kafka', 5, null] },
  { path: ['target', 'url'], bad: ['http://x/ws', 'ws://', 'not a url', 5, ''], kind: 'raw' },
  {
    path: ['target', 'headers'],
    bad: [{ 'X Bad': 'v' }, { 'X-Ok': 'line\nbreak' }, { 'X-Ok': 5 }, ['X-Ok: v'], 'X-Ok: v', { '': 'v' }],
    kind: 'raw',
  },
  { path: ['target', 'publicHeaders'], bad: ['X-Trace', [''], [5]], kind: 'raw' },
  { path: ['target', 'send'], bad: ['hello', [5]], kind: 'raw' },
  { path: ['target', 'readiness', 'numsub'], bad: ['some', -1, 1.5], kind: 'raw' },
  { path: ['name'], bad: [5, [], {}] },
  { path: ['thresholds'], bad: ['fanout.p99 < 50ms', [5], {}] },
];

function displayValue(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 24 ? `${s.slice(0, 21)}… (${s.length} chars)` : s;
}

function scenarioFieldCases(): BadInputCase[] {
  const out: BadInputCase[] = [];
  for (const field of FIELDS) {
    for (const value of field.bad) {
      const scenario = setIn(baseScenario(field.kind), field.path, value);
      out.push(
        scenarioCase(
          'scenario',
          `${field.path.join('.')} = ${displayValue(value)}`,
          scenario,
          `^@s.yaml:\\d+:\\d+: ${esc(field.path.join('.'))}(\\[\\d+\\]|\\..*?)?: `,
        ),
      );
    }
  }
  // Structure, unknown keys and rules across fields.
  const base = baseScenario();
  const without = (key: string) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== key));
  const structural: [string, Record<string, unknown> | string, string][] = [
    ['no clients', without('clients'), '^@s.yaml:\\d+:\\d+: clients: is required'],
    ['no publish', without('publish'), '^@s.yaml:\\d+:\\d+: publish: is required'],
    ['empty file', '', '^@s.yaml:\\d+:\\d+: clients: is required'],
    ['only a comment', '# nothing\n', '^@s.yaml:\\d+:\\d+: clients: is required'],
    ['clients is a list', setIn(base, ['clients'], [1, 2]), '^@s.yaml:\\d+:\\d+: clients: expected object'],
    ['publish is text', setIn(base, ['publish'], 'fast'), '^@s.yaml:\\d+:\\d+: publish: expected object'],
    ['target is a number', setIn(base, ['target'], 5), '^@s.yaml:\\d+:\\d+: target: '],
    ['raw target without url', setIn(base, ['target'], { kind: 'raw' }), '^@s.yaml:\\d+:\\d+: target\\.url: is required'],
    [
      'unknown top-level key (typo)',
      setIn(base, ['publsh'], { rate: 1 }),
      '^@s.yaml:\\d+:1: publsh: unknown key "publsh": did you mean "publish"\\?',
    ],
    [
      'unknown nested key (typo)',
      setIn(base, ['clients', 'conections'], 3),
      '^@s.yaml:\\d+:\\d+: clients\\.conections: unknown key "conections": did you mean "connections"\\?',
    ],
    [
      'key at the wrong level',
      setIn(base, ['publish', 'connections'], 3),
      '^@s.yaml:\\d+:\\d+: publish\\.connections: unknown key "connections": did you mean "connections" \\(under clients\\)\\?',
    ],
    ['unknown key, nothing close', setIn(base, ['frobnicate'], 1), '^@s.yaml:\\d+:1: frobnicate: unknown key "frobnicate"$'],
    [
      'unknown raw target key',
      setIn(baseScenario('raw'), ['target', 'heders'], {}),
      '^@s.yaml:\\d+:\\d+: target\\.heders: unknown key "heders": did you mean "headers"\\?',
    ],
    [
      'socketio key on a raw target',
      setIn(baseScenario('raw'), ['target', 'namespace'], '/'),
      '^@s.yaml:\\d+:\\d+: target\\.namespace: unknown key',
    ],
    [
      'payload below the stamp',
      setIn(base, ['publish', 'payloadSize'], 20),
      '^@s.yaml:\\d+:\\d+: publish\\.payloadSize: 20: must be at least 32 bytes',
    ],
    [
      'text payload below the stamp',
      setIn(setIn(base, ['publish', 'payloadSize'], 40), ['publish', 'encoding'], 'text'),
      '^@s.yaml:\\d+:\\d+: publish\\.payloadSize: must be at least 48 bytes',
    ],
    [
      'longpoll on a raw target',
      setIn(baseScenario('raw'), ['transports'], ['websocket', 'longpoll']),
      '^@s.yaml:\\d+:\\d+: transports\\[1\\]: "longpoll" needs a polling endpoint',
    ],
    [
      'a transport twice',
      setIn(base, ['transports'], ['websocket', 'websocket']),
      '^@s.yaml:\\d+:\\d+: transports\\[1\\]: "websocket" is listed twice',
    ],
    [
      '1e10 messages',
      setIn(setIn(base, ['publish', 'rate'], '10M/s'), ['publish', 'duration'], '1000s'),
      '^@s.yaml:\\d+:\\d+: publish\\.duration: rate × \\(warmup \\+ duration\\) is 10,000,000,000 messages',
    ],
    [
      'warm-up pushes past 1e9 messages',
      setIn(setIn(setIn(base, ['publish', 'rate'], '1M/s'), ['publish', 'duration'], '500s'), ['warmup'], '600s'),
      '^@s.yaml:\\d+:\\d+: publish\\.duration: rate × \\(warmup \\+ duration\\)',
    ],
    [
      'socketio with channels but no room',
      setIn(setIn(base, ['target'], { kind: 'socketio', url: 'ws://127.0.0.1:1' }), ['publish', 'channels'], 2),
      '^@s.yaml:\\d+:\\d+: target\\.room: several channels need a room',
    ],
    [
      'binary payload to a stack',
      setIn(setIn(base, ['target'], { kind: 'channels', url: 'ws://127.0.0.1:1/ws/{channel}/' }), ['publish', 'encoding'], 'binary'),
      '^@s.yaml:\\d+:\\d+: publish\\.encoding: a channels target carries the payload as text',
    ],
    [
      'ws4redis user audience without who',
      setIn(base, ['target'], { kind: 'ws4redis', url: 'ws://127.0.0.1:1', audience: 'user' }),
      '^@s.yaml:\\d+:\\d+: target\\.who: audience user needs who',
    ],
    [
      'baseline tolerance not a percentage',
      setIn(base, ['baseline'], { maxRegression: 'lots' }),
      '^@s.yaml:\\d+:\\d+: baseline\\.maxRegression: "lots" is not a tolerance',
    ],
    [
      'baseline on an unknown metric',
      setIn(base, ['baseline'], { metrics: { 'fanout.p98': '10%' } }),
      '^@s.yaml:\\d+:\\d+: baseline\\.metrics\\.fanout\\.p98: ',
    ],
  ];
  for (const [name, scenario, where] of structural) out.push(scenarioCase('scenario', name, scenario, where));
  // Several problems: a first line with the count, then one line each (the runner checks the count).
  out.push(
    scenarioCase(
      'scenario',
      'three problems at once',
      setIn(setIn(setIn(base, ['clients', 'conections'], 3), ['publish', 'rate'], 'lots'), ['drain'], '-1s'),
      '^@s.yaml:\\d+:\\d+: clients\\.conections: unknown key',
    ),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// Thresholds: each bad expression as a flag, in a scenario file, and for --find-capacity

const BAD_THRESHOLDS: [string, string][] = [
  ['', 'empty threshold'],
  ['   ', 'empty threshold'],
  ['fanout.p99', 'expected a comparison'],
  ['fanout.p99 <', 'expected a metric or a number'],
  ['< 5ms', 'expected a metric or a number'],
  ['fanout.p99 < 5 parsecs', 'unexpected'],
  ['fanout.p99 < 5xs', 'unknown unit "xs"'],
  ['fanout.p99 = 5ms', '"=" is not an operator'],
  ['fanout.p99 <> 5ms', 'expected a metric or a number'],
  ['fanout.p98 < 5ms', 'fanout.p98'],
  ['nosuch < 1', 'nosuch'],
  ['fanout.p99 < 5%', 'cannot compare a latency and a percentage'],
  ['delivery.lostRatio < 5ms', 'cannot compare a ratio and a latency'],
  ['fanout.p99 + delivery.lostRatio < 1', 'cannot add a latency and a ratio'],
  ['fanout.p99 < (5ms', 'expected "\\)"'],
  ['fanout.p99 < 5ms)', 'unexpected "\\)" after the comparison'],
  ['fanout.p99 < 5ms 5ms', 'unexpected "5ms" after the comparison'],
  ['1 < 2', 'must name at least one metric'],
  ['fanout.p99 @ 5ms', 'unexpected character "@"'],
  ['fanout.p99 < 5ms; rm -rf /', 'unexpected character ";"'],
  ['fanout.p99 < \u001b[2J5ms', 'unexpected character'],
  ['('.repeat(50_000) + 'fanout.p99' + ')'.repeat(50_000) + ' < 1', 'at most 1000 characters'],
  ['('.repeat(40) + 'fanout.p99' + ')'.repeat(40) + ' < 1', 'nested more than 32 levels deep'],
  ['0 - ' + '- '.repeat(40) + 'fanout.p99 < 1', 'nested more than 32 levels deep'],
  ['fanout.p99' + ' + fanout.p99'.repeat(100) + ' < 1', 'at most 1000 characters'],
];

function thresholdCases(): BadInputCase[] {
  const out: BadInputCase[] = [];
  const flags = ['-c', '2', '-r', '10', '-d', '1s', '--redis', NO_REDIS];
  BAD_THRESHOLDS.forEach(([expression, says], i) => {
    const label = displayValue(expression);
    // `--threshold=…` so that an expression starting with "-" or "<" stays a value.
    out.push({
      category: 'thresholds',
      name: `--threshold ${label}`,
      args: ['run', ...flags, `--threshold=${expression}`],
      where: `^--threshold: .*${says}`,
    });
    out.push(
      scenarioCase(
        'thresholds',
        `thresholds: [${label}]`,
        setIn(baseScenario(), ['thresholds'], ['delivery.lostRatio == 0', expression]),
        `^@s.yaml:\\d+:\\d+: thresholds\\[1\\]: .*${says}`,
      ),
    );
    if (i % 3 === 0)
      out.push({
        category: 'thresholds',
        name: `--find-capacity ${label}`,
        args: ['run', ...flags, `--find-capacity=${expression}`],
        where: `^--find-capacity: .*${says}`,
      });
    if (i % 4 === 1)
      out.push({
        category: 'thresholds',
        name: `compare -t ${label}`,
        args: ['compare', '@a.json', '@b.json', `--threshold=${expression}`],
        files: { 'a.json': goodReport(), 'b.json': goodReport() },
        where: `^--threshold: .*${says}`,
      });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Flags

function flagCases(): BadInputCase[] {
  const run = (name: string, args: string[], where: string): BadInputCase => ({
    category: 'flags',
    name: `run ${name}`,
    args: ['run', ...args],
    where,
  });
  const load = ['-c', '2', '-r', '10', '-d', '1s', '--redis', NO_REDIS];
  const out: BadInputCase[] = [];
  // A flag that needs a value, given without one (at the end, and followed by another flag).
  const needsValue: [string, string][] = [
    ['-t', '-t'],
    ['--threshold', '--threshold'],
    ['--baseline', '--baseline'],
    ['-b', '-b'],
    ['--max-regression', '--max-regression'],
    ['--repeat', '--repeat'],
    ['--junit', '--junit'],
    ['--markdown', '--markdown'],
    ['--hlog', '--hlog'],
    ['--find-capacity', '--find-capacity'],
    ['--out', '--out'],
    ['-o', '-o'],
  ];
  for (const [flag, shown] of needsValue) {
    out.push(run(`${flag} (last)`, [...load, flag], `^${esc(shown)} needs a value \\(wsbench run --help lists the options\\)$`));
    out.push(run(`${flag} --quiet`, [...load, flag, '--quiet'], `^${esc(shown)} needs a value`));
  }
  const compareNeedsValue = ['--max-regression', '-t', '--threshold', '--junit', '--markdown'];
  for (const flag of compareNeedsValue)
    out.push({
      category: 'flags',
      name: `compare ${flag} (last)`,
      args: ['compare', 'a.json', 'b.json', flag],
      where: `^${esc(flag)} needs a value \\(wsbench compare --help`,
    });
  for (const flag of [
    '-H',
    '--header',
    '-x',
    '-s',
    '--auth',
    '-o',
    '--origin',
    '--wait',
    '-w',
    '--listen',
    '-l',
    '--ca',
    '--proxy',
    '--redis',
    '--history-file',
  ])
    out.push({
      category: 'flags',
      name: `connect ${flag} (last)`,
      args: ['connect', 'ws://127.0.0.1:1', flag],
      where: `^${esc(flag)} needs a value \\(wsbench connect --help`,
      code: 1,
    });

  // Wrong values for run's scenario flags (checked like the same field in a file, named by flag).
  const wrong: [string, string, string][] = [
    ['-c', 'abc', '--connections: is not a number'],
    ['-c', '-5', '--connections: must be >= 1'],
    ['-c', '1.5', '--connections: expected int'],
    ['-c', '2000000', '--connections: must be <= 1000000'],
    ['--connections', '', '--connections: must be >= 1'],
    ['-c', '2 -c 3', '--connections: given more than once'],
    ['-r', 'abc', '--rate: "abc" is not a rate'],
    ['-r', '0', '--rate: .*must be greater than zero'],
    ['-r', '20M/s', '--rate: .*must be at most 10M/s'],
    ['--rate', '', '--rate: "" is not a rate'],
    ['-d', 'abc', '--duration: "abc" is not a duration'],
    ['-d', '=-1s', '--duration: .*must be greater than zero'],
    ['-d', '200h', '--duration: .*must be at most 168h'],
    ['-d', '1e308', '--duration: .*is too large'],
    ['--payload-size', 'big', '--payload-size: "big" is not a size'],
    ['--payload-size', '8', '--payload-size: .*at least 32 bytes'],
    ['--channels', 'abc', '--channels: is not a number'],
    ['--channels', '0', '--channels: '],
    ['--encoding', 'base64', '--encoding: "base64" is not one of "binary", "text"'],
    ['--ws-client', 'slow', '--ws-client: "slow" is not one of "fast", "ws"'],
    ['--workers', '0', '--workers: must be >= 1'],
    ['--workers', 'abc', '--workers: is not a number'],
    ['--max-handshakes', '0', '--max-handshakes: must be >= 1'],
    ['--warmup', 'soon', '--warmup: "soon" is not a duration'],
    ['--drain', '=-1s', '--drain: .*must not be negative'],
    ['--ramp-up', 'x', '--ramp-up: "x" is not a duration'],
    ['--redis', 'localhost:6379', '--redis: must be a redis:// or rediss:// URL'],
    ['--target', 'http://127.0.0.1/ws', '--target: must start with ws:// or wss://'],
    ['--target', '', '--target: must start with ws:// or wss://'],
    ['--local-address', '999.1.1.1', '--local-address: must be an IP address'],
    ['--local-address', 'eth0', '--local-address: must be an IP address'],
    ['--repeat', '0', '--repeat: "0": must be a whole number from 1 to 100'],
    ['--repeat', '1.5', '--repeat: "1.5": must be a whole number from 1 to 100'],
    ['--repeat', '101', '--repeat: "101": must be a whole number from 1 to 100'],
    ['--repeat', 'abc', '--repeat: is not a number'],
    ['--max-regression', 'lots', '--max-regression: "lots": expected a tolerance'],
    ['--max-regression', 'fanout.p99=abc', '--max-regression: "fanout.p99=abc": expected a tolerance'],
    ['--max-regression', 'fanout.p98=10%', '--max-regression: '],
    ['--capacity-by', 'memory', '--capacity-by: "memory" is not one of "connections", "rate"'],
  ];
  const long: Record<string, string> = { '-c': '--connections', '-r': '--rate', '-d': '--duration' };
  for (const [flag, value, where] of wrong) {
    const name = long[flag] ?? flag;
    const base = load.filter((_, i) => ![load[i], load[i - 1]].some((f) => f === flag || f === name || long[f ?? ''] === name));
    // "=value" keeps a value that starts with "-" a value; "a -c b" gives the flag twice.
    const given = value.startsWith('=') ? [`${flag}${value}`] : value.includes(' -') ? [flag, ...value.split(' ')] : [flag, value];
    out.push(run(`${flag} ${JSON.stringify(value)}`, [...base, ...given], `^${where}`));
  }
  // The target URL flag keeps working with the rest of a raw scenario.
  out.push(
    run(
      '--capacity-factor 1',
      [...load, '--find-capacity', 'fanout.p99 < 1s', '--capacity-factor', '1'],
      '^--capacity-factor: must be greater than 1',
    ),
  );
  out.push(
    run(
      '--capacity-max below start',
      [...load, '--find-capacity', 'fanout.p99 < 1s', '--capacity-max', '1'],
      '^--capacity-max: must be at least the starting connections',
    ),
  );

  // Output files, checked before anything starts.
  const outputs: [string, string[], Record<string, FileSpec> | undefined, string][] = [
    ["--out ''", ['--out', ''], undefined, '^--out: needs a file name'],
    [
      '--out into a missing directory',
      ['--out', '@nodir/r.json'],
      undefined,
      '^--out: cannot write @nodir/r.json \\(its directory does not exist\\)',
    ],
    ['--out a directory', ['--out', '@d'], { d: { dir: true } }, '^--out: @d is a directory'],
    [
      '--out through a file',
      ['--out', '@f/r.json'],
      { f: 'x' },
      '^--out: cannot write @f/r.json \\(a part of the path is not a directory\\)',
    ],
    ['--junit into a missing directory', ['--junit', '@nodir/j.xml'], undefined, '^--junit: cannot write'],
    ['--markdown a directory', ['--markdown', '@d'], { d: { dir: true } }, '^--markdown: @d is a directory'],
    ['--hlog into a missing directory', ['--hlog', '@nodir/l.hlog'], undefined, '^--hlog: cannot write'],
    ["--junit ''", ['--junit', ''], undefined, '^--junit: needs a file name'],
    ['--junit -', ['--junit=-'], undefined, '^--junit: "-" \\(standard output\\) is only for --out'],
    ['--out and --junit on one file', ['--out', '@same', '--junit', '@same'], undefined, '^--junit: @same is also the file of --out'],
    ['--out - with --json', ['--out', '-', '--json'], undefined, '^--out: "-" \\(stdout\\) cannot be used with --json'],
    [
      '--out - with --find-capacity',
      ['--out', '-', '--find-capacity', 'fanout.p99 < 1s'],
      undefined,
      '^--out: "-" \\(stdout\\) cannot be used with --find-capacity',
    ],
  ];
  for (const [name, args, files, where] of outputs)
    out.push({ category: 'flags', name: `run ${name}`, args: ['run', ...load, ...args], ...(files ? { files } : {}), where });
  out.push({
    category: 'flags',
    name: 'compare --junit into a missing directory',
    args: ['compare', '@a.json', '@b.json', '--junit', '@nodir/j.xml'],
    files: { 'a.json': goodReport(), 'b.json': goodReport() },
    where: '^--junit: cannot write',
  });

  // Unknown flags, commands and arguments.
  out.push(
    run('--frob', [...load, '--frob'], '^Unknown argument: frob'),
    run('-Z', [...load, '-Z'], '^Unknown argument: Z'),
    run('two scenario files', ['@a.yaml', '@b.yaml'], '^Unknown arguments?: '),
    {
      category: 'flags',
      name: 'no command',
      args: [],
      where: '^Choose a command: run, compare, report, serve, connect, agent, doctor or completion \\(wsbench --help lists the options\\)$',
    },
    {
      category: 'flags',
      name: 'report --html into a missing directory',
      args: ['report', '@a.json', '--html', '@nodir/r.html'],
      files: { 'a.json': goodReport() },
      where: '^--html: cannot write',
    },
    {
      category: 'flags',
      name: 'report --hlog with two reports',
      args: ['report', '@a.json', '@b.json', '--hlog', '@l.hlog'],
      files: { 'a.json': goodReport(), 'b.json': goodReport() },
      where: '^--hlog: an .hlog holds one report; got 2',
    },
    { category: 'flags', name: 'report without a file', args: ['report'], where: '^report needs 1 argument, got 0' },
    {
      category: 'flags',
      name: 'run --html into a missing directory',
      args: ['run', '-c', '2', '-r', '10', '-d', '1s', '--redis', NO_REDIS, '--html', '@nodir/r.html'],
      where: '^--html: cannot write',
    },
    { category: 'flags', name: 'unknown command close to one', args: ['rnu'], where: '^unknown command "rnu": did you mean run\\?' },
    { category: 'flags', name: 'unknown command', args: ['frobnicate'], where: '^(unknown command|Unknown argument)' },
    { category: 'flags', name: 'compare with one report', args: ['compare', 'a.json'], where: '^compare needs 2 arguments, got 1' },
    { category: 'flags', name: 'compare with none', args: ['compare'], where: '^compare needs 2 arguments, got 0' },
    {
      category: 'flags',
      name: 'compare with three',
      args: ['compare', 'a.json', 'b.json', 'c.json'],
      where: '^Unknown argument: c.json',
    },
    { category: 'flags', name: 'run without a scenario or load', args: ['run', '--redis', NO_REDIS], where: '^2 problems:$' },
  );

  // doctor and serve.
  const doctor: [string[], string][] = [
    [['-c', 'abc'], '^--connections: is not a number'],
    [['-c', '-1'], '^--connections: must be a whole number from 0 to '],
    [['-c', '1.5'], '^--connections: must be a whole number'],
    [['--workers', '0'], '^--workers: must be a whole number from 1 to 64'],
    [['--workers', 'x'], '^--workers: is not a number'],
    [['--server-processes', '-1'], '^--server-processes: must be a whole number from 0 to 64'],
    [['--redis', 'localhost'], '^--redis: must be a redis:// or rediss:// URL'],
    [['--target', 'localhost:8080'], '^--target: must be a ws:// or wss:// URL'],
    [['--frob'], '^Unknown argument: frob'],
  ];
  for (const [args, where] of doctor) out.push({ category: 'flags', name: `doctor ${args.join(' ')}`, args: ['doctor', ...args], where });
  const serve: [string[], string][] = [
    [['--port', 'abc'], '^--port: must be a port number 0-65535'],
    [['--port', '70000'], '^--port: must be a port number 0-65535'],
    [['--max-payload', 'huge'], '^--max-payload: "huge" is not a size'],
    [['--write-delay', 'soon'], '^--write-delay: "soon" is not a duration'],
    [['--processes', '0'], '^--processes: "0" is not auto or a number of processes 1-64'],
    [['--redis', 'localhost'], '^--redis: must be a redis:// or rediss:// URL'],
  ];
  for (const [args, where] of serve) out.push({ category: 'flags', name: `serve ${args.join(' ')}`, args: ['serve', ...args], where });

  // Distributed runs: the agent's flags and the coordinator's, refused before anything connects.
  const agent: [string[], string][] = [
    [['--name', 'a'], '^--redis: the control Redis is required'],
    [['--redis', 'localhost:6379', '--name', 'a'], '^--redis: must be a redis:// or rediss:// URL'],
    [['--redis', NO_REDIS], '^--name: every agent needs a name'],
    [['--redis', NO_REDIS, '--name', 'coordinator'], '^--name: "coordinator": "coordinator" is the coordinator'],
    [['--redis', NO_REDIS, '--name', 'a:b'], '^--name: "a:b": an agent name is 1–63 letters'],
    [['--redis', NO_REDIS, '--name', 'a', '--label', 'zone'], '^--label: "zone" is not k=v'],
    [['--redis', NO_REDIS, '--name', 'a', '--label', 'zone=a b'], '^--label: label value "a b" must be'],
    [['--redis', NO_REDIS, '--name', 'a', '--capacity', '0'], '^--capacity: 0 is not a connection count'],
    [['--redis', NO_REDIS, '--name', 'a', '--capacity', '1.5'], '^--capacity: 1.5 is not a connection count'],
  ];
  for (const [args, where] of agent) out.push({ category: 'flags', name: `agent ${args.join(' ')}`, args: ['agent', ...args], where });
  const noRedis = ['-c', '2', '-r', '10', '-d', '1s'];
  out.push(
    run('--agents 0', [...load, '--agents', '0'], '^--agents: must be a whole number of agents from 1 to 1000'),
    run('--agents without a Redis', [...noRedis, '--agents', '2'], '^--agents: the agents need a control Redis they can reach'),
    run('--agents-wait alone', [...load, '--agents-wait', '10s'], '^--agents-wait: only with --agents N'),
    run('--agents-wait not a duration', [...load, '--agents', '2', '--agents-wait', 'soon'], '^--agents-wait: "soon" is not a duration'),
    run('--agent-label not k=v', [...load, '--agents', '2', '--agent-label', 'pool'], '^--agent-label: "pool" is not k=v'),
  );

  // connect keeps wscat's exit code 1 for a bad flag.
  const connect: [string[], string][] = [
    [['ws://127.0.0.1:1', '-H', 'no colon'], '^--header: "no colon" is not a header'],
    [['ws://127.0.0.1:1', '--protocol', '9'], '^--protocol: must be 8 or 13'],
    [['ws://127.0.0.1:1', '--wait', 'abc'], '^--wait: must be seconds'],
    [['-l', '70000'], '^--listen: must be a port number 0-65535'],
    [['ws://127.0.0.1:1', '--reconnect=abc'], '^--reconnect: "abc" is not a number of attempts'],
    [['ws://127.0.0.1:1', '--binary-format', 'octal'], '^--binary-format: "octal" is not one of "hex", "base64"'],
    [['ws://127.0.0.1:1', '-l', '9000'], '^--listen: use either a URL'],
    [[], '^url: give a URL to connect to'],
    [['ftp://127.0.0.1:1'], '^url: "ftp://127.0.0.1:1" is not a WebSocket URL'],
    [['ws://127.0.0.1:1', '--redis', 'localhost'], '^--redis: "localhost" is not a Redis URL'],
    [['ws://127.0.0.1:1', '--auth', 'nopassword'], '^--auth: must be user:password'],
    [['ws://127.0.0.1:1', '--ping-interval', '0'], '^--ping-interval: must be seconds > 0'],
  ];
  for (const [args, where] of connect)
    out.push({ category: 'flags', name: `connect ${args.join(' ') || '(nothing)'}`, args: ['connect', ...args], where, code: 1 });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Report files for compare and --baseline

export function goodReport(): string {
  return JSON.stringify(fakeReport({ websocket: {} }));
}

/** Every leaf of the websocket transport, as a path from the report root. */
function leafPaths(value: unknown, prefix: string[]): string[][] {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return [prefix];
    return entries.flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  }
  return [prefix];
}

function mutate(report: Record<string, unknown>, path: string[], how: 'delete' | 'wrong' | 'null' | 'object'): Record<string, unknown> {
  const out = structuredClone(report);
  let node = out;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1]!;
  if (how === 'delete') delete node[last];
  // "wrong type": a string where a number is, a number where a string is.
  else node[last] = how === 'wrong' ? (typeof node[last] === 'string' ? 42 : 'x') : how === 'null' ? null : {};
  return out;
}

function reportCases(): BadInputCase[] {
  const good = JSON.parse(goodReport()) as Record<string, unknown>;
  // Fields that may be absent or are free-form (not read by compare or the gate).
  const optional =
    /^(scenario|tool\.(name|node)|run\.(name|endedAt|clock|host)|transports\.websocket\.(delivery\.ignoredBy|phases|tool\.processes|errors$|errorSamples$))/;
  // Every other field of the report (each kind of field is still covered: latency summaries,
  // delivery, throughput, connections, wire, tool, histograms, run, schema).
  const leaves = leafPaths(good, [])
    .filter((p) => p[0] === 'transports' || p[0] === 'run' || p[0] === 'schema' || p[0] === 'tool')
    .filter((p) => !optional.test(p.join('.')))
    .filter((_, i) => i % 2 === 0);
  const hows = ['delete', 'wrong', 'null'] as const;
  const mutations: [string, string | FileSpec, string][] = leaves.map((path, i) => {
    // Fields that may be null or absent (added within v1) are only wrong with the wrong type.
    const mayBeMissing = /^transports\.websocket\.(serverCpuUsPerDelivery|delivery\.(unpublished|notOwed)|throughput\.publishFailures)$/;
    const how = mayBeMissing.test(path.join('.')) ? 'wrong' : hows[i % hows.length]!;
    const field = path.join('.');
    const where = field === 'schema' ? '(not a wsbench report \\(no "schema" field\\)|report schema)' : `${esc(field)}: `;
    return [
      `${field} ${how === 'delete' ? 'missing' : how === 'wrong' ? 'of the wrong type' : '= null'}`,
      JSON.stringify(mutate(good, path, how)),
      where,
    ];
  });
  const ws = (good['transports'] as Record<string, Record<string, unknown>>)['websocket']!;
  const withTransports = (t: unknown) => JSON.stringify({ ...good, transports: t });
  const hist = (value: string) =>
    JSON.stringify(mutate(good, ['transports', 'websocket', 'histograms', 'fanout'], 'delete')).replace(
      '"histograms":{',
      `"histograms":{"fanout":${JSON.stringify(value)},`,
    );
  const zlibBomb = (() => {
    // A valid V2 header followed by zlib data that inflates to 8 MiB of zeros (8 KiB compressed).
    const body = deflateSync(Buffer.alloc(8 * 1024 * 1024));
    const head = Buffer.alloc(8);
    head.writeUInt32BE(0x1c849304, 0);
    head.writeUInt32BE(body.length, 4);
    return Buffer.concat([head, body]).toString('base64');
  })();
  mutations.push(
    ['not JSON', 'this is not json', 'not a JSON report'],
    ['empty file', '', 'not a JSON report'],
    ['a JSON list', '[1, 2]', 'not a wsbench report \\(not a JSON object\\)'],
    ['JSON null', 'null', 'not a wsbench report \\(not a JSON object\\)'],
    ['another schema', JSON.stringify({ ...good, schema: 'wsbench.report/v9' }), 'report schema "wsbench.report/v9" is not supported'],
    [
      'schema with escapes',
      JSON.stringify({ ...good, schema: '\u001b]0;x\u0007' }),
      'report schema "\\\\u001b\\]0;x\\\\u0007" is not supported',
    ],
    ['no transports', withTransports(undefined), 'transports: is missing'],
    ['empty transports', withTransports({}), 'transports: has no transport results'],
    [
      'empty websocket transport',
      withTransports({ websocket: {} }),
      'transports\\.websocket\\.transport: is missing \\(\\d+ problems in this report; this is the first\\)',
    ],
    ['transports is a list', withTransports([ws]), 'transports: expected object, got a list'],
    [
      'unknown transport name inside',
      withTransports({ websocket: { ...ws, transport: 'carrier-pigeon' } }),
      'transports\\.websocket\\.transport: must be one of',
    ],
    ['garbage histogram', hist('garbage'), 'transports\\.websocket\\.histograms\\.fanout: not a readable histogram'],
    ['truncated histogram', hist('HISTFAAAACJ4nJNpmSzMwMDAzM'), 'transports\\.websocket\\.histograms\\.fanout: not a readable histogram'],
    [
      'zlib bomb histogram',
      hist(zlibBomb),
      'transports\\.websocket\\.histograms\\.fanout: not a readable histogram \\(decompresses to more than 4 MiB\\)',
    ],
    ['repeats not a list', JSON.stringify({ ...good, repeats: 'x' }), 'repeats: expected array'],
    [
      'repeat without transports',
      JSON.stringify({ ...good, repeats: [{ run: good['run'] }, { run: good['run'] }] }),
      'repeats\\[0\\]\\.transports: is missing',
    ],
    ['larger than 64 MiB (sparse)', { sparseBytes: 65 * 1024 * 1024 }, 'is 65 MiB: larger than the 64 MiB allowed'],
    ['a FIFO', { fifo: true }, 'is a FIFO \\(named pipe\\), not a regular file'],
    ['a directory', { dir: true }, 'is a directory'],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'is not UTF-8 text'],
  );
  const out: BadInputCase[] = [];
  mutations.forEach(([name, content, says], i) => {
    const files: Record<string, FileSpec> = { 'good.json': goodReport(), 'bad.json': content };
    // Each broken report in one of the four places a report is read.
    switch (i % 4) {
      case 0:
        out.push({
          category: 'reports',
          name: `compare <${name}> <good>`,
          args: ['compare', '@bad.json', '@good.json'],
          files,
          where: `^@bad.json: ${says}`,
        });
        break;
      case 1:
        out.push({
          category: 'reports',
          name: `compare <good> <${name}>`,
          args: ['compare', '@good.json', '@bad.json'],
          files,
          where: `^@bad.json: ${says}`,
        });
        break;
      case 2:
        out.push({
          category: 'reports',
          name: `report <good> <${name}>`,
          args: ['report', '@good.json', '@bad.json'],
          files,
          where: `^@bad.json: ${says}`,
        });
        break;
      default:
        out.push({
          category: 'reports',
          name: `run --baseline <${name}>`,
          args: ['run', '-c', '2', '-r', '10', '-d', '1s', '--redis', NO_REDIS, '--baseline', '@bad.json'],
          files,
          where: `^@bad.json: --baseline: ${says}`,
        });
    }
  });
  out.push(
    {
      category: 'reports',
      name: 'compare a missing file',
      args: ['compare', '@none.json', '@good.json'],
      files: { 'good.json': goodReport() },
      where: '^@none.json: file not found',
    },
    {
      category: 'reports',
      name: 'run --baseline a missing file',
      args: ['run', '-c', '2', '-r', '10', '-d', '1s', '--redis', NO_REDIS, '--baseline', '@none.json'],
      where: '^@none.json: --baseline: file not found',
    },
  );
  return out;
}

export function badInputCorpus(): BadInputCase[] {
  return [...yamlCases(), ...scenarioFieldCases(), ...thresholdCases(), ...flagCases(), ...reportCases()];
}
