import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forgetSecrets, mapStrings, redactDeep, redactScenario, redactText, rememberSecrets, secretsInUrl } from '../../src/secrets.js';

test('redactText: URL userinfo and query values anywhere in a text; placeholders and plain text kept', () => {
  forgetSecrets();
  const cases: [string, string][] = [
    ['ws://user:pw@host/x', 'ws://user:***@host/x'],
    ['redis://:hunter2@127.0.0.1:6379/2', 'redis://:***@127.0.0.1:6379/2'],
    ['rediss://token@h', 'rediss://***@h'],
    ['cannot reach ws://u:p@h:1/ws?token=abc&room={channel} now', 'cannot reach ws://u:***@h:1/ws?token=***&room={channel} now'],
    ['two: ws://a:b@x/ and http://c:d@y/?k=v', 'two: ws://a:***@x/ and http://c:***@y/?k=***'],
    ['an @ in the password: ws://user:p@ss@host/', 'an @ in the password: ws://user:***@host/'],
    ['quoted "ws://h/p?a=1&b=" end', 'quoted "ws://h/p?a=***&b=" end'],
    ['ws://h/ws/{channel}?subscribe-broadcast', 'ws://h/ws/{channel}?subscribe-broadcast'],
    ['ws://h/?c={client}{channel}', 'ws://h/?c={client}{channel}'],
    ['no URL here: user:pass@host', 'no URL here: user:pass@host'],
    ['', ''],
  ];
  for (const [input, expected] of cases) assert.equal(redactText(input), expected, input);
});

test('remembered secrets are replaced wherever they appear, longest first; short values are not remembered', () => {
  forgetSecrets();
  rememberSecrets(['s3cr3t-token', 's3cr3t', 'ab', '']);
  assert.equal(redactText('server said: bad s3cr3t-token (s3cr3t)'), 'server said: bad *** (***)');
  assert.equal(redactText('ab stays'), 'ab stays');
  forgetSecrets();
  assert.equal(redactText('s3cr3t'), 's3cr3t');
});

test('redactDeep keeps objects that had nothing to redact, and copies the ones that had', () => {
  forgetSecrets();
  const clean = { a: ['x', { b: 1 }], c: true };
  assert.equal(redactDeep(clean), clean);
  const dirty = { a: ['ws://u:p@h/'], n: 5 };
  assert.deepEqual(redactDeep(dirty), { a: ['ws://u:***@h/'], n: 5 });
  assert.deepEqual(dirty, { a: ['ws://u:p@h/'], n: 5 });
});

test('redactScenario: every header value unless public, secret-looking keys, query records, URL parts; what it found', () => {
  forgetSecrets();
  const { redacted, secrets } = redactScenario({
    name: 'n',
    target: {
      kind: 'socketio',
      url: 'ws://bob:pw1234@h/x?token=tok9876',
      headers: { 'X-Session': 'sess-1', Cookie: 'c=1', 'X-Trace': 'trace-ok' },
      publicHeaders: ['x-trace'],
      query: { room: '{channel}', key: 'qk-5555' },
      auth: { user: 'bob', password: 'pw1234' },
      apiKey: 'api-7777',
      apiKeyHeader: 'X-API-Key',
      key: 'socket.io',
    },
    redis: { url: 'redis://:redispw@127.0.0.1:6379' },
  });
  assert.deepEqual(redacted, {
    name: 'n',
    target: {
      kind: 'socketio',
      url: 'ws://bob:***@h/x?token=***',
      headers: { 'X-Session': '***', Cookie: '***', 'X-Trace': 'trace-ok' },
      publicHeaders: ['x-trace'],
      query: { room: '{channel}', key: '***' },
      auth: { user: '***', password: '***' },
      apiKey: '***',
      apiKeyHeader: 'X-API-Key',
      key: 'socket.io',
    },
    redis: { url: 'redis://:***@127.0.0.1:6379' },
  });
  for (const s of ['pw1234', 'tok9876', 'sess-1', 'c=1', 'qk-5555', 'api-7777', 'redispw']) assert.ok(secrets.includes(s), s);
  assert.ok(!secrets.includes('trace-ok'));
  assert.ok(!secrets.includes('X-API-Key'));
});

test('secretsInUrl: the password of the userinfo (decoded too; all of a userinfo without a colon) and query values', () => {
  assert.deepEqual(secretsInUrl('ws://us%40er:p%3Aw@h/?a=1&b={channel}&c').sort(), ['1', 'p%3Aw', 'p:w'].sort());
  assert.deepEqual(secretsInUrl('redis://tok%2Ben@h'), ['tok%2Ben', 'tok+en']);
});

test('mapStrings leaves encoded histograms alone (a short secret can occur in base64 by chance) and maps text under such keys', () => {
  forgetSecrets();
  rememberSecrets(['AAAB14']);
  const encoded = 'HISTFAAAAB14nJNpmSzMwMDAxgABzFAaRAzMDn';
  const cases: [unknown, unknown][] = [
    [
      { histogram: encoded, note: 'AAAB14' },
      { histogram: encoded, note: '***' },
    ],
    [{ histograms: { fanout: encoded, connect: encoded } }, { histograms: { fanout: encoded, connect: encoded } }],
    [{ recipientHistograms: { first: encoded, last: encoded } }, { recipientHistograms: { first: encoded, last: encoded } }],
    [{ connect: { count: 3, histogram: encoded } }, { connect: { count: 3, histogram: encoded } }],
    [{ histogram: 'not base64: AAAB14' }, { histogram: 'not base64: ***' }],
    [{ histograms: { fanout: encoded, note: 'a AAAB14' } }, { histograms: { fanout: encoded, note: 'a ***' } }],
    [{ histograms: [encoded] }, { histograms: [encoded] }],
    [{ text: encoded }, { text: encoded.replace('AAAB14', '***') }],
  ];
  for (const [input, expected] of cases) assert.deepEqual(mapStrings(input, redactText), expected, JSON.stringify(input));
  forgetSecrets();
});
