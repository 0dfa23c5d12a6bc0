/**
 * The bad-input corpus (test/helpers/bad-input-corpus.ts): several hundred generated command
 * lines and files, each of which must end before anything starts, with
 *
 *  - exit code 2 (`wsbench connect`: 1, wscat's code for a bad flag);
 *  - nothing on stdout;
 *  - on stderr exactly one line, `wsbench: error: <where>: <what>` — or, when a scenario has
 *    several problems, a first line `wsbench: error: [<file>: ]N problems:` followed by exactly N
 *    lines, one per problem, each with its own place;
 *  - the first problem pointing where the case says (file:line:col and key, or the flag);
 *  - no stack trace (`    at ` lines), no "internal error";
 *  - at most 10 s.
 *
 * The corpus runs in-process (`main` with captured output: ~ms per case instead of ~0.8 s for a
 * Node start); a sample of 20 runs through the real binary too, and must print exactly what the
 * in-process run printed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { badInputCorpus, type BadInputCase, type Category, type FileSpec } from '../helpers/bad-input-corpus.js';
import { runInProcess } from '../helpers/in-process-cli.js';
import { runCli } from '../helpers/cli.js';

const corpus = badInputCorpus();
const MAX_MS = 10_000;
let root = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'wsbench-corpus-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Prepared {
  args: string[];
  where: RegExp;
}

/** Creates the case's files in its own directory; `@name` in args and `where` becomes the path. */
async function prepare(c: BadInputCase, index: number): Promise<Prepared> {
  const dir = join(root, `case-${index}`);
  await mkdir(dir, { recursive: true });
  for (const [name, spec] of Object.entries(c.files ?? {})) await createFile(join(dir, name), spec, dir);
  const path = (name: string) => join(dir, name);
  const expand = (s: string) => s.replace(/@([\w.-]+)/g, (_, name: string) => path(name));
  const expandPattern = (s: string) => s.replace(/@([\w.-]+)/g, (_, name: string) => path(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return { args: c.args.map(expand), where: new RegExp(expandPattern(c.where)) };
}

async function createFile(file: string, spec: FileSpec, dir: string): Promise<void> {
  if (typeof spec === 'string' || Buffer.isBuffer(spec)) return writeFile(file, spec);
  if ('dir' in spec) return void (await mkdir(file));
  if ('fifo' in spec) return void execFileSync('mkfifo', [file]);
  if ('sparseBytes' in spec) {
    await writeFile(file, '');
    return truncate(file, spec.sparseBytes);
  }
  // A link to itself: ELOOP when opened.
  return symlink(join(dir, spec.symlinkTo), file);
}

/** The checks every case must pass; returns the problem lines for the caller's `where` check. */
function checkOutput(c: BadInputCase, result: { code: number | null; stdout: string; stderr: string }, where: RegExp): void {
  const context = `\n  args: ${JSON.stringify(c.args).slice(0, 300)}\n  stderr: ${result.stderr.slice(0, 2000)}`;
  assert.equal(result.code, c.code ?? 2, `exit code${context}`);
  assert.equal(result.stdout, '', `nothing on stdout${context}`);
  assert.ok(result.stderr.endsWith('\n'), `stderr ends with a newline${context}`);
  assert.doesNotMatch(result.stderr, /^\s+at /m, `no stack trace${context}`);
  assert.doesNotMatch(result.stderr, /internal error/, `not an internal error${context}`);
  const lines = result.stderr.slice(0, -1).split('\n');
  assert.match(lines[0]!, /^wsbench: error: /, `first line${context}`);
  const first = lines[0]!.slice('wsbench: error: '.length);
  const many = /^(?:.*: )?(\d+) problems:$/.exec(first);
  if (many) {
    const count = Number(many[1]);
    assert.ok(count >= 2, `a count of problems is at least 2${context}`);
    assert.equal(lines.length, count + 1, `one line per problem after the count${context}`);
    for (const line of lines.slice(1)) assert.match(line, /^ {2}\S/, `each problem on its own indented line${context}`);
    assert.ok(where.test(first) || where.test(lines[1]!.trim()), `the first problem matches ${where}${context}`);
  } else {
    assert.equal(lines.length, 1, `exactly one line${context}`);
    assert.match(first, where, `points where it should${context}`);
  }
}

const byCategory = new Map<Category, number>();
for (const c of corpus) byCategory.set(c.category, (byCategory.get(c.category) ?? 0) + 1);

test(`the corpus has at least 300 generated cases (${[...byCategory].map(([k, n]) => `${k} ${n}`).join(', ')})`, () => {
  assert.ok(corpus.length >= 300, `only ${corpus.length} cases`);
  for (const category of ['yaml', 'scenario', 'flags', 'thresholds', 'reports'] as const)
    assert.ok((byCategory.get(category) ?? 0) >= 20, `${category}: ${byCategory.get(category) ?? 0} cases`);
  const names = new Set<string>();
  for (const c of corpus) {
    assert.ok(!names.has(`${c.category}/${c.name}`), `duplicate case name ${c.category}/${c.name}`);
    names.add(`${c.category}/${c.name}`);
  }
});

const prepared = new Map<number, Prepared & { stderr: string; code: number }>();

for (const category of ['yaml', 'scenario', 'flags', 'thresholds', 'reports'] as const) {
  test(`bad input, in-process: ${category}`, async (t) => {
    for (const [index, c] of corpus.entries()) {
      if (c.category !== category) continue;
      await t.test(c.name, async () => {
        const p = await prepare(c, index);
        const result = await runInProcess(p.args, MAX_MS);
        checkOutput(c, result, p.where);
        assert.ok(result.ms < MAX_MS, `took ${Math.round(result.ms)} ms`);
        prepared.set(index, { ...p, stderr: result.stderr, code: result.code });
      });
    }
  });
}

test('a sample of 20 cases through the real binary prints exactly what the in-process run printed', async () => {
  const indexes = [...prepared.keys()];
  assert.ok(indexes.length >= 300, 'the in-process corpus ran first');
  const step = Math.floor(indexes.length / 20);
  const sample = Array.from({ length: 20 }, (_, i) => indexes[i * step]!);
  // Three at a time: each is a Node start (~0.3 s of CPU).
  for (let i = 0; i < sample.length; i += 3) {
    await Promise.all(
      sample.slice(i, i + 3).map(async (index) => {
        const c = corpus[index]!;
        const p = prepared.get(index)!;
        const started = Date.now();
        const result = await runCli(p.args, { timeoutMs: MAX_MS });
        assert.ok(Date.now() - started < MAX_MS);
        checkOutput(c, result, p.where);
        assert.equal(result.stderr, p.stderr, `binary and in-process agree for ${c.category}/${c.name}`);
        assert.equal(result.signal, null);
      }),
    );
  }
});
