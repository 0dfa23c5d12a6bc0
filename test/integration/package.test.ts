/**
 * The npm package as a user gets it: `npm pack` (with its prepack build) → install the tarball
 * into an empty project offline, from npm's cache, with --ignore-scripts → the quickstart runs
 * from the installed package, `import('wsbench')` runs a scenario from code through `exports`,
 * and a TypeScript consumer type-checks against the shipped .d.ts.
 *
 * The package is built from a copy of the sources, so packing never touches this checkout's
 * dist/ (other tests run from it). No network: the consumer's lock file is this repository's
 * (production entries only), whose tarballs `npm ci` put in the cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunReport } from '../../src/results/types.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  files: string[];
  dependencies: Record<string, string>;
  bin: Record<string, string>;
  engines: Record<string, string>;
  license: string;
};
/** What the package build reads besides the shipped files. */
const SOURCES = ['package.json', 'README.md', 'LICENSE', 'tsconfig.json', 'tsconfig.package.json', 'src'];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with a hard time limit (killed with its process group when it overruns). */
function sh(command: string, args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
}

/**
 * The consumer's package-lock.json: wsbench from the tarball, and its dependency tree exactly as
 * this repository's lock file has it (production entries), so npm needs only cached tarballs.
 */
function consumerLock(tarball: string, integrity: string): unknown {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { [PKG.name]: `file:${tarball}` } },
    [`node_modules/${PKG.name}`]: {
      version: PKG.version,
      resolved: `file:${tarball}`,
      integrity,
      license: PKG.license,
      dependencies: PKG.dependencies,
      bin: PKG.bin,
      engines: PKG.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path !== '' && !entry.dev && !entry.devOptional) packages[path] = entry;
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages };
}

const FROM_CODE = `
import { writeFile } from 'node:fs/promises';
import { buildScenario, defineScenario, runScenario, readReport, textSummary, jsonReport, hlogText, markdownSummary, junitXml, gateText, ConfigError, version } from 'wsbench';
const scenario = buildScenario(defineScenario({ name: 'from-code', clients: { connections: 5 }, publish: { rate: '20/s', duration: '1s' }, drain: '1s' }));
const events = new Set();
// Nothing gated: a report and no verdict.
const first = await runScenario(scenario, { onEvent: (e) => events.add(e.type) });
await writeFile('first.json', jsonReport(first.report));
// Gated: a threshold that holds, one that cannot, and the first run as the baseline (latency and
// rate checks off, so only the ledger is compared and the verdict does not depend on timing).
const { report, gate } = await runScenario(scenario, {
  thresholds: ['delivery.lost == 0', { expression: 'delivery.delivered > 1e9', origin: 'impossible' }],
  baseline: {
    report: await readReport('first.json'),
    source: 'first.json',
    tolerances: { metrics: { 'fanout.p50': 'off', 'fanout.p99': 'off', 'throughput.deliveriesPerSec': 'off' } },
  },
});
const rejected = async (promise) => {
  try {
    await promise;
    return null;
  } catch (e) {
    return { config: e instanceof ConfigError, code: e.code, exitCode: e.exitCode, message: e.message };
  }
};
const ws = report.transports.websocket;
const none = { passed: true, thresholds: [] };
console.log(JSON.stringify({
  version,
  firstGate: first.gate ?? null,
  completed: report.run.completed,
  delivered: ws.delivery.delivered,
  expected: ws.delivery.expected,
  events: [...events].sort(),
  gate: {
    passed: gate.passed,
    thresholds: gate.thresholds.map((t) => [t.expression, t.origin, t.passed]),
    baseline: [gate.baseline.source, gate.baseline.passed, gate.baseline.checks.map((c) => c.metric), gate.baseline.warning ?? null],
    stored: report.gate.passed,
  },
  gateText: gateText(gate).trim().split('\\n').at(-1),
  text: textSummary(report).split('\\n')[0],
  json: JSON.parse(jsonReport(report)).schema,
  hlog: hlogText(report).split('\\n')[0],
  markdown: markdownSummary(report, gate).includes('delivery.delivered > 1e9'),
  junit: /<testsuites [^>]*failures="1"/.test(junitXml(report, gate)),
  junitUngated: junitXml(first.report, none).startsWith('<?xml'),
  error: await rejected((async () => buildScenario({ clients: { connections: 5 }, publish: { rate: '-5/s', duration: '1s' } }))()),
  badThreshold: await rejected(runScenario(scenario, { thresholds: ['fanout.p99 <'] })),
  missingReport: await rejected(readReport('missing.json')),
}));
`;

const CONSUMER_TS = `
import { writeFile } from 'node:fs/promises';
import {
  buildScenario, defineScenario, gateText, junitXml, readReport, runScenario, textSummary, RunFailedError, WsbenchError,
  type GateOutcome, type RunReport, type RunScenarioOptions, type RunScenarioResult, type ScenarioInput, type TimelineInterval,
} from 'wsbench';

const input: ScenarioInput = defineScenario({ clients: { connections: 10 }, publish: { rate: '10/s', duration: '1s' } });
// The types are real, not \`any\`: a wrong field is an error.
// @ts-expect-error connections is a number
defineScenario({ clients: { connections: 'ten' }, publish: { rate: 10, duration: 1 } });
// @ts-expect-error tolerances are fractions (0.1), not text
const badTolerance: RunScenarioOptions = { baseline: { report: {} as RunReport, tolerances: { maxRegression: '10%' } } };
void badTolerance;

export async function gated(signal: AbortSignal, baselineFile: string): Promise<number> {
  const options: RunScenarioOptions = {
    signal,
    onEvent: (e) => e.type === 'warning' && process.stderr.write(e.message + '\\n'),
    thresholds: ['fanout.p99 < 50ms', { expression: 'delivery.lost == 0', origin: 'ci' }],
    baseline: { report: await readReport(baselineFile), source: baselineFile, tolerances: { maxRegression: 0.2, metrics: { 'fanout.p50': 'off' } } },
    repeat: 3,
    abortOnFail: true,
    onRun: (run, runs) => process.stderr.write(\`run \${run} of \${runs}\\n\`),
  };
  let report: RunReport;
  let gate: GateOutcome | undefined;
  try {
    const result: RunScenarioResult = await runScenario(buildScenario(input), options);
    ({ report, gate } = result);
  } catch (e) {
    if (e instanceof RunFailedError) ({ report, gate } = e);
    else if (e instanceof WsbenchError) return e.exitCode;
    else throw e;
  }
  const intervals: TimelineInterval[] = report.transports.websocket?.timeline?.intervals ?? [];
  process.stdout.write(textSummary(report) + (gate ? gateText(gate) : '') + \`\${intervals.length} intervals\\n\`);
  if (gate) await writeFile('wsbench.xml', junitXml(report, gate));
  const failed: string[] = gate?.thresholds.filter((t) => !t.passed).map((t) => t.expression) ?? [];
  return gate?.passed === false || failed.length > 0 ? 1 : 0;
}
`;

test('npm pack → offline install with --ignore-scripts → quickstart, import("wsbench") and .d.ts from the installed package', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wsbench-package-'));
  try {
    // 1. Pack from a copy of the sources (prepack builds dist/src there, with .d.ts, without maps).
    const source = join(dir, 'source');
    mkdirSync(source);
    for (const entry of [...SOURCES, ...PKG.files.filter((f) => !f.startsWith('dist/'))])
      cpSync(join(ROOT, entry), join(source, entry), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'), 'dir');
    const pack = await sh('npm', ['pack', '--json', '--pack-destination', dir], source, 120_000);
    assert.equal(pack.code, 0, pack.stderr);
    const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as {
      filename: string;
      integrity: string;
      files: { path: string }[];
    }[];
    const files = packed!.files.map((f) => f.path);
    for (const f of [
      'bin/wsbench.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/cli/main.js',
      'scenarios/quickstart.yaml',
      'schema/scenario.schema.json',
      'README.md',
      'LICENSE',
      'docs/ci.md',
      'BENCHMARKS.md',
    ])
      assert.ok(files.includes(f), `${f} is in the package`);
    assert.deepEqual(
      files.filter(
        (f) => f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts')) || f.startsWith('test/') || f.startsWith('src/'),
      ),
      [],
    );
    const shipped = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const installScripts = ['preinstall', 'install', 'postinstall', 'prepare'].filter((s) => s in shipped.scripts);
    assert.deepEqual(installScripts, [], 'npm warns about (and runs) these when the package is installed');
    const mapped = files.filter((f) => f.endsWith('.js') && readFileSync(join(source, f), 'utf8').includes('sourceMappingURL'));
    assert.deepEqual(mapped, [], 'no JavaScript points at a source map');
    for (const link of readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/\]\(((?!https?:|#)[^)#]+)/g))
      assert.ok(files.includes(link[1]!), `README links ${link[1]}, which the package ships`);

    // 2. Install it into an empty project: offline, no install scripts, and npm has nothing to warn about.
    const consumer = join(dir, 'consumer');
    mkdirSync(consumer);
    const tarball = `../${packed!.filename}`;
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { [PKG.name]: `file:${tarball}` } }),
    );
    writeFileSync(join(consumer, 'package-lock.json'), JSON.stringify(consumerLock(tarball, packed!.integrity)));
    const install = await sh('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], consumer, 120_000);
    assert.equal(install.code, 0, install.stderr);
    assert.doesNotMatch(install.stderr, /install-scripts|prepare/);

    // 3. The CLI from the installed package.
    const version = await sh('npx', ['--offline', '--no', '--', 'wsbench', '--version'], consumer, 30_000);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), PKG.version);
    const quickstart = await sh(
      'npx',
      ['--offline', '--no', '--', 'wsbench', 'run', 'node_modules/wsbench/scenarios/quickstart.yaml', '--duration', '2s'],
      consumer,
      90_000,
    );
    assert.equal(quickstart.code, 0, quickstart.stderr);
    assert.match(quickstart.stdout, /^wsbench \S+ · quickstart \S+ · completed in /m);
    // 200 clients × 200/s × (1 s warm-up + the 2 s of --duration).
    assert.match(quickstart.stdout, /^ {2}delivery {6}[\d,]+\/120,000 /m);

    // 4. The library by its name, through `exports`: the one-liner, then a script using every part.
    const oneLiner = await sh(
      process.execPath,
      [
        '-e',
        "import('wsbench').then(async (m) => { const { report, gate } = await m.runScenario(m.buildScenario({ clients: { connections: 2 }, publish: { rate: 10, duration: '500ms' }, drain: '1s' }), { thresholds: ['delivery.lost == 0'] }); console.log(report.schema, gate.passed); })",
      ],
      consumer,
      60_000,
    );
    assert.equal(oneLiner.code, 0, oneLiner.stderr);
    assert.equal(oneLiner.stdout.trim(), 'wsbench.report/v1 true');
    writeFileSync(join(consumer, 'from-code.mjs'), FROM_CODE);
    const fromCode = await sh(process.execPath, ['from-code.mjs'], consumer, 60_000);
    assert.equal(fromCode.code, 0, fromCode.stderr);
    const result = JSON.parse(fromCode.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.equal(result['version'], PKG.version);
    assert.equal(result['firstGate'], null, 'nothing asked, no verdict');
    assert.equal(result['completed'], true);
    assert.equal(result['expected'], 5 * 20);
    assert.equal(result['delivered'], 5 * 20);
    assert.deepEqual(result['events'], ['interval', 'phase', 'snapshot']);
    assert.deepEqual(result['gate'], {
      passed: false,
      thresholds: [
        ['delivery.lost == 0', 'options', true],
        ['delivery.delivered > 1e9', 'impossible', false],
      ],
      baseline: ['first.json', true, ['delivery.lostRatio'], null],
      stored: false,
    });
    assert.equal(result['gateText'], 'gate: FAILED');
    assert.match(result['text'] as string, /^wsbench \S+ · from-code \S+ · completed in /);
    assert.equal(result['json'], 'wsbench.report/v1');
    assert.match(result['hlog'] as string, /^#\[/);
    assert.equal(result['markdown'], true);
    assert.equal(result['junit'], true);
    assert.equal(result['junitUngated'], true);
    assert.deepEqual(result['error'], {
      config: true,
      code: 'CONFIG',
      exitCode: 2,
      message: 'publish.rate: "-5/s": must be greater than zero',
    });
    assert.deepEqual(result['badThreshold'], {
      config: true,
      code: 'CONFIG',
      exitCode: 2,
      message: 'thresholds[0]: "fanout.p99 <": expected a metric or a number but found the end (at character 13)',
    });
    assert.deepEqual(result['missingReport'], { config: true, code: 'CONFIG', exitCode: 2, message: 'missing.json: file not found' });

    // The README's "Use from code" example, as printed there.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = /## Use from code\n[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example, 'README has a "Use from code" example');
    writeFileSync(join(consumer, 'bench.mjs'), example);
    const bench = await sh(process.execPath, ['bench.mjs'], consumer, 60_000);
    assert.equal(bench.code, 0, bench.stderr);
    assert.match(bench.stdout, /^wsbench \S+ · from-code \S+ · completed in /m);
    assert.match(bench.stdout, /^ {2}pass {2}delivery\.lostRatio == 0 +/m);
    assert.match(bench.stdout, /^ {2}pass {2}connections\.failed == 0 +/m);
    assert.match(bench.stdout, /\ngate: passed\n$/);
    assert.match(bench.stderr, /^publishing…$/m);
    const written = JSON.parse(readFileSync(join(consumer, 'report.json'), 'utf8')) as RunReport;
    assert.equal(written.schema, 'wsbench.report/v1');
    assert.deepEqual(
      written.gate?.thresholds.map((t) => [t.expression, t.origin, t.passed]),
      [
        ['delivery.lostRatio == 0', 'scenario', true],
        ['connections.failed == 0', 'options', true],
      ],
    );
    const junit = readFileSync(join(consumer, 'wsbench.xml'), 'utf8');
    assert.match(junit, /<testsuites [^>]*tests="2" failures="0"/);

    // 5. A TypeScript consumer against the shipped .d.ts (library checking on: every declaration it reaches must hold).
    writeFileSync(join(consumer, 'consumer.ts'), CONSUMER_TS);
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = await sh(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', consumer], consumer, 60_000);
    assert.equal(tsc.code, 0, tsc.stdout + tsc.stderr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
