/**
 * An output file that cannot be written when a command ends (here /dev/full: it opens, and every
 * write fails with ENOSPC) is said exactly once, naming the flag, the file and why, and the exit
 * code says so (3) — in `run` (the summary still printed once), `compare` and `report`. A second
 * failing output is said too, once. Before, the first failure was printed twice: once when it
 * happened and again as the command's error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wsbench-outputs-'));
  // A second name for /dev/full: two outputs may not share a file.
  await symlink('/dev/full', join(dir, 'full'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const FULL = /ENOSPC: no space left on device/;

function errorLines(r: CliResult): string[] {
  return r.stderr.split('\n').filter((l) => l.startsWith('wsbench: error: '));
}

test('run, compare and report: each output that cannot be written is said once', async () => {
  const out = join(dir, 'r.json');
  const run = await runCli(
    [
      'run',
      'scenarios/quickstart.yaml',
      '-c',
      '2',
      '-r',
      '10/s',
      '-d',
      '1s',
      '--out',
      out,
      '--junit',
      '/dev/full',
      '--markdown',
      join(dir, 'full'),
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(run.code, 3, run.stderr);
  const lines = errorLines(run);
  assert.equal(lines.length, 2, run.stderr);
  assert.equal(lines.filter((l) => /^wsbench: error: --junit: cannot write \/dev\/full: /.test(l) && FULL.test(l)).length, 1, run.stderr);
  assert.equal(
    lines.filter((l) => l.startsWith(`wsbench: error: --markdown: cannot write ${join(dir, 'full')}: `) && FULL.test(l)).length,
    1,
    run.stderr,
  );
  assert.equal(run.stdout.match(/completed in/g)?.length, 1, 'the summary once');
  assert.equal(run.stdout.match(/^gate: passed$/gm)?.length, 1, 'the verdict once');

  const compare = await runCli(['compare', out, out, '--junit', '/dev/full'], { timeoutMs: 30_000 });
  assert.equal(compare.code, 3, compare.stderr);
  assert.deepEqual(errorLines(compare).length, 1, compare.stderr);
  assert.match(errorLines(compare)[0]!, /^wsbench: error: --junit: cannot write \/dev\/full: ENOSPC/);

  const report = await runCli(['report', out, '--html', '/dev/full'], { timeoutMs: 30_000 });
  assert.equal(report.code, 3, report.stderr);
  assert.deepEqual(errorLines(report).length, 1, report.stderr);
  assert.match(errorLines(report)[0]!, /^wsbench: error: --html: cannot write \/dev\/full: ENOSPC/);
});
