/**
 * The dashboard's view state and the pure reducer that folds engine events into it. No measuring
 * here: every figure comes from the engine's snapshots; this only remembers what the view needs
 * (the latest snapshot, which phases were seen, short histories of deliveries/s and of the
 * timeline's p99 for the sparklines).
 */
import type { AgentLiveState, EngineEvent, Phase, Snapshot } from '../../engine/events.js';
import type { TransportName } from '../../results/types.js';

/** Deliveries/s and p99 samples kept for the sparklines (deliveries/s at 2 snapshots/s: the last 100 s). */
export const RATE_HISTORY = 200;
/** Warnings kept on screen. */
export const WARNINGS_SHOWN = 2;
/** Incidents kept on screen (the latest ones; the report lists all). */
export const INCIDENTS_SHOWN = 3;
/** Agent rows on screen (a distributed run); the others are summed up in one more row. */
export const AGENTS_SHOWN = 4;

export interface DashboardState {
  /** Scenario name, or null. */
  title: string | null;
  /** Current phase; null before the engine said anything. */
  phase: Phase | null;
  phaseDetail: string | null;
  /** Run time (ms) when the current phase started, and of the latest event. */
  phaseStartedMs: number;
  elapsedMs: number;
  transport: TransportName | null;
  transportIndex: number;
  transportCount: number;
  /** Phases seen for the current transport (setup phases count for the whole run). */
  seen: Phase[];
  /** Transports already run, in order. */
  finishedTransports: TransportName[];
  /** Latest snapshot of the current transport (null until its first one). */
  snapshot: Snapshot | null;
  /** Deliveries/s of the current transport, oldest first. */
  rateHistory: number[];
  /**
   * Fan-out p99 (ms) of the current transport's closed timeline intervals with measured deliveries,
   * oldest first: by intended publish time, as in the report, so a stall shows where the delayed
   * messages were due.
   */
  p99History: number[];
  warnings: string[];
  /** The latest incidents, oldest first, as lines (`12.3 s redis-down: …`). */
  incidents: string[];
  /** A distributed run's agents as last said (empty for a local run). */
  agents: AgentLiveState[];
  /** Set once the user asked to stop (q, Ctrl-C): the run is finishing and will report. */
  stopping: string | null;
  /** Set when the run is over and the summary follows. */
  finished: { completed: boolean } | null;
}

export function initialState(title: string | null = null): DashboardState {
  return {
    title,
    phase: null,
    phaseDetail: null,
    phaseStartedMs: 0,
    elapsedMs: 0,
    transport: null,
    transportIndex: 0,
    transportCount: 1,
    seen: [],
    finishedTransports: [],
    snapshot: null,
    rateHistory: [],
    p99History: [],
    warnings: [],
    incidents: [],
    agents: [],
    stopping: null,
    finished: null,
  };
}

export type DashboardAction =
  | EngineEvent
  | { type: 'stopping'; message: string }
  | { type: 'finished'; completed: boolean }
  /** The run's clock moved on (between engine events, from the wall clock): the time and bars advance. */
  | { type: 'tick'; elapsedMs: number };

export function reduce(state: DashboardState, action: DashboardAction): DashboardState {
  switch (action.type) {
    case 'phase': {
      const next: DashboardState = {
        ...state,
        phase: action.phase,
        phaseDetail: action.detail ?? null,
        phaseStartedMs: action.elapsedMs,
        elapsedMs: Math.max(state.elapsedMs, action.elapsedMs),
      };
      if (action.transport !== null && action.transport !== state.transport) {
        // The next transport starts: the previous one is done, its figures go with it.
        return {
          ...next,
          transport: action.transport,
          transportIndex: state.transport === null ? state.transportIndex : state.transportIndex + 1,
          finishedTransports: state.transport === null ? state.finishedTransports : [...state.finishedTransports, state.transport],
          seen: [...state.seen.filter(isSetupPhase), action.phase],
          snapshot: null,
          rateHistory: [],
          p99History: [],
        };
      }
      return { ...next, seen: state.seen.includes(action.phase) ? state.seen : [...state.seen, action.phase] };
    }
    case 'snapshot': {
      const s = action.snapshot;
      const measuring = s.phase === 'warmup' || s.phase === 'publishing' || s.phase === 'draining';
      const history = measuring ? [...state.rateHistory, s.delivery.perSec].slice(-RATE_HISTORY) : state.rateHistory;
      return {
        ...state,
        snapshot: s,
        elapsedMs: Math.max(state.elapsedMs, s.elapsedMs),
        transport: s.transport,
        transportIndex: s.transportIndex,
        transportCount: s.transportCount,
        rateHistory: history,
      };
    }
    case 'interval': {
      if (action.transport !== state.transport || action.fanoutLatencyMs.count === 0) return state;
      return { ...state, p99History: [...state.p99History, action.fanoutLatencyMs.p99].slice(-RATE_HISTORY) };
    }
    case 'warning':
      return {
        ...state,
        warnings: [...state.warnings, action.message].slice(-WARNINGS_SHOWN),
        elapsedMs: Math.max(state.elapsedMs, action.elapsedMs),
      };
    case 'incident':
      return {
        ...state,
        incidents: [
          ...state.incidents,
          `${(action.incident.atMs / 1000).toFixed(1)} s ${action.incident.kind}: ${action.incident.detail}`,
        ].slice(-INCIDENTS_SHOWN),
        elapsedMs: Math.max(state.elapsedMs, action.incident.atMs),
      };
    case 'agents':
      return { ...state, agents: action.agents, elapsedMs: Math.max(state.elapsedMs, action.elapsedMs) };
    case 'stopping':
      return state.stopping ? state : { ...state, stopping: action.message };
    case 'finished':
      return { ...state, finished: { completed: action.completed } };
    case 'tick':
      return action.elapsedMs > state.elapsedMs ? { ...state, elapsedMs: action.elapsedMs } : state;
  }
}

/**
 * The agent rows shown: the first AGENTS_SHOWN agents (lost ones first: they matter most), and a
 * line for the rest (how many, how many lost), or null when all fit.
 */
export function agentRows(agents: readonly AgentLiveState[]): { shown: AgentLiveState[]; more: { count: number; lost: number } | null } {
  const ordered = [...agents.filter((a) => a.status === 'lost'), ...agents.filter((a) => a.status !== 'lost')];
  if (ordered.length <= AGENTS_SHOWN) return { shown: ordered, more: null };
  const shown = ordered.slice(0, AGENTS_SHOWN - 1);
  const rest = ordered.slice(AGENTS_SHOWN - 1);
  return { shown, more: { count: rest.length, lost: rest.filter((a) => a.status === 'lost').length } };
}

/** An agent's clock in a few characters: `exact`, or its offset to the coordinator ± bound. */
export function agentClockText(clock: AgentLiveState['clock']): string {
  if (!clock) return 'clock ?';
  if (clock.mode === 'exact') return 'clock exact';
  const sign = clock.offsetMs >= 0 ? '+' : '−';
  return `clock ${sign}${Math.abs(clock.offsetMs).toFixed(3)} ±${clock.errorBoundMs.toFixed(3)} ms`;
}

export function isSetupPhase(phase: Phase): boolean {
  return phase === 'starting-redis' || phase === 'starting-server';
}

/** The steps shown in the phase strip, in order, with the phases each stands for. */
export const STEPS: { label: string; phases: Phase[] }[] = [
  { label: 'redis', phases: ['starting-redis'] },
  { label: 'server', phases: ['starting-server'] },
  { label: 'connect', phases: ['connecting'] },
  { label: 'ready', phases: ['waiting-ready'] },
  { label: 'warm-up', phases: ['warmup'] },
  { label: 'publish', phases: ['publishing'] },
  { label: 'drain', phases: ['draining'] },
  { label: 'close', phases: ['closing', 'done'] },
];

export type StepStatus = 'done' | 'current' | 'skipped' | 'pending';

/**
 * Progress through the current phase (0..1) and the time left in it, now: read from the latest
 * snapshot of this phase and carried forward by the run's clock between snapshots. Unknown (null)
 * until the phase's first snapshot — never a stale phase's figure, never "0 %" while it runs.
 */
export function phaseProgress(
  state: Pick<DashboardState, 'phase' | 'snapshot' | 'elapsedMs'>,
): { ratio: number; remainingMs: number | null } | null {
  const s = state.snapshot;
  if (!s || s.phase !== state.phase) return null;
  if (s.phaseRemainingMs === null) return { ratio: s.phaseProgress, remainingMs: null };
  const since = Math.max(0, state.elapsedMs - s.elapsedMs);
  const remainingMs = Math.max(0, s.phaseRemainingMs - since);
  const ratio =
    s.phaseRemainingMs > 0 ? s.phaseProgress + ((1 - s.phaseProgress) * Math.min(since, s.phaseRemainingMs)) / s.phaseRemainingMs : 1;
  return { ratio: Math.min(1, ratio), remainingMs };
}

/** Status of each step: done (seen, now past), current, skipped (never seen, now past), pending. */
export function stepStatuses(state: Pick<DashboardState, 'phase' | 'seen' | 'finished'>): StepStatus[] {
  const currentIndex = state.phase === null ? -1 : STEPS.findIndex((s) => s.phases.includes(state.phase!));
  return STEPS.map((step, i) => {
    const wasSeen = step.phases.some((p) => state.seen.includes(p));
    if (state.finished) return wasSeen ? 'done' : 'skipped';
    if (i === currentIndex) return 'current';
    if (i < currentIndex) return wasSeen ? 'done' : 'skipped';
    return 'pending';
  });
}
