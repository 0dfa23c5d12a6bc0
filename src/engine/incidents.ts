/**
 * The run's one incident recorder: every part of the engine that notices something going wrong
 * (a Redis connection lost or back, the target gone, the reference server's subscriber dropped,
 * publishes failing) tells it here, with the monotonic time it noticed; the recorder decides what
 * is an incident, puts it on the run's time axis (ms since the run started), emits it as an engine
 * event at once and keeps it for `run.incidents`.
 *
 * Redis has several witnesses (the coordinator's control connection, the publisher thread's
 * connection): the first one to lose Redis says `redis-down`, and `redis-up` comes when every
 * witness that lost it is back — one outage, one pair of incidents.
 */
import { monotonicMs } from '../metrics/clock.js';
import { sortIncidents, type RecordedIncidentKind } from '../results/incidents.js';
import type { Incident } from '../results/types.js';
import type { EngineListener } from './events.js';

/** Who noticed a Redis connection change. */
export type RedisWitness = 'control' | 'publisher';

const WITNESS_NAMES: Record<RedisWitness, string> = {
  control: 'the coordinator’s control connection',
  publisher: 'the publisher’s connection',
};

export class IncidentRecorder {
  private readonly incidents: Incident[] = [];
  /** Witnesses that lost Redis and are not back yet, with what they said. */
  private readonly redisLost = new Map<RedisWitness, string>();
  private redisDownAt: number | null = null;
  private targetDownAt: number | null = null;

  constructor(
    /** ms since the run started of a monotonicMs() reading. */
    private readonly elapsedAt: (monotonic: number) => number,
    private readonly emit: EngineListener,
  ) {}

  /** Records an incident noticed at monotonic time `at` (default: now) and emits it. */
  record(kind: RecordedIncidentKind, detail: string, at = monotonicMs()): Incident {
    const incident: Incident = { atMs: Math.max(0, this.elapsedAt(at)), kind, detail };
    this.incidents.push(incident);
    this.emit({ type: 'incident', incident });
    return incident;
  }

  /** A Redis connection of wsbench was lost (it reconnects with backoff). */
  redisDown(witness: RedisWitness, reason: string, at = monotonicMs()): void {
    if (this.redisLost.has(witness)) return;
    this.redisLost.set(witness, reason);
    if (this.redisDownAt !== null) return;
    this.redisDownAt = at;
    this.record('redis-down', `${WITNESS_NAMES[witness]} to Redis was lost (${reason}); reconnecting with backoff`, at);
  }

  /** A Redis connection of wsbench is back. */
  redisUp(witness: RedisWitness, at = monotonicMs()): void {
    if (!this.redisLost.delete(witness) || this.redisLost.size > 0 || this.redisDownAt === null) return;
    const seconds = ((at - this.redisDownAt) / 1000).toFixed(1);
    this.redisDownAt = null;
    this.record('redis-up', `Redis reachable again after ${seconds} s (${WITNESS_NAMES[witness]} reconnected)`, at);
  }

  /** A witness went away for good (the publisher thread of a finished transport): it will not say redis-up. */
  forget(witness: RedisWitness): void {
    this.redisLost.delete(witness);
  }

  get targetIsDown(): boolean {
    return this.targetDownAt !== null;
  }

  /** The target is down; returns false when that was already said. */
  targetDown(detail: string, at = monotonicMs()): boolean {
    if (this.targetDownAt !== null) return false;
    this.targetDownAt = at;
    this.record('target-down', detail, at);
    return true;
  }

  /** The target accepts connections again. */
  targetUp(detail: string, at = monotonicMs()): void {
    if (this.targetDownAt === null) return;
    const seconds = ((at - this.targetDownAt) / 1000).toFixed(1);
    this.targetDownAt = null;
    this.record('target-up', `${detail} (down ${seconds} s)`, at);
  }

  /** Every incident so far, in time order: the report's `run.incidents`. */
  list(): Incident[] {
    return sortIncidents(this.incidents);
  }
}
