/**
 * What `wsbench run` writes in each output mode, as a user sees it: piped (plain lines, no ANSI),
 * --json (NDJSON ending with the report), FORCE_COLOR, and the live dashboard in a real 80×24
 * terminal (tmux), stopped with `q`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, runCli } from '../helpers/cli.js';
import { descendantsOf, waitFor } from '../helpers/processes.js';
import { withTempDir } from '../helpers/temp-dir.js';
import type { RunReport } from '../../src/results/types.js';

const SMALL = 'name: out-small\nclients: { connections: 10 }\npublish: { rate: 50/s, duration: 2500ms }\ndrain: 1s\n';
const ANSI = /\x1b\[/;
/** The environment of a user with no colour preference and not in CI. */
const NEUTRAL = { NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined, CONTINUOUS_INTEGRATION: undefined, TERM: 'xterm-256color' };

test('run piped (not a terminal): plain progress lines on stderr, summary with charts and comparison on stdout, no ANSI anywhere', () =>
  withTempDir('out', async (dir) => {
    const file = join(dir, 's.yaml');
    await writeFile(file, SMALL + 'transports: [websocket, longpoll]\n');
    const result = await runCli(['run', file, '--verbose'], { timeoutMs: 60_000, env: NEUTRAL });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, ANSI);
    assert.doesNotMatch(result.stderr, ANSI);
    assert.match(result.stderr, /output: plain \(stdout is not a terminal\)/);
    const progress = result.stderr.split('\n').filter((l) => l.startsWith('['));
    assert.ok(
      progress.some((l) => /^\[\d+\.\ds\] publishing \(websocket\)$/.test(l)),
      result.stderr,
    );
    assert.ok(
      progress.some((l) => /^\[\d+\.\ds\] published \d[\d,]*\/125 · delivered/.test(l)),
      result.stderr,
    );
    assert.match(result.stdout, /fan-out latency by percentile \(ms, linear from 0\)\n\s+p50 █+/);
    assert.match(result.stdout, /\n\s+max █+\s+[\d.]+\n/);
    assert.match(result.stdout, /^longpoll \(latency in ms\)$/m);
    assert.match(result.stdout, /^comparison\n\s+websocket\s+longpoll\n/m);
    assert.doesNotMatch(result.stdout, /^\[/m, 'no progress on stdout');
  }));

test('run --json: one JSON event per line on stdout, ending with the report; nothing else on stdout', () =>
  withTempDir('out', async (dir) => {
    const file = join(dir, 's.yaml');
    await writeFile(file, SMALL);
    const result = await runCli(['run', file, '--json'], { timeoutMs: 60_000, env: NEUTRAL });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.ok(result.stdout.endsWith('\n'));
    const events = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; phase?: string; report?: RunReport });
    const types = new Set(events.map((e) => e.type));
    assert.ok(types.has('phase') && types.has('snapshot'), [...types].join());
    assert.ok(events.some((e) => e.type === 'phase' && e.phase === 'publishing'));
    const last = events.at(-1)!;
    assert.equal(last.type, 'report');
    assert.equal(last.report!.schema, 'wsbench.report/v1');
    assert.equal(last.report!.transports.websocket!.delivery.expected, 10 * 125);
    assert.equal(events.filter((e) => e.type === 'report').length, 1);
  }));

test('run --quiet with FORCE_COLOR piped: only the summary, coloured; NO_COLOR alone: none; --no-color beats FORCE_COLOR', () =>
  withTempDir('out', async (dir) => {
    const file = join(dir, 's.yaml');
    await writeFile(file, SMALL.replace('2500ms', '1s'));
    const forced = await runCli(['run', file, '--quiet'], { timeoutMs: 60_000, env: { ...NEUTRAL, FORCE_COLOR: '1' } });
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.stderr, '');
    assert.match(forced.stdout, /\x1b\[32mcompleted in /);
    assert.match(forced.stdout, /\x1b\[36m█+/);
    const none = await runCli(['run', file, '--quiet'], { timeoutMs: 60_000, env: { ...NEUTRAL, NO_COLOR: '1' } });
    assert.equal(none.code, 0, none.stderr);
    assert.doesNotMatch(none.stdout, ANSI);
    assert.match(none.stdout, /^wsbench .* · completed in /);
    // -v is --verbose: it says which mode and colour were chosen.
    const flag = await runCli(['run', file, '--quiet', '--no-color', '-v'], { timeoutMs: 60_000, env: { ...NEUTRAL, FORCE_COLOR: '1' } });
    assert.equal(flag.code, 0, flag.stderr);
    assert.doesNotMatch(flag.stdout, ANSI);
    assert.match(flag.stderr, /^wsbench: output: quiet \(--quiet\), colour off$/m);
  }));

// The dashboard in a real terminal (tmux: `npm test` installs it through scripts/setup.sh).
test('dashboard in tmux 80×24: phases live, q stops gracefully → partial summary + chart, exit 130, clean pane, nothing left running', () =>
  withTempDir('out', async (dir) => {
    const file = join(dir, 'long.yaml');
    const exitFile = join(dir, 'exit');
    const out = join(dir, 'r.json');
    await writeFile(file, 'name: tmux-long\nclients: { connections: 10 }\npublish: { rate: 50/s, duration: 60s }\n');
    const socket = `wsbench-test-${process.pid}`;
    const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    // Not CI, no colour preference, a normal terminal: what a user at a terminal has.
    const command = `env -u CI -u CONTINUOUS_INTEGRATION -u NO_COLOR -u FORCE_COLOR TERM=xterm-256color ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} run ${JSON.stringify(file)} --out ${JSON.stringify(out)}; echo $? > ${JSON.stringify(exitFile)}; sleep 60`;
    tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'w', '-x', '80', '-y', '24', command);
    try {
      const pane = () => tmux('capture-pane', '-p', '-t', 'w');
      const panePid = Number(tmux('list-panes', '-t', 'w', '-F', '#{pane_pid}').trim());
      let seen = '';
      assert.ok(await waitFor(() => /● publish/.test((seen = pane())), 30_000, 100), `dashboard never reached publishing:\n${seen}`);
      assert.match(seen, /^wsbench · tmux-long\s+websocket 1\/1 · [\d.]+ s$/m);
      assert.match(seen, /✓ redis  ✓ server  ✓ connect  ✓ ready/);
      assert.match(seen, /q or Ctrl-C: stop and report what was measured/);
      const children = descendantsOf(panePid);
      assert.ok(await waitFor(() => /latency\s+p50/.test((seen = pane())), 10_000, 100), seen);
      tmux('send-keys', '-t', 'w', 'q');
      assert.ok(await waitFor(() => existsSync(exitFile), 30_000, 100), `did not end after q:\n${pane()}`);
      assert.equal((await readFile(exitFile, 'utf8')).trim(), '130');
      const full = tmux('capture-pane', '-p', '-S', '-200', '-t', 'w');
      // The live view is gone without a trace (as is the "starting…" line before it): after one
      // blank line (Ink's empty last frame) the summary starts where the dashboard was.
      assert.match(full, /^\n?wsbench \d\S* · tmux-long \S+\n/);
      assert.doesNotMatch(full, /^wsbench · tmux-long|starting…|stopped early|q or Ctrl-C|● publish|^deliveries\/s /m);
      assert.match(full, /NOT COMPLETED \(interrupted during publishing\)/);
      assert.match(full, /fan-out latency by percentile/);
      assert.doesNotMatch(full, ANSI, 'capture-pane -p shows text only: escapes would be garbage');
      for (const line of full.split('\n')) assert.ok([...line].length <= 80, line);
      const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
      assert.equal(report.run.completed, false);
      assert.ok(
        await waitFor(() => children.every((pid) => !existsSync(`/proc/${pid}`) || /\bsleep\b/.test(readCmd(pid))), 5_000),
        'processes left running',
      );
    } finally {
      try {
        tmux('kill-server');
      } catch {
        /* already gone */
      }
    }
  }));

function readCmd(pid: number): string {
  try {
    return execFileSync('cat', [`/proc/${pid}/cmdline`], { encoding: 'utf8' });
  } catch {
    return '';
  }
}
