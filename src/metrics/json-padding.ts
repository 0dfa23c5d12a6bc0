/**
 * JSON-like payload padding (`publish.padding: json`): chat messages with a user, a room, numbers
 * and words from a small vocabulary, so that payloads compress like real JSON does (≈ 0.4 of their
 * size at 1 KiB with permessage-deflate, each message on its own) instead of like the default
 * padding of zeros or 'x', which compresses to almost nothing. Deterministic (seeded), pure.
 * bench/deflate.ts measures the codec on the same generator.
 */

/** xorshift32: deterministic, cheap, good enough for filler text. Returns [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

const WORDS =
  'the a message room delivered latency socket server client hello world ok yes no maybe later today now fan out redis publish'.split(' ');

/** A string shaped like a text stamp (random hex fields): as incompressible as the real one. */
export function stampLike(random: () => number, seq: number): string {
  const hex = (n: number, digits: number) => Math.floor(n).toString(16).padStart(digits, '0').slice(-digits);
  return `WSB1.0.${hex(random() * 2 ** 32, 8)}${hex(random() * 2 ** 32, 8)}.${hex(seq, 8)}.${hex(random() * 2 ** 32, 8)}${hex(random() * 2 ** 32, 8)}`;
}

/** One chat message record with `bodyWords` words of body. */
export function chatRecord(random: () => number, seq: number, bodyWords: number): Record<string, unknown> {
  const words: string[] = [];
  for (let i = 0; i < bodyWords; i++) words.push(WORDS[Math.floor(random() * WORDS.length)]!);
  return {
    type: 'chat.message',
    stamp: stampLike(random, seq),
    room: `room-${Math.floor(random() * 100)}`,
    user: { id: Math.floor(random() * 1e6), name: `user${Math.floor(random() * 1e4)}`, online: random() < 0.5 },
    sentAt: 1_700_000_000_000 + Math.floor(random() * 1e9),
    reactions: [Math.floor(random() * 50), Math.floor(random() * 50)],
    body: words.join(' '),
  };
}

/** Exactly `size` bytes of JSON-like text (padded inside the last string, cut if over). */
export function fitJson(json: string, size: number): Buffer {
  if (json.length >= size) return Buffer.from(json.slice(0, size), 'latin1');
  return Buffer.from(json.slice(0, -2) + ' '.repeat(size - json.length) + json.slice(-2), 'latin1');
}

/** JSON-like text of exactly `size` bytes for message `seq`: one record up to 1 KiB, an array of them above. */
export function jsonLikePayload(random: () => number, seq: number, size: number): Buffer {
  if (size <= 64) return fitJson(JSON.stringify({ s: stampLike(random, seq) }), size);
  if (size <= 1024) return fitJson(JSON.stringify(chatRecord(random, seq, 150)), size);
  const records = [];
  while (JSON.stringify(records).length < size) records.push(chatRecord(random, seq, 20 + Math.floor(random() * 40)));
  return fitJson(JSON.stringify(records), size);
}

/**
 * Distinct paddings a run cycles through: enough that a compressor with context takeover (a
 * 32 KiB window) does not find the same message again among the recent ones at 1 KiB.
 */
export const JSON_PADDINGS = 64;

/** `count` distinct JSON-like paddings of `size` bytes. */
export function jsonPaddings(size: number, count = JSON_PADDINGS): Buffer[] {
  const random = seededRandom(size);
  return Array.from({ length: count }, (_, seq) => jsonLikePayload(random, seq, size));
}
