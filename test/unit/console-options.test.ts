import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { normalizeUrl, parseHeader, toConsoleOptions, type ConnectArgs } from '../../src/console/options.js';

test('wscat flags map to ws client settings', () => {
  const o = toConsoleOptions({
    url: '127.0.0.1:9000/path',
    header: ['X-One: 1', 'X-Two:two:parts'],
    auth: 'user:pa:ss',
    host: 'example.test',
    origin: 'http://o.test',
    protocol: 8,
    subprotocol: ['a', 'b'],
    check: false,
    location: true,
    'max-redirects': 3,
    proxy: 'localhost:3128',
  });
  assert.equal(o.mode, 'connect');
  assert.equal(o.url, 'ws://127.0.0.1:9000/path');
  assert.deepEqual(o.ws.headers, {
    'X-One': '1',
    'X-Two': 'two:parts',
    Authorization: `Basic ${Buffer.from('user:pa:ss').toString('base64')}`,
    Host: 'example.test',
  });
  assert.equal(o.ws.origin, 'http://o.test');
  assert.equal(o.ws.protocolVersion, 8);
  assert.deepEqual(o.ws.subprotocols, ['a', 'b']);
  assert.equal(o.ws.rejectUnauthorized, false);
  assert.equal(o.ws.followRedirects, true);
  assert.equal(o.ws.maxRedirects, 3);
  assert.equal(o.ws.proxy, 'localhost:3128');
});

test('console behaviour flags', () => {
  const table: [ConnectArgs, Partial<ReturnType<typeof toConsoleOptions>>][] = [
    [
      { url: 'ws://h' },
      {
        slash: false,
        endOfInputWait: { quietMs: 500, maxMs: 5000 },
        keepOpenAtEof: false,
        reconnectAttempts: null,
        pingIntervalMs: null,
        execute: [],
      },
    ],
    [
      { connect: 'ws://h', execute: ['a'] },
      { closeAfterMs: 2000, execute: ['a'] },
    ],
    [
      { url: 'ws://h', execute: ['a'], wait: 1 },
      { closeAfterMs: 1000, endOfInputWait: { fixedMs: 1000 } },
    ],
    [{ url: 'ws://h', wait: 0 }, { endOfInputWait: { fixedMs: 0 } }],
    [
      { url: 'ws://h', wait: -1 },
      { closeAfterMs: null, keepOpenAtEof: true },
    ],
    [{ url: 'ws://h', 'keep-open': true }, { keepOpenAtEof: true }],
    [
      { url: 'ws://h', redis: 'redis://127.0.0.1:6379' },
      { slash: true, redisUrl: 'redis://127.0.0.1:6379' },
    ],
    [{ url: 'ws://h', slash: true }, { slash: true }],
    [{ url: 'ws://h', reconnect: '' }, { reconnectAttempts: Infinity }],
    [{ url: 'ws://h', reconnect: '4' }, { reconnectAttempts: 4 }],
    [{ reconnect: 'ws://h' }, { url: 'ws://h/', reconnectAttempts: Infinity }],
    [{ url: 'ws://h', 'ping-interval': 0.5 }, { pingIntervalMs: 500 }],
    [{ url: 'ws://h', color: false }, { color: false }],
    [{ listen: 0 }, { mode: 'listen', listenPort: 0 }],
    [
      { listen: 8080, bind: '127.0.0.1' },
      { mode: 'listen', listenPort: 8080, bindAddress: '127.0.0.1' },
    ],
  ];
  for (const [args, expected] of table) {
    const o = toConsoleOptions(args);
    for (const [key, value] of Object.entries(expected))
      assert.deepEqual(o[key as keyof typeof o], value, `${JSON.stringify(args)} → ${key}`);
  }
  assert.equal(toConsoleOptions({ url: 'ws://h' }, { NO_COLOR: '1' }).color, false);
  assert.equal(toConsoleOptions({ url: 'ws://h' }, {}).color, true);
});

test('bad flags are ConfigErrors naming the flag', () => {
  const table: [ConnectArgs, RegExp][] = [
    [{}, /give a URL/],
    [{ url: 'ws://h', listen: 1 }, /either a URL/],
    [{ listen: 70000 }, /--listen: must be a port/],
    [{ url: 'ws://h', wait: -2 }, /--wait/],
    [{ url: 'ws://h', 'ping-interval': 0 }, /--ping-interval/],
    [{ url: 'ws://h', reconnect: '0' }, /--reconnect/],
    [{ url: 'ws://h', protocol: 7 }, /--protocol: must be 8 or 13/],
    [{ url: 'ws://h', redis: 'localhost:6379' }, /--redis: .* not a Redis URL/],
    [{ url: 'ws://h', 'binary-format': 'octal' }, /--binary-format/],
    [{ url: 'ws://h', auth: 'nopassword' }, /--auth: must be user:password/],
    [{ url: 'ws://h', header: ['NoColon'] }, /--header: "NoColon" is not a header/],
    [{ url: 'ftp://h' }, /not a WebSocket URL/],
  ];
  for (const [args, message] of table) {
    assert.throws(
      () => toConsoleOptions(args),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      JSON.stringify(args),
    );
  }
});

test('normalizeUrl and parseHeader', () => {
  assert.equal(normalizeUrl('localhost:8080'), 'ws://localhost:8080/');
  assert.equal(normalizeUrl('http://h/x'), 'ws://h/x');
  assert.equal(normalizeUrl('https://h/x?y=1'), 'wss://h/x?y=1');
  assert.equal(normalizeUrl('wss://h'), 'wss://h/');
  assert.deepEqual(parseHeader('Cookie: a=b; c=d'), ['Cookie', 'a=b; c=d']);
  assert.deepEqual(parseHeader('X:'), ['X', '']);
});
