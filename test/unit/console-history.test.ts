import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HISTORY_LIMIT, HistoryFile } from '../../src/console/history.js';

test('history file: mode 0600, no repeats, no space-prefixed lines, trimmed to the limit', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wsbench-hist-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'history');

  const h = HistoryFile.load(path);
  assert.deepEqual(h.list(), []);
  h.add('/publish news hi');
  h.add('/publish news hi');
  h.add(' secret');
  h.add('hello');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(readFileSync(path, 'utf8'), '/publish news hi\nhello\n');
  assert.deepEqual(HistoryFile.load(path).list(), ['/publish news hi', 'hello']);

  const loose = join(dir, 'loose');
  writeFileSync(loose, Array.from({ length: HISTORY_LIMIT + 10 }, (_, i) => `line ${i}`).join('\n') + '\n', { mode: 0o644 });
  const trimmed = HistoryFile.load(loose);
  assert.equal(trimmed.list().length, HISTORY_LIMIT);
  assert.equal(trimmed.list()[0], 'line 10');
  assert.equal(statSync(loose).mode & 0o777, 0o600);
});

test('an existing history file gets mode 0600 even when it is empty (appending keeps the mode it had)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wsbench-hist-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, content] of [
    ['empty', ''],
    ['one line', 'hello\n'],
  ] as const) {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o644 });
    chmodSync(path, 0o644);
    const h = HistoryFile.load(path);
    h.add('/publish news secret-ish');
    assert.equal(statSync(path).mode & 0o777, 0o600, name);
    assert.match(readFileSync(path, 'utf8'), /\/publish news secret-ish\n$/);
  }
});
