/**
 * The command line's own surface: --version answers without loading any command or heavy
 * dependency, the help fits the terminal with examples that paste into a shell, shell completion,
 * and the global -v / --no-color flags.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const RECORDER = fileURLToPath(new URL('../fixtures/import-recorder.js', import.meta.url));
const HEAVY = ['ink', 'react', 'ioredis', 'zod', 'yaml', 'hdr-histogram-js', 'ws'];

test('--version prints the package version and loads no command module and no heavy dependency', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wsbench-imports-'));
  try {
    const log = join(dir, 'imports.txt');
    const r = await runCli(['--version'], {
      timeoutMs: 20_000,
      env: { WSBENCH_IMPORT_LOG: log, NODE_OPTIONS: `--import ${RECORDER}` },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${VERSION}\n`);
    const loaded = (await readFile(log, 'utf8')).trim().split('\n');
    assert.ok(
      loaded.some((url) => url.endsWith('/dist/src/cli/main.js')),
      'the recorder saw the CLI load',
    );
    const heavy = loaded.filter((url) => HEAVY.some((name) => url.includes(`/node_modules/${name}/`)));
    assert.deepEqual(heavy, []);
    const commands = loaded.filter((url) => /\/dist\/src\/(cli\/(run|serve|connect|doctor|compare)|engine|config)\b/.test(url));
    assert.deepEqual(commands, []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** The modules of wsbench itself (dist/src/…) and the heavy dependencies a command line loads. */
async function loadedBy(args: string[]): Promise<{ own: string[]; heavy: string[]; stdout: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'wsbench-imports-'));
  try {
    const log = join(dir, 'imports.txt');
    const r = await runCli(args, { timeoutMs: 20_000, env: { WSBENCH_IMPORT_LOG: log, NODE_OPTIONS: `--import ${RECORDER}` } });
    assert.equal(r.code, 0, r.stderr);
    const loaded = (await readFile(log, 'utf8')).trim().split('\n');
    const own = [...new Set(loaded.map((url) => /\/dist\/src\/(.+)$/.exec(url)?.[1]).filter((m): m is string => m !== undefined))].sort();
    return { own, heavy: loaded.filter((url) => HEAVY.some((name) => url.includes(`/node_modules/${name}/`))), stdout: r.stdout };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("<command> --help loads the command's flags, not its implementation (run, compare, report, serve, connect, doctor)", async () => {
  const top = await loadedBy(['--help']);
  // serve's flags print the server's poll limits, from their own leaf module.
  const alsoLoaded: Record<string, string[]> = { serve: ['server/poll-limits.js'] };
  for (const command of ['run', 'compare', 'report', 'serve', 'connect', 'doctor']) {
    const help = await loadedBy([command, '--help']);
    assert.match(help.stdout, new RegExp(`^wsbench ${command}`, 'm'), `${command}: its own help`);
    assert.deepEqual(help.heavy, [], `${command}: no heavy dependency`);
    assert.deepEqual(
      help.own,
      [...top.own, `cli/flags/${command}.js`, ...(alsoLoaded[command] ?? [])].sort(),
      `${command}: the top-level help's modules and its flags only`,
    );
  }
});

test('help: as wide as $COLUMNS when piped, examples as "# what" + a command that pastes into a shell', async () => {
  for (const columns of [60, 80, 120]) {
    const r = await runCli(['run', '--help'], { timeoutMs: 20_000, env: { COLUMNS: String(columns) } });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    for (const line of lines) assert.ok([...line].length <= columns, `${columns} columns: "${line}"`);
    const examples = lines.slice(lines.indexOf('Examples:') + 1);
    assert.match(examples.join('\n'), /^ {2}# Your own stack, no file\n {2}wsbench run /m);
    assert.ok(
      examples.some((l) => l.includes('"ws://127.0.0.1:8000/ws/{channel}?subscribe-broadcast"')),
      `the URL is not split at ${columns} columns:\n${r.stdout}`,
    );
    // Continued lines end in a backslash, so the example runs as printed.
    const own = examples.slice(examples.findIndex((l) => l.includes('# Your own stack')) + 1);
    const joined = own.slice(0, own.findIndex((l) => !l.endsWith('\\')) + 1);
    assert.match(joined.map((l) => l.replace(/\\$/, '').trim()).join(' '), /--redis redis:\/\/127\.0\.0\.1:6379 -c 100 -r 50 -d 10s/);
  }
});

test("completion: a bash/zsh script, and completions for a command's flags", async () => {
  const script = await runCli(['completion'], { timeoutMs: 20_000 });
  assert.equal(script.code, 0, script.stderr);
  assert.match(script.stdout, /wsbench --get-yargs-completions/);
  const commands = await runCli(['--get-yargs-completions', 'wsbench', ''], { timeoutMs: 20_000 });
  assert.deepEqual(commands.stdout.trim().split('\n'), ['run', 'compare', 'report', 'serve', 'connect', 'agent', 'doctor', 'completion']);
  const flags = await runCli(['--get-yargs-completions', 'wsbench', 'run', '--'], { timeoutMs: 20_000 });
  for (const flag of ['--connections', '--baseline', '--color', '--verbose'])
    assert.ok(flags.stdout.split('\n').includes(flag), `${flag} in:\n${flags.stdout}`);
});
