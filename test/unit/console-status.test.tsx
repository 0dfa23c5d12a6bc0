import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import type { ConsoleStatus } from '../../src/console/events.js';
import { StatusLine } from '../../src/ui/console/StatusLine.js';
import { ConsoleApp } from '../../src/ui/console/ConsoleApp.js';

const status: ConsoleStatus = {
  target: 'ws://127.0.0.1:8080/ws/news',
  readyState: 1,
  bufferedAmount: 1536,
  messagesIn: 12,
  bytesIn: 2048,
  messagesOut: 3,
  bytesOut: 30,
  lastRttMs: 0.25,
  queued: 0,
  reconnects: 0,
  redis: { url: 'redis://127.0.0.1:6379', connected: true, channels: ['news'], patterns: ['chat.*'] },
};

test('status line shows readyState number and name, buffered, traffic, rtt and Redis subscriptions', () => {
  const { lastFrame, unmount } = render(<StatusLine status={status} color={false} />);
  const frame = lastFrame() ?? '';
  unmount();
  for (const part of [
    '1 OPEN',
    'buffered 1.5 KiB',
    'in 12 msg / 2 KiB',
    'out 3 msg / 30 B',
    'rtt 0.250 ms',
    'redis subs: news, chat.*',
    'ws://127.0.0.1:8080/ws/news',
  ]) {
    assert.ok(frame.includes(part), `missing "${part}" in:\n${frame}`);
  }
  assert.ok(!frame.includes('\u001b['), 'no colour when color=false');
});

test('status line for every readyState, queue, reconnects and a lost Redis', () => {
  const names = ['0 CONNECTING', '1 OPEN', '2 CLOSING', '3 CLOSED'];
  for (const readyState of [0, 1, 2, 3] as const) {
    const { lastFrame, unmount } = render(
      <StatusLine
        status={{
          ...status,
          readyState,
          lastRttMs: null,
          queued: 2,
          reconnects: 1,
          redis: { ...status.redis!, connected: false, channels: [], patterns: [] },
        }}
        color={false}
      />,
    );
    const frame = lastFrame() ?? '';
    unmount();
    assert.ok(frame.includes(names[readyState]!), frame);
    for (const part of ['rtt –', 'queued 2', 'reconnects 1', 'redis (down) no subs'])
      assert.ok(frame.includes(part), `missing "${part}" in:\n${frame}`);
  }
  const { lastFrame, unmount } = render(<StatusLine status={{ ...status, redis: null }} color={false} />);
  assert.ok(!(lastFrame() ?? '').includes('redis'));
  unmount();
});

test('console screen: log lines, status line and the prompt with its text', () => {
  const { lastFrame, frames, unmount } = render(
    <ConsoleApp
      log={[
        { id: 0, line: { text: 'Connected (press CTRL+C to quit)', tone: 'control' } },
        { id: 1, line: { text: '< hello', tone: 'in' } },
      ]}
      status={status}
      input={{ text: '/publish news hi', cursor: 16 }}
      hint="/ping  /pong"
      color={false}
    />,
  );
  const all = frames.join('\n');
  const frame = lastFrame() ?? '';
  unmount();
  assert.ok(all.includes('Connected (press CTRL+C to quit)'), all);
  assert.ok(all.includes('< hello'), all);
  assert.ok(frame.includes('1 OPEN'), frame);
  assert.ok(frame.includes('> /publish news hi'), frame);
  assert.ok(frame.includes('/ping  /pong'), frame);
});
