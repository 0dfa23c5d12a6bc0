/**
 * What a sender left out of its own messages (publish.echo none) holds per message it sends: its
 * ledger and owed spans, fed as the pool feeds them, in-process. One channel with `--senders`
 * senders (this one is slot 0: every `--senders`-th sequence is its own), `--messages` channel
 * sequences; it receives every other sender's message in order and none of its own. The heap is
 * read after a full GC before and after (with --expose-gc); what the ledger and spans retain is the
 * difference. Runs against any build: `--dist` names a built tree's dist/ (main's, to compare),
 * default this one. A build without SenderLedger (before the change) is fed as it was then: a
 * plain ClientLedger and withoutOwn's per-message ranges.
 *
 *   node --expose-gc dist/bench/echo-none-memory.js [--messages 1000000] [--senders 3] [--dist /path/to/dist]
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

interface Spans {
  owed: readonly number[];
  notOwed: readonly number[];
}
interface Ledger {
  receive(seq: number): boolean;
  counts(
    channel: { expected: number; unpublished: unknown },
    spans: Spans,
  ): { delivered: number; lost: number; notOwed: number; expected: number };
}

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '1000000' }, senders: { type: 'string', default: '3' }, dist: { type: 'string' } },
});
const messages = Number(values.messages);
const senders = Number(values.senders);
const dist = values.dist ? resolve(values.dist) : resolve(import.meta.dirname, '..');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const ledgerModule = (await import(pathToFileURL(`${dist}/src/metrics/ledger.js`).href)) as Record<string, unknown>;
const spansModule = (await import(pathToFileURL(`${dist}/src/metrics/owed-spans.js`).href)) as Record<string, unknown>;
const rangeSetModule = (await import(pathToFileURL(`${dist}/src/metrics/range-set.js`).href)) as Record<string, unknown>;
const withoutOwn = spansModule['withoutOwn'] as (s: Spans, offset: number, period: number, end: number) => Spans;
const OWED_THROUGHOUT = spansModule['OWED_THROUGHOUT'] as Spans;
const SenderLedger = ledgerModule['SenderLedger'] as (new (own: { offset: number; period: number; end: number }) => Ledger) | undefined;
const ClientLedger = ledgerModule['ClientLedger'] as new () => Ledger;
const RangeSet = rangeSetModule['RangeSet'] as new () => unknown;

const settle = () => {
  for (let k = 0; k < 3; k++) gc();
  return process.memoryUsage().heapUsed;
};

const own = { offset: 0, period: senders, end: messages };
const before = settle();
const ledger: Ledger = SenderLedger ? new SenderLedger(own) : new ClientLedger();
for (let q = 0; q < messages; q++) if (q % senders !== 0) ledger.receive(q);
const spans = withoutOwn(OWED_THROUGHOUT, own.offset, own.period, own.end);
const after = settle();
const counts = ledger.counts({ expected: messages, unpublished: new RangeSet() }, spans);
const retained = after - before;
console.log(
  JSON.stringify({
    build: SenderLedger ? 'arithmetic (SenderLedger)' : 'per-message ranges (before)',
    messages,
    senders,
    ownMessages: Math.ceil(messages / senders),
    heapRetainedBytes: retained,
    bytesPerOwnMessage: Math.round((retained / Math.ceil(messages / senders)) * 100) / 100,
    counts: { expected: counts.expected, delivered: counts.delivered, lost: counts.lost, notOwed: counts.notOwed },
  }),
);
// Keep both alive until after the reading.
if ((ledger as unknown) === spans) console.log('');
