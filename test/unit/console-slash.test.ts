import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeSlash, helpText, parseInput, type ConsoleInput } from '../../src/console/slash.js';

const cases: [string, boolean, ConsoleInput][] = [
  ['hello', true, { kind: 'send', text: 'hello' }],
  ['/ping', false, { kind: 'send', text: '/ping' }],
  ['//ping', true, { kind: 'send', text: '/ping' }],
  ['/ping', true, { kind: 'ping', data: '' }],
  ['/ping abc def', true, { kind: 'ping', data: 'abc def' }],
  ['/pong x', true, { kind: 'pong', data: 'x' }],
  ['/close', true, { kind: 'close' }],
  ['/close 4001', true, { kind: 'close', code: 4001 }],
  ['/close 1000 going  away now', true, { kind: 'close', code: 1000, reason: 'going away now' }],
  ['/CLOSE 3000', true, { kind: 'close', code: 3000 }],
  ['/binary 48656c6c6f', true, { kind: 'binary', data: Buffer.from('Hello') }],
  ['/binary 0x00 ff 10', true, { kind: 'binary', data: Buffer.from([0, 255, 16]) }],
  ['/file ./a b.bin', true, { kind: 'file', path: './a b.bin' }],
  ['/publish news hello  world ', true, { kind: 'publish', channel: 'news', message: 'hello  world ' }],
  ['/publish news {"a":1}', true, { kind: 'publish', channel: 'news', message: '{"a":1}' }],
  ['/subscribe a b', true, { kind: 'subscribe', channels: ['a', 'b'] }],
  ['/psubscribe news.*', true, { kind: 'psubscribe', patterns: ['news.*'] }],
  ['/unsubscribe', true, { kind: 'unsubscribe', names: [] }],
  ['/unsubscribe a news.*', true, { kind: 'unsubscribe', names: ['a', 'news.*'] }],
  ['/status', true, { kind: 'status' }],
  ['/help', true, { kind: 'help' }],
  ['/quit', true, { kind: 'quit' }],
];

test('parseInput: lines and slash commands', () => {
  for (const [line, slash, expected] of cases) assert.deepEqual(parseInput(line, slash), expected, line);
});

const invalid: [string, RegExp][] = [
  ['/nope', /unknown command "\/nope"/],
  ['/close 1006', /not a close code that can be sent/],
  ['/close 999', /not a close code/],
  ['/close abc', /not a close code/],
  ['/close 1000 ' + 'x'.repeat(124), /at most 123 bytes/],
  ['/binary', /usage: \/binary/],
  ['/binary abc', /not hex bytes/],
  ['/binary zz', /not hex bytes/],
  ['/file', /usage: \/file/],
  ['/publish news', /usage: \/publish <channel> <message>/],
  ['/subscribe', /usage: \/subscribe/],
  ['/psubscribe', /usage: \/psubscribe/],
];

test('parseInput: invalid commands explain themselves', () => {
  for (const [line, message] of invalid) {
    const parsed = parseInput(line, true);
    assert.equal(parsed.kind, 'invalid', line);
    assert.match((parsed as { message: string }).message, message, line);
  }
});

test('completeSlash: unique, common prefix, none', () => {
  const table: [string, string, string[]][] = [
    ['/pi', '/ping ', ['ping']],
    ['/p', '/p', ['ping', 'pong', 'publish', 'psubscribe']],
    ['/po', '/pong ', ['pong']],
    ['/s', '/s', ['subscribe', 'status']],
    ['/su', '/subscribe ', ['subscribe']],
    ['/x', '/x', []],
    ['hello', 'hello', []],
    ['/ping now', '/ping now', []],
    ['/', '/', ['ping', 'pong', 'close', 'binary', 'file', 'publish', 'subscribe', 'psubscribe', 'unsubscribe', 'status', 'help', 'quit']],
  ];
  for (const [line, completed, candidates] of table) assert.deepEqual(completeSlash(line), { line: completed, candidates }, line);
});

test('helpText lists every command once', () => {
  const lines = helpText();
  assert.equal(lines.length, 12);
  assert.ok(lines.some((l) => l.startsWith('/publish <channel> <message>')));
});
