import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeCode, describeCloseCode, inert, inertJson, inertKeepingLines, peerSnippet } from '../../src/peer-text.js';

test('inert: every character that can drive a terminal is shown escaped; ordinary text is left alone', () => {
  const cases: [string, string][] = [
    ['plain text', 'plain text'],
    ['unicode ä é 漢字 😀 ✓', 'unicode ä é 漢字 😀 ✓'],
    ['\u001b]0;title\u0007', '\\x1b]0;title\\x07'],
    ['\u001b[2J\u001b[H', '\\x1b[2J\\x1b[H'],
    ['\u009b31m C1 CSI', '\\x9b31m C1 CSI'],
    ['\u0090 DCS \u009d OSC', '\\x90 DCS \\x9d OSC'],
    ['line\nfake', 'line\\nfake'],
    ['over\rwrite', 'over\\rwrite'],
    ['tab\there', 'tab\\there'],
    ['nul\u0000del\u007f', 'nul\\x00del\\x7f'],
    ['\u202eevil\u202c', '\\u202eevil\\u202c'],
    ['\u2066isolate\u2069 \u200e \u200f \u061c', '\\u2066isolate\\u2069 \\u200e \\u200f \\u061c'],
    ['sep\u2028ara\u2029tors', 'sep\\u2028ara\\u2029tors'],
  ];
  for (const [input, expected] of cases) assert.equal(inert(input), expected, JSON.stringify(input));
  assert.equal(inertKeepingLines('a\nb\tc\u001b'), 'a\nb\tc\\x1b');
  assert.equal(peerSnippet('x'.repeat(10) + '\u001b', 5), 'xxxxx…');
  assert.equal(peerSnippet('ab\u001b', 5), 'ab\\x1b');
});

test('inertJson: the same data, with C1, bidi and separators escaped too', () => {
  const value = { s: '\u001b\u009b\u202e\u2028ok' };
  const text = inertJson(value);
  assert.doesNotMatch(text, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2028\u2029]/);
  assert.deepEqual(JSON.parse(text), value);
});

test('close codes (RFC 6455 §7.4): which a peer may send, and what they mean', () => {
  const table: [number, boolean, RegExp][] = [
    [1000, true, /normal closure/],
    [1001, true, /going away/],
    [1008, true, /policy violation/],
    [1013, true, /try again later/],
    [1004, false, /reserved/],
    [1005, false, /no status code/],
    [1006, false, /without a close frame/],
    [1015, false, /TLS/],
    [1016, false, /reserved/],
    [2999, false, /reserved/],
    [3000, true, /registered/],
    [4999, true, /private use/],
    [999, false, /not a valid close code/],
    [5000, false, /not a valid close code/],
    [29202, false, /not a valid close code/],
    [0, false, /not a valid close code/],
  ];
  for (const [code, valid, meaning] of table) {
    assert.equal(closeCode(code).validOnWire, valid, String(code));
    assert.match(closeCode(code).meaning, meaning, String(code));
  }
  assert.equal(describeCloseCode(29202), '29202 (not a valid close code, RFC 6455 §7.4)');
  assert.equal(describeCloseCode(1006), '1006 (closed without a close frame)');
  assert.equal(describeCloseCode(4000), '4000 (private use (application))');
});
