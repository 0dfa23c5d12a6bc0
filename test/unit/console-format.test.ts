import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsoleEvent, ConsoleStatus } from '../../src/console/events.js';
import { binaryText, formatEvent, ndjsonLine, statusText, type FormatOptions } from '../../src/console/format.js';

const T = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const plain: FormatOptions = { binaryFormat: 'hex', pretty: false, timestamps: false, showPingPong: false };
const text = (event: ConsoleEvent, o: Partial<FormatOptions> = {}) => formatEvent(event, { ...plain, ...o }).map((l) => l.text);

test('formatEvent: wscat output shapes and ours', () => {
  const table: [ConsoleEvent, Partial<FormatOptions>, string[]][] = [
    [{ time: T, type: 'open', url: 'ws://x/', protocol: '', extensions: '' }, {}, ['Connected (press CTRL+C to quit)']],
    [{ time: T, type: 'listening', port: 8080 }, {}, ['Listening on port 8080 (press CTRL+C to quit)']],
    [{ time: T, type: 'client-connected', remote: '127.0.0.1:5' }, {}, ['Client connected']],
    [{ time: T, type: 'close', code: 1000, reason: 'bye "now"', byUs: false }, {}, ['Disconnected (code: 1000, reason: "bye \\"now\\"")']],
    [{ time: T, type: 'message', dir: 'in', data: Buffer.from('hello'), binary: false }, {}, ['< hello']],
    [{ time: T, type: 'message', dir: 'out', data: Buffer.from('hi'), binary: false }, {}, ['> hi']],
    [{ time: T, type: 'message', dir: 'in', data: Buffer.from([0, 1, 255]), binary: true }, {}, ['< [binary 3 B] 00 01 ff']],
    [
      { time: T, type: 'message', dir: 'in', data: Buffer.from('hello'), binary: true },
      { binaryFormat: 'base64' },
      ['< [binary 5 B, base64] aGVsbG8='],
    ],
    [
      { time: T, type: 'message', dir: 'in', data: Buffer.from('{"n":123456789012345678901}'), binary: false },
      { pretty: true },
      ['< {', '    "n": 123456789012345678901', '  }'],
    ],
    [{ time: T, type: 'message', dir: 'in', data: Buffer.from('not json'), binary: false }, { pretty: true }, ['< not json']],
    [
      { time: T, type: 'message', dir: 'in', data: Buffer.from('x'), binary: false },
      { timestamps: true },
      ['[2024-01-02T03:04:05.678Z] < x'],
    ],
    [{ time: T, type: 'ping', dir: 'in', data: Buffer.from('p') }, {}, []],
    [{ time: T, type: 'ping', dir: 'in', data: Buffer.from('p') }, { showPingPong: true }, ['< Received ping (data: "p")']],
    [{ time: T, type: 'pong', dir: 'in', data: Buffer.from('') }, { showPingPong: true }, ['< Received pong (data: "")']],
    [{ time: T, type: 'pong', dir: 'in', data: Buffer.from('a'), rttMs: 1.5, requested: true }, {}, ['Pong received: round trip 1.500 ms']],
    [{ time: T, type: 'pong', dir: 'in', data: Buffer.from('wsbench-1'), rttMs: 1.5, requested: false }, {}, []],
    [{ time: T, type: 'error', message: 'boom', fatal: true }, {}, ['wsbench: error: boom']],
    [{ time: T, type: 'error', message: 'bad command', fatal: false }, {}, ['error: bad command']],
    [{ time: T, type: 'reconnecting', attempt: 2, delayMs: 1000 }, {}, ['Reconnecting in 1.0 s (attempt 2)']],
    [{ time: T, type: 'connecting', url: 'ws://x/', attempt: 1 }, {}, []],
    [{ time: T, type: 'connecting', url: 'ws://x/', attempt: 3 }, {}, ['Connecting to ws://x/ (attempt 3)']],
    [{ time: T, type: 'redis-message', channel: 'news', data: Buffer.from('hi') }, {}, ['redis< news: hi']],
    [
      { time: T, type: 'redis-message', channel: 'news', pattern: 'n*', data: Buffer.from([0xff, 0]) },
      {},
      ['redis< news (n*): [binary 2 B] ff 00'],
    ],
    [
      { time: T, type: 'redis-published', channel: 'news', receivers: 1, data: Buffer.from('hi') },
      {},
      ['redis> news: hi (received by 1 subscriber)'],
    ],
    [
      { time: T, type: 'redis-published', channel: 'news', receivers: 0, data: Buffer.from('{"a":1}') },
      { pretty: true },
      ['redis> news: {"a":1} (received by 0 subscribers)'],
    ],
    [{ time: T, type: 'redis-subscription', action: 'psubscribe', names: ['a*'], count: 2 }, {}, ['Subscribed to pattern a* (2 active)']],
    [{ time: T, type: 'redis-subscription', action: 'unsubscribe', names: [], count: 0 }, {}, ['Unsubscribed from everything (0 active)']],
  ];
  for (const [event, o, expected] of table) assert.deepEqual(text(event, o), expected, JSON.stringify(event));
});

test('formatEvent: a refused upgrade shows status, headers and the start of the body as errors', () => {
  const lines = formatEvent(
    {
      time: T,
      type: 'upgrade-failed',
      failure: {
        status: 500,
        statusText: 'Internal Server Error',
        headers: [['content-type', 'text/plain']],
        body: 'db down\nretry\n',
        bodyTruncated: true,
      },
    },
    plain,
  );
  assert.deepEqual(
    lines.map((l) => l.text),
    [
      'wsbench: error: the server refused the WebSocket upgrade: HTTP 500 Internal Server Error',
      '  content-type: text/plain',
      '  body (start):',
      '    db down',
      '    retry',
      '    …',
    ],
  );
  assert.ok(lines.every((l) => l.tone === 'error'));
});

test('binaryText cuts long frames after 1 KiB', () => {
  const t = binaryText(Buffer.alloc(1500, 0xab), 'hex');
  assert.match(t, /^\[binary 1\.5 KiB\] ab ab/);
  assert.match(t, / … \(476 more bytes\)$/);
  assert.equal((t.match(/ab/g) ?? []).length, 1024);
});

const status: ConsoleStatus = {
  target: 'ws://h/',
  readyState: 1,
  bufferedAmount: 2048,
  messagesIn: 3,
  bytesIn: 45,
  messagesOut: 2,
  bytesOut: 10,
  lastRttMs: 0.412,
  queued: 0,
  reconnects: 0,
  redis: { url: 'redis://h', connected: true, channels: ['news'], patterns: ['a*'] },
};

test('statusText: readyState by number and name, traffic, rtt, subscriptions', () => {
  assert.equal(statusText(status), '1 OPEN · buffered 2 KiB · in 3 msg / 45 B · out 2 msg / 10 B · rtt 0.412 ms · redis subs: news, a*');
  assert.equal(
    statusText({ ...status, readyState: 0, lastRttMs: null, queued: 2, reconnects: 1, redis: null }),
    '0 CONNECTING · buffered 2 KiB · in 3 msg / 45 B · out 2 msg / 10 B · rtt – · queued 2 · reconnects 1',
  );
  assert.match(
    statusText({ ...status, readyState: 3, redis: { ...status.redis!, connected: false, channels: [], patterns: [] } }),
    /^3 CLOSED .* redis \(down\) no subs$/,
  );
});

test('ndjsonLine: ISO time, text as text, binary as hex/base64', () => {
  assert.deepEqual(JSON.parse(ndjsonLine({ time: T, type: 'message', dir: 'in', data: Buffer.from('hi'), binary: false }, 'hex')), {
    time: '2024-01-02T03:04:05.678Z',
    type: 'message',
    dir: 'in',
    data: 'hi',
    binary: false,
  });
  assert.deepEqual(JSON.parse(ndjsonLine({ time: T, type: 'message', dir: 'out', data: Buffer.from([1, 2]), binary: true }, 'base64')), {
    time: '2024-01-02T03:04:05.678Z',
    type: 'message',
    dir: 'out',
    data: 'AQI=',
    encoding: 'base64',
    binary: true,
  });
  assert.deepEqual(JSON.parse(ndjsonLine({ time: T, type: 'close', code: 1006, reason: '', byUs: false }, 'hex')), {
    time: '2024-01-02T03:04:05.678Z',
    type: 'close',
    code: 1006,
    reason: '',
    byUs: false,
  });
});
