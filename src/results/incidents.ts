/**
 * Incidents: what happened to a run and when (`run.incidents`), on the same time axis as phases
 * and timelines (ms since the run started). The vocabulary is here; the engine's recorder
 * (engine/incidents.ts) decides when each is said. A run with any incident is degraded: its
 * figures describe a run that Redis, the target or the tool's own connections failed partway
 * through, and the exit code says so (exit-codes.ts, DEGRADED). Pure.
 */
import type { Incident, IncidentKind, RunReport } from './types.js';

/** Every kind the engine records, and what it means (the README's incidents table). */
export const INCIDENT_KINDS = {
  'redis-down': 'a Redis connection of wsbench (the publisher’s or the coordinator’s) was lost; publishes fail until redis-up',
  'redis-up': 'every Redis connection that was lost is back (reconnected with backoff)',
  'target-down': 'every connection of the transport dropped (or its requests fail) and the target accepts no new connection',
  'target-up': 'the target accepts connections again',
  'subscriber-dropped':
    'Redis closed the reference server’s subscriber while Redis itself stayed up (client-output-buffer-limit, CLIENT KILL, a timeout); the reason when Redis tells it',
  'subscriber-restored': 'the reference server is subscribed again to every channel it had (after a drop or a Redis restart)',
  'publish-failed': 'publishes started failing (the first of a streak, with its error); they count as throughput.publishFailures',
  'publish-resumed': 'a publish succeeded again after a streak of failures (how many failed, for how long)',
  'agent-lost':
    'a remote agent (wsbench agent) stopped heart-beating during a distributed run; what its clients were owed counts as delivery.unobserved',
  // What the scenario itself does (stages, events): markers on the same axis, not failures.
  stage: 'a stage of the load begins (the rate and connections it ramps to, over how long)',
  storm: 'a reconnect storm of the scenario: a share of the open clients dropped at once (clean close or reset)',
  'server-restart': 'the scenario restarts the reference server: its processes are stopped, every connection drops',
  'server-restarted': 'the restarted reference server accepts connections again',
  reconnected: 'every client an event dropped is subscribed again (how many, how long after the event)',
} as const satisfies Partial<Record<IncidentKind, string>>;

export type RecordedIncidentKind = keyof typeof INCIDENT_KINDS;

/**
 * Kinds the scenario causes on purpose: they mark the timeline (the HTML report draws them as
 * markers) but do not make a run degraded. A restart that does not come back is a `target-down`.
 */
export const PLANNED_INCIDENT_KINDS: ReadonlySet<string> = new Set<RecordedIncidentKind>([
  'stage',
  'storm',
  'server-restart',
  'server-restarted',
  'reconnected',
]);

/** The run was degraded: something failed during it (any unplanned incident, or a publish that never reached Redis). */
export function isDegraded(report: Pick<RunReport, 'run' | 'transports'>): boolean {
  if ((report.run.incidents ?? []).some((i) => !PLANNED_INCIDENT_KINDS.has(i.kind))) return true;
  return Object.values(report.transports).some((t) => (t?.throughput.publishFailures ?? 0) > 0);
}

/** Incidents in time order (stable for equal times). */
export function sortIncidents(incidents: readonly Incident[]): Incident[] {
  return incidents
    .map((incident, i) => ({ incident, i }))
    .sort((a, b) => a.incident.atMs - b.incident.atMs || a.i - b.i)
    .map((x) => x.incident);
}

/** One line: `12.345 s redis-down: the publisher's Redis connection was lost (…)`. */
export function incidentLine(incident: Incident): string {
  return `${(incident.atMs / 1000).toFixed(3)} s ${incident.kind}: ${incident.detail}`;
}
