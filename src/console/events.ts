/**
 * What a console session reports: typed events (the only way session state reaches a screen,
 * the plain output or NDJSON) and the status snapshot the status line shows.
 */

export type ReadyState = 0 | 1 | 2 | 3;
export const READY_STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;

export interface RedisStatus {
  /** Redis URL with any password removed. */
  url: string;
  connected: boolean;
  channels: string[];
  patterns: string[];
}

export interface ConsoleStatus {
  /** The URL connected to, or `listening on :port` in listen mode. */
  target: string;
  readyState: ReadyState;
  bufferedAmount: number;
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  /** Last ping → pong round trip in milliseconds, null before the first. */
  lastRttMs: number | null;
  /** Lines waiting for the connection to open. */
  queued: number;
  reconnects: number;
  redis: RedisStatus | null;
}

export interface UpgradeFailure {
  status: number;
  statusText: string;
  headers: [string, string][];
  /** The start of the body, as text. */
  body: string;
  bodyTruncated: boolean;
}

interface At {
  /** Wall-clock ms since the epoch when it happened. */
  time: number;
}

export type ConsoleEvent = At &
  (
    | { type: 'connecting'; url: string; attempt: number }
    | { type: 'open'; url: string; protocol: string; extensions: string }
    | { type: 'listening'; port: number }
    | { type: 'client-connected'; remote: string }
    | { type: 'message'; dir: 'in' | 'out'; data: Buffer; binary: boolean }
    | { type: 'ping' | 'pong'; dir: 'in' | 'out'; data: Buffer; rttMs?: number; requested?: boolean }
    | { type: 'close'; code: number; reason: string; byUs: boolean }
    | { type: 'upgrade-failed'; failure: UpgradeFailure }
    | { type: 'reconnecting'; attempt: number; delayMs: number }
    | { type: 'info'; message: string }
    | { type: 'error'; message: string; fatal: boolean }
    | { type: 'redis-message'; channel: string; pattern?: string; data: Buffer }
    | { type: 'redis-published'; channel: string; receivers: number; data: Buffer }
    | { type: 'redis-subscription'; action: 'subscribe' | 'psubscribe' | 'unsubscribe'; names: string[]; count: number }
    | { type: 'status'; status: ConsoleStatus }
    | { type: 'help'; lines: string[] }
  );

/** The event union without `time`, for emitters that stamp it. */
export type ConsoleEventBody = WithoutTime<ConsoleEvent>;
type WithoutTime<T> = T extends unknown ? Omit<T, 'time'> : never;

export type ConsoleEventListener = (event: ConsoleEvent) => void;
