/**
 * Mounts the Dashboard with Ink on a terminal and feeds it: actions are folded into the view
 * state at once (cheap), but the screen is redrawn at most every `frameMs` (100 ms: ≤ 10 fps)
 * and only when something changed, whatever the event rate. Between engine events the run's
 * clock is carried forward from the wall clock (a tick every 250 ms), so the elapsed time and the
 * phase's bar move smoothly. Closing erases the live view and unmounts, so the summary printed
 * afterwards starts where the dashboard was, with the cursor restored and nothing of it left.
 */
import { render } from 'ink';
import { Dashboard } from './Dashboard.js';
import { initialState, reduce, type DashboardAction, type DashboardState } from './state.js';

/** How far the run's clock moves before the view is redrawn for the time alone. */
const TICK_MS = 250;

export interface LiveDashboardOptions {
  title: string | null;
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WriteStream;
  color: boolean;
  unicode: boolean;
  /** `q` pressed (once). */
  onStop: () => void;
  /** Ctrl-C pressed while stdin is in raw mode. */
  onInterrupt: () => void;
  /** Minimum time between redraws (default 100 ms). */
  frameMs?: number;
}

export interface LiveDashboard {
  dispatch(action: DashboardAction): void;
  readonly state: DashboardState;
  /** Final frame, unmount, terminal restored; resolves when Ink has written everything. */
  close(completed: boolean): Promise<void>;
}

export function startDashboard(options: LiveDashboardOptions): LiveDashboard {
  const { stdout, stdin } = options;
  let state = initialState(options.title);
  let dirty = false;
  let closed = false;
  const interactive = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  const view = () => (
    <Dashboard
      state={state}
      width={stdout.columns || 80}
      color={options.color}
      unicode={options.unicode}
      interactive={interactive}
      onStop={options.onStop}
      onInterrupt={options.onInterrupt}
    />
  );
  const ink = render(view(), {
    stdout,
    stdin,
    stderr: options.stderr,
    exitOnCtrlC: false,
    patchConsole: true,
    maxFps: 10,
  });
  // The run's clock at the last engine event and when that was, to carry it forward between events.
  let clock: { runMs: number; atMs: number } | null = null;
  const timer = setInterval(() => {
    if (closed) return;
    if (clock && !state.finished) {
      const now = clock.runMs + (performance.now() - clock.atMs);
      if (now - state.elapsedMs >= TICK_MS) {
        state = reduce(state, { type: 'tick', elapsedMs: now });
        dirty = true;
      }
    }
    if (!dirty) return;
    dirty = false;
    ink.rerender(view());
  }, options.frameMs ?? 100);
  timer.unref();
  const onResize = () => (dirty = true);
  stdout.on('resize', onResize);

  return {
    dispatch(action) {
      if (closed) return;
      state = reduce(state, action);
      const runMs =
        action.type === 'snapshot'
          ? action.snapshot.elapsedMs
          : action.type === 'phase' || action.type === 'warning'
            ? action.elapsedMs
            : null;
      if (runMs !== null) clock = { runMs, atMs: performance.now() };
      dirty = true;
    },
    get state() {
      return state;
    },
    async close(completed) {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      stdout.off('resize', onResize);
      state = reduce(state, { type: 'finished', completed });
      // An empty frame erases the live view; the summary takes its place.
      ink.rerender(null);
      ink.unmount();
      await ink.waitUntilExit();
    },
  };
}
