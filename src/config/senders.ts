/**
 * `publish.via` and `publish.senders`: who sends the schedule's messages. With `via: redis` (the
 * default) wsbench's own publisher PUBLISHes them into Redis; with `via: websocket` some clients
 * (the senders) send them through their own WebSocket, as chat users do, and the app publishes
 * them. A leaf: the schema checks with it and resolve.ts resolves with it.
 */

export const PUBLISH_VIA = ['redis', 'websocket'] as const;
export type PublishVia = (typeof PUBLISH_VIA)[number];

/**
 * `publish.echo`: whether the app sends a sender its own message back. `expected` (the default: what
 * `io.to(room).emit`, `group_send` and `ActionCable.server.broadcast` do) — the sender is one of the
 * recipients and its copy is measured as echo latency; `none` (`socket.to(room).emit`, apps that
 * leave the sender out) — a sender is owed none of its own messages (notOwed on that sender), and
 * an own copy that arrives anyway is counted as `publish.unexpected-echo`, never as a delivery.
 */
export const SENDER_ECHO = ['expected', 'none'] as const;
export type SenderEcho = (typeof SENDER_ECHO)[number];

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

/**
 * The clients senders are chosen from: those the load keeps throughout publishing — global indices
 * below the fewest connections the scenario ever wants (`clients.connections`, or a stage's
 * `connections` when lower: a stage that takes connections away closes the highest indices first).
 * A sender then never leaves with a stage; churn, storms and restarts still take it away for a while.
 */
export function senderPoolSize(connections: number, stages: readonly { connections?: number | undefined }[] | undefined): number {
  let fewest = connections;
  for (const stage of stages ?? []) if (stage.connections !== undefined && stage.connections < fewest) fewest = stage.connections;
  // As the pool wants clients below a level of the curve (lifecycle.ts wantedBelow).
  return Math.max(0, Math.floor(fewest + 1e-9));
}

/** What is wrong with a sender count for the scenario, or null (`connections`: the clients senders can be chosen from, senderPoolSize). */
export function sendersProblem(senders: number, connections: number, channelCount: number, withStages = false): string | null {
  if (!Number.isInteger(senders) || senders < 1) return `${senders} is not a number of senders (at least 1)`;
  if (senders > connections)
    return withStages
      ? `${senders} senders, but the stages go down to ${connections} connections: senders are clients the load keeps throughout (at most the fewest connections of the stages)`
      : `${senders} senders, but only ${connections} connections: a sender is one of the clients`;
  if (senders < channelCount)
    return `${senders} sender(s) for ${channelCount} channels: each channel needs at least one sender (a sender sends into its own channel)`;
  return null;
}
