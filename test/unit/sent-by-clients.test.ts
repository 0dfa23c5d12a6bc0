/**
 * Which of a server process's clients sent a message coming back from Redis (the reference server
 * leaving the sender out): matched by bytes in publish order; ones that never came back are
 * forgotten once a later one does; other processes' messages match nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SentByClients } from '../../src/server/sent-by-clients.js';
import type { Recipient } from '../../src/server/fanout.js';

const client = (name: string) => ({ name }) as unknown as Recipient;
const a = client('a');
const b = client('b');
const msg = (text: string) => Buffer.from(text);

test('sent-by-clients: steps of sends, failures and messages coming back, with the sender each one names', () => {
  const sent = new SentByClients();
  const m1 = msg('one');
  const m2 = msg('two');
  const m3 = msg('three');
  const steps: [string, () => Recipient | undefined | void, Recipient | undefined][] = [
    ['a sends one', () => sent.sent('room', m1, a), undefined],
    ['b sends two', () => sent.sent('room', m2, b), undefined],
    ["another process's message: nobody here", () => sent.senderOf('room', msg('other')), undefined],
    ['one comes back: a sent it (a copy of the bytes matches)', () => sent.senderOf('room', msg('one')), a],
    ['one again (another process sent the same bytes): nobody left to skip', () => sent.senderOf('room', msg('one')), undefined],
    ['a sends three', () => sent.sent('room', m3, a), undefined],
    ['three comes back first: two never will (forgotten)', () => sent.senderOf('room', msg('three')), a],
    ['two arrives late after all: no longer known', () => sent.senderOf('room', msg('two')), undefined],
    [
      'the same bytes on another channel are not the same message',
      () => (sent.sent('room', m1, b), sent.senderOf('hall', msg('one'))),
      undefined,
    ],
    ['a failed PUBLISH is forgotten at once', () => (sent.failed('room', m1), sent.senderOf('room', msg('one'))), undefined],
    [
      'after the subscriber was lost nothing is expected back',
      () => (sent.sent('room', m2, a), sent.clear(), sent.senderOf('room', msg('two'))),
      undefined,
    ],
  ];
  for (const [label, step, want] of steps) assert.equal(step() ?? undefined, want, label);
});
