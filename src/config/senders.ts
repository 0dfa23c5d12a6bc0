/**
 * `publish.via` and `publish.senders`: who sends the schedule's messages. With `via: redis` (the
 * default) wsbench's own publisher PUBLISHes them into Redis; with `via: websocket` some clients
 * (the senders) send them through their own WebSocket, as chat users do, and the app publishes
 * them. A leaf: the schema checks with it and resolve.ts resolves with it.
 */

export const PUBLISH_VIA = ['redis', 'websocket'] as const;
export type PublishVia = (typeof PUBLISH_VIA)[number];

/** `publish.senders` as written: a number of clients, a fraction of them below 1 (0.1), or a percentage ("10%"). */
export type SendersSetting = number | string;

/** The percentage of `senders: "12.5%"`, or undefined when the text is not one. */
export function sendersPercent(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * How many clients send: the number given, a fraction (below 1) or a percentage of the connections
 * (rounded, at least 1), or by default one per channel (each channel needs a sender of its own: a
 * sender sends into the channel it is a member of).
 */
export function senderCount(setting: SendersSetting | undefined, connections: number, channelCount: number): number {
  if (setting === undefined) return channelCount;
  if (typeof setting === 'number' && setting >= 1) return setting;
  const percent = typeof setting === 'number' ? setting * 100 : (sendersPercent(setting) ?? Number.NaN);
  return Math.max(1, Math.round((connections * percent) / 100));
}

/** What is wrong with a sender count for the scenario, or null. */
export function sendersProblem(senders: number, connections: number, channelCount: number): string | null {
  if (!Number.isInteger(senders) || senders < 1) return `${senders} is not a number of senders (at least 1)`;
  if (senders > connections) return `${senders} senders, but only ${connections} connections: a sender is one of the clients`;
  if (senders < channelCount)
    return `${senders} sender(s) for ${channelCount} channels: each channel needs at least one sender (a sender sends into its own channel)`;
  return null;
}
