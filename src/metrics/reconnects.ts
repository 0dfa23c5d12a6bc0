/**
 * The reconnect figures of a run with events (reconnect storms, server restarts): the workers'
 * accounts of each event added up, and the report's `reconnects` made from them. Times in the
 * accounts are monotonic ms (one host: one clock); the report puts them on the run's axis. Pure.
 */
import { summarizeMs, type Histogram } from './histogram.js';
import type { ReconnectEventReport, ReconnectReport } from '../results/types.js';

/** One worker's (or the sum of several workers') account of one event. */
export interface EventAccount {
  /** The event's position in the scenario's `events`. */
  index: number;
  /** Clients the event dropped. */
  dropped: number;
  /** Of those, subscribed again. */
  reconnected: number;
  /** Of those, no longer wanted before they were back (a stage took them away). */
  gone: number;
  /** Reconnect attempts that failed (each was retried with backoff). */
  failed: number;
  /** When the event happened (the drop; a restart: the server stopped), monotonic ms; null before it. Null, not NaN: accounts travel as JSON to remote agents. */
  at: number | null;
  /** When the first and the last of its clients were subscribed again, monotonic ms (null: none yet). */
  firstReadyAt: number | null;
  lastReadyAt: number | null;
}

const earliest = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const latest = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/** Adds up the workers' accounts event by event (counts summed; the earliest drop and first readiness, the latest last readiness). */
/** The account of an event nothing has happened to yet (no drop, no reconnect). */
export function emptyEventAccount(index: number): EventAccount {
  return { index, dropped: 0, reconnected: 0, gone: 0, failed: 0, at: null, firstReadyAt: null, lastReadyAt: null };
}

export function sumEventAccounts(parts: readonly (readonly EventAccount[])[]): EventAccount[] {
  const byIndex = new Map<number, EventAccount>();
  for (const part of parts)
    for (const e of part) {
      const sum = byIndex.get(e.index);
      if (!sum) {
        byIndex.set(e.index, { ...e });
        continue;
      }
      sum.dropped += e.dropped;
      sum.reconnected += e.reconnected;
      sum.gone += e.gone;
      sum.failed += e.failed;
      sum.at = earliest(sum.at, e.at);
      sum.firstReadyAt = earliest(sum.firstReadyAt, e.firstReadyAt);
      sum.lastReadyAt = latest(sum.lastReadyAt, e.lastReadyAt);
    }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/**
 * From the event to every client it dropped subscribed again (those a stage took away aside), ms;
 * null when it dropped nobody or some never came back.
 */
export function allReconnectedMs(e: EventAccount): number | null {
  if (e.dropped === 0 || e.reconnected + e.gone < e.dropped || e.at === null) return null;
  if (e.reconnected === 0) return 0;
  return e.lastReadyAt === null ? null : Math.max(0, e.lastReadyAt - e.at);
}

/**
 * Reconnects completed per second between the event's first and last reconnect: the handshake
 * rate the tool and the target reached in the storm (null with fewer than two, or no time between).
 */
export function reconnectsPerSec(e: EventAccount): number | null {
  if (e.reconnected < 2 || e.firstReadyAt === null || e.lastReadyAt === null) return null;
  const spanMs = e.lastReadyAt - e.firstReadyAt;
  return spanMs > 0 ? Math.round(((e.reconnected - 1) * 1000) / spanMs) : null;
}

/**
 * The report's `reconnects`: `events` are the summed accounts with their kinds, `timeToReconnect`
 * every reconnected client's time from its event to its readiness, `originMs` the run's start
 * (monotonic ms) for the events' `atMs`.
 */
export function reconnectReport(
  events: readonly (EventAccount & { kind: ReconnectEventReport['kind'] })[],
  timeToReconnect: Histogram,
  timeToReconnectEncoded: string,
  originMs: number,
): ReconnectReport {
  const perEvent: ReconnectEventReport[] = events.map((e) => ({
    index: e.index,
    kind: e.kind,
    atMs: e.at === null ? null : Math.round(e.at - originMs),
    dropped: e.dropped,
    reconnected: e.reconnected,
    gone: e.gone,
    failed: e.failed,
    allReconnectedMs: roundOrNull(allReconnectedMs(e)),
    handshakesPerSec: reconnectsPerSec(e),
  }));
  const each = perEvent.map((e) => e.allReconnectedMs);
  const summary = summarizeMs(timeToReconnect);
  return {
    count: sumOf(events, (e) => e.reconnected),
    failed: sumOf(events, (e) => e.failed),
    dropped: sumOf(events, (e) => e.dropped),
    timeToReconnectMs: { p50: summary.p50, p99: summary.p99, max: summary.max },
    // Every event's clients back: the longest of them (null when one of them is not).
    allReconnectedMs: each.length > 0 && each.every((x) => x !== null) ? Math.max(...(each as number[])) : null,
    events: perEvent,
    histogram: timeToReconnectEncoded,
  };
}

function roundOrNull(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 1000) / 1000;
}

function sumOf<T>(items: readonly T[], f: (t: T) => number): number {
  return items.reduce((a, t) => a + f(t), 0);
}
