/**
 * The reference server's fan-out with a connection in several channels (/ws?channels=a,b): it is
 * one recipient in each channel's set, and what it joins in the middle of a turn is kept per
 * channel, so it gets each channel's later messages once and none from before it joined.
 * The recipient here is a stand-in for a `ws` connection without direct socket writes (the
 * `ws.send` path), a pure seam: it records what it was sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocket } from 'ws';
import { Fanout, FanoutChannel, type Recipient } from '../../src/server/fanout.js';

function recorder(): { recipient: Recipient; got: string[] } {
  const got: string[] = [];
  const ws = { readyState: 1, bufferedAmount: 0, send: (p: Buffer) => got.push(p.toString()) } as unknown as WebSocket;
  return { recipient: { ws, socket: null, deflate: null }, got };
}

test('fan-out: one recipient in two channels joined mid-turn gets each channel’s later messages once, in order', () => {
  const fanout = new Fanout(1 << 20, { deliveries: 0, slowClientsDropped: 0 });
  const a = new FanoutChannel();
  const b = new FanoutChannel();
  const early = recorder();
  const both = recorder();
  a.add(early.recipient);
  b.add(early.recipient);
  fanout.publish(a, Buffer.from('a1'), false);
  fanout.publish(b, Buffer.from('b1'), false);
  // Joins both in the middle of the turn: after a1 and b1 were queued.
  a.add(both.recipient);
  b.add(both.recipient);
  fanout.publish(a, Buffer.from('a2'), false);
  fanout.publish(b, Buffer.from('b2'), false);
  fanout.publish(b, Buffer.from('b3'), false);
  fanout.flush();
  assert.deepEqual(early.got, ['a1', 'a2', 'b1', 'b2', 'b3']);
  assert.deepEqual(both.got, ['a2', 'b2', 'b3'], 'only what was queued after it joined, per channel');
  // The next turn: everything, for both.
  fanout.publish(a, Buffer.from('a4'), false);
  fanout.publish(b, Buffer.from('b4'), false);
  fanout.flush();
  assert.deepEqual(both.got.slice(3), ['a4', 'b4']);
  assert.deepEqual(early.got.slice(5), ['a4', 'b4']);
  assert.equal(a.joinedMidTurn, null, 'nothing kept once the turn is written');
  assert.equal(b.joinedMidTurn, null);
});

test('fan-out: a recipient that joined an idle channel is not remembered (nothing was queued before it)', () => {
  const channel = new FanoutChannel();
  channel.add(recorder().recipient);
  assert.equal(channel.joinedMidTurn, null);
});
