/**
 * The reference server's poll limits, in a module of their own (no imports) so that
 * `wsbench serve --help` (src/cli/flags/serve.ts) can print them without loading the server.
 */

/** A channel used only by pollers is unsubscribed after this long without a poll. */
export const POLL_IDLE_MS = 60_000;
/** Channels with a poll buffer one server process keeps at most, unless told otherwise. */
export const DEFAULT_MAX_POLL_CHANNELS = 10_000;
