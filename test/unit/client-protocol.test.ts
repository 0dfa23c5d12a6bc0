import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exactMatcher, Verdict } from '../../src/targets/client-protocol.js';
import { createClientProtocol } from '../../src/targets/registry.js';

test('plain protocol sends its templated messages on open and treats ignore strings as control', () => {
  const sent: string[] = [];
  const protocol = createClientProtocol(
    { kind: 'plain', sendAfterOpen: ['{"subscribe":"{channel}","id":{client}}'], ignore: ['--heartbeat--', 'ping'] },
    { channel: 'news', clientIndex: 7, send: (t) => sent.push(t) },
  );
  protocol.opened();
  assert.deepEqual(sent, ['{"subscribe":"news","id":7}']);
  const cases: [string, Verdict][] = [
    ['--heartbeat--', Verdict.Control],
    ['ping', Verdict.Control],
    ['pong', Verdict.Data],
    ['--heartbeat--x', Verdict.Data],
    ['', Verdict.Data],
  ];
  for (const [text, verdict] of cases) {
    const inside = Buffer.from(`<<${text}>>`);
    assert.equal(protocol.received(inside, 2, inside.length - 2), verdict, text);
  }
  assert.equal(protocol.ready, true);
});

test('exactMatcher with nothing to match never matches', () => {
  assert.equal(exactMatcher([])(Buffer.from('x'), 0, 1), false);
  assert.equal(exactMatcher(['é'])(Buffer.from('é'), 0, 2), true);
});
