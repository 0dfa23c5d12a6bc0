/**
 * Runs the interactive console with Ink (only when stdin and stdout are terminals): keeps the
 * log, the status and the input line, and re-renders on events and keys. The session stays
 * outside: lines go out through `onLine`, Ctrl-D through `onEof`, Ctrl-C through `onInterrupt`.
 */
import { render, type Instance, type Key } from 'ink';
import type { ConsoleEvent, ConsoleStatus } from '../../console/events.js';
import { formatEvent, type FormatOptions } from '../../console/format.js';
import { editLine, emptyEditor, type EditorKey, type EditorState } from '../../console/line-editor.js';
import { ConsoleApp, type LogEntry } from './ConsoleApp.js';

export interface InkConsoleOptions {
  format: FormatOptions;
  color: boolean;
  history: readonly string[];
  status: () => ConsoleStatus;
  onLine: (line: string) => void;
  onEof: () => void;
  onInterrupt: () => void;
  /** How often the status line refreshes by itself (bufferedAmount changes without events). */
  refreshMs?: number;
}

export interface InkConsole {
  push(event: ConsoleEvent): void;
  stop(): Promise<void>;
}

export function startInkConsole(o: InkConsoleOptions): InkConsole {
  let log: LogEntry[] = [];
  let nextId = 0;
  let editor: EditorState = emptyEditor(o.history);
  let instance: Instance | null = null;

  const view = () => (
    <ConsoleApp
      log={log}
      status={o.status()}
      input={{ text: editor.text, cursor: editor.cursor }}
      hint={editor.hint}
      color={o.color}
      onKey={onKey}
    />
  );
  const refresh = () => instance?.rerender(view());

  function onKey(input: string, key: Key) {
    // A paste (or fast typing) can arrive as one chunk with newlines and tabs in it: replay it
    // key by key so each line is submitted.
    if (input.length > 1 && /[\r\n\t]/.test(input) && !key.ctrl && !key.meta) {
      for (const part of input.split(/([\r\n\t])/)) {
        if (part === '\r' || part === '\n') apply({ input: '', return: true });
        else if (part === '\t') apply({ input: '', tab: true });
        else if (part.length > 0) apply({ input: part });
      }
      return;
    }
    apply({ ...key, input });
  }

  function apply(key: EditorKey) {
    const { state, action } = editLine(editor, key);
    editor = state;
    refresh();
    if (action.type === 'submit') o.onLine(action.line);
    else if (action.type === 'eof') o.onEof();
    else if (action.type === 'interrupt') o.onInterrupt();
  }

  instance = render(view(), { exitOnCtrlC: false, patchConsole: true });
  const timer = setInterval(refresh, o.refreshMs ?? 250);

  return {
    push(event) {
      const lines = formatEvent(event, o.format);
      if (lines.length > 0) {
        // <Static> prints items once, tracking how many it has printed: the array only grows.
        log = [...log, ...lines.map((line) => ({ id: nextId++, line }))];
      }
      refresh();
    },
    async stop() {
      clearInterval(timer);
      refresh();
      instance?.unmount();
      await instance?.waitUntilExit().catch(() => {});
      instance = null;
    },
  };
}
