/**
 * Where `wsbench run` sends its progress and its result, behind one small interface, for each
 * output mode (see src/ui/mode.ts):
 *
 *  - tui:   the Ink dashboard on stdout (≤ 10 fps), then the summary on stdout;
 *  - plain: one line per phase change and per `plainIntervalMs` on stderr, then the summary;
 *  - quiet: the summary only;
 *  - json:  every engine event as one NDJSON line on stdout, then `{"type":"report","report":…}`;
 *           nothing else goes to stdout (notices and errors go to stderr).
 */
import type { EngineEvent } from '../engine/events.js';
import type { RunReport } from '../results/types.js';
import { plainProgressLine } from '../reporters/progress-plain.js';
import { styleFor } from '../reporters/style.js';
import { textSummary } from '../reporters/text.js';
import type { OutputChoice } from '../ui/mode.js';

export interface ProgressSink {
  /** Engine events, as they come (cheap: never blocks the engine on the terminal). */
  onEvent(event: EngineEvent): void;
  /** A message for the user while the run goes on (the Ctrl-C notice). */
  notice(text: string): void;
  /** The run is over: stop drawing and leave the terminal clean. Call before writing anything else. */
  close(completed: boolean): Promise<void>;
  /** The final result: the summary, or the NDJSON report line. */
  result(report: RunReport): void;
}

export interface SinkOptions {
  choice: OutputChoice;
  /** Scenario name for the dashboard's title. */
  title?: string | null;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Does what the first Ctrl-C does (graceful stop); the dashboard calls it for `q` and raw-mode Ctrl-C. */
  interrupt: () => void;
  /** Plain mode: at most one snapshot line this often (default 2 s); phase changes print at once. */
  plainIntervalMs?: number;
}

export async function createProgressSink(options: SinkOptions): Promise<ProgressSink> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const { choice } = options;
  const summary = (report: RunReport) =>
    stdout.write(
      textSummary(report, {
        style: styleFor(choice.color),
        unicode: choice.unicode,
        width: (stdout.isTTY && stdout.columns) || 80,
        wrap: stdout.isTTY === true,
      }),
    );

  switch (choice.mode) {
    case 'json':
      return {
        onEvent: (event) => stdout.write(JSON.stringify(event) + '\n'),
        notice: (text) => stderr.write(text),
        close: async () => {},
        result: (report) => stdout.write(JSON.stringify({ type: 'report', report }) + '\n'),
      };
    case 'quiet':
      return { onEvent: () => {}, notice: (text) => stderr.write(text), close: async () => {}, result: summary };
    case 'plain': {
      const progress = plainProgress((line) => stderr.write(line), options.plainIntervalMs ?? 2000);
      return { onEvent: progress, notice: (text) => stderr.write(text), close: async () => {}, result: summary };
    }
    case 'tui': {
      // React's development build costs ~2.5× the CPU per frame (measured: bench/ui-frame-cost.tsx);
      // a user's NODE_ENV is respected. Loaded only here so plain, quiet and JSON runs never load Ink.
      process.env['NODE_ENV'] ??= 'production';
      // Loading Ink and React takes a moment (most of a second on a busy machine): say something
      // at once, on a line the dashboard then takes over.
      stdout.write(`wsbench${options.title ? ` · ${options.title}` : ''} · starting…`);
      const { startDashboard } = await import('../ui/dashboard/live.js');
      stdout.write('\r\u001b[2K');
      let stopRequested = false;
      const dashboard = startDashboard({
        title: options.title ?? null,
        stdout,
        stdin: options.stdin ?? process.stdin,
        stderr,
        color: choice.color,
        unicode: choice.unicode,
        onStop: () => {
          if (stopRequested) return;
          stopRequested = true;
          dashboard.dispatch({ type: 'stopping', message: 'q: stopping and reporting what was measured (Ctrl-C to quit at once)' });
          options.interrupt();
        },
        onInterrupt: () => {
          stopRequested = true;
          options.interrupt();
        },
      });
      return {
        onEvent: (event) => dashboard.dispatch(event),
        notice: (text) => dashboard.dispatch({ type: 'stopping', message: text.trim() }),
        close: (completed) => dashboard.close(completed),
        result: summary,
      };
    }
  }
}

/** Phase changes and warnings at once, snapshot lines at most every `intervalMs` of run time. */
export function plainProgress(write: (text: string) => void, intervalMs: number): (event: EngineEvent) => void {
  let lastSnapshotLine = -Infinity;
  return (event) => {
    if (event.type === 'snapshot') {
      if (event.snapshot.elapsedMs - lastSnapshotLine < intervalMs) return;
      const line = plainProgressLine(event);
      if (!line) return;
      lastSnapshotLine = event.snapshot.elapsedMs;
      write(line + '\n');
      return;
    }
    const line = plainProgressLine(event);
    if (line) write(line + '\n');
  };
}
