/**
 * Mounts the Dashboard with Ink on a terminal and feeds it: actions are folded into the view
 * state at once (cheap), but the screen is redrawn at most every `frameMs` (100 ms: ≤ 10 fps)
 * and only when something changed, whatever the event rate. Closing renders a one-line final
 * frame and unmounts, so the summary printed afterwards starts on a clean line with the cursor
 * restored and nothing of the live view left behind.
 */
import { render } from 'ink';
import { Dashboard } from './Dashboard.js';
import { initialState, reduce, type DashboardAction, type DashboardState } from './state.js';

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
  const timer = setInterval(() => {
    if (!dirty || closed) return;
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
      ink.rerender(view());
      ink.unmount();
      await ink.waitUntilExit();
    },
  };
}
