/**
 * The interactive console's input line: editing keys, history recall and slash-command
 * completion as a pure state transition, so the Ink component only renders it.
 */
import { completeSlash } from './slash.js';

export interface EditorState {
  text: string;
  cursor: number;
  /** Older first. */
  history: readonly string[];
  /** Index into history while browsing it; null when editing a fresh line. */
  historyIndex: number | null;
  /** The fresh line kept while browsing history. */
  draft: string;
  /** Shown under the prompt, e.g. completion candidates. */
  hint: string | null;
}

/** The subset of Ink's key flags the editor reads. */
export interface EditorKey {
  input: string;
  return?: boolean;
  backspace?: boolean;
  delete?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  tab?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  home?: boolean;
  end?: boolean;
}

export type EditorAction = { type: 'none' } | { type: 'submit'; line: string } | { type: 'eof' } | { type: 'interrupt' };

export function emptyEditor(history: readonly string[] = []): EditorState {
  return { text: '', cursor: 0, history, historyIndex: null, draft: '', hint: null };
}

export function editLine(state: EditorState, key: EditorKey): { state: EditorState; action: EditorAction } {
  const none = (next: EditorState) => ({ state: next, action: { type: 'none' } as EditorAction });
  const s = { ...state, hint: null };
  if (key.ctrl && key.input === 'c') return { state: s, action: { type: 'interrupt' } };
  if (key.ctrl && key.input === 'd') return s.text.length === 0 ? { state: s, action: { type: 'eof' } } : none(s);
  if (key.return) {
    const line = s.text;
    const history = line.length > 0 && s.history[s.history.length - 1] !== line && !line.startsWith(' ') ? [...s.history, line] : s.history;
    return { state: { ...emptyEditor(history) }, action: { type: 'submit', line } };
  }
  if (key.tab) {
    const { line, candidates } = completeSlash(s.text);
    return none({ ...s, text: line, cursor: line.length, hint: candidates.length > 1 ? candidates.map((c) => `/${c}`).join('  ') : null });
  }
  if (key.backspace || key.delete) {
    if (s.cursor === 0) return none(s);
    return none({ ...s, text: s.text.slice(0, s.cursor - 1) + s.text.slice(s.cursor), cursor: s.cursor - 1 });
  }
  if (key.leftArrow) return none({ ...s, cursor: Math.max(0, s.cursor - 1) });
  if (key.rightArrow) return none({ ...s, cursor: Math.min(s.text.length, s.cursor + 1) });
  if (key.home || (key.ctrl && key.input === 'a')) return none({ ...s, cursor: 0 });
  if (key.end || (key.ctrl && key.input === 'e')) return none({ ...s, cursor: s.text.length });
  if (key.ctrl && key.input === 'u') return none({ ...s, text: s.text.slice(s.cursor), cursor: 0 });
  if (key.upArrow) {
    if (s.history.length === 0) return none(s);
    const index = s.historyIndex === null ? s.history.length - 1 : Math.max(0, s.historyIndex - 1);
    const text = s.history[index]!;
    return none({ ...s, historyIndex: index, draft: s.historyIndex === null ? s.text : s.draft, text, cursor: text.length });
  }
  if (key.downArrow) {
    if (s.historyIndex === null) return none(s);
    const index = s.historyIndex + 1;
    if (index >= s.history.length) return none({ ...s, historyIndex: null, text: s.draft, cursor: s.draft.length });
    const text = s.history[index]!;
    return none({ ...s, historyIndex: index, text, cursor: text.length });
  }
  if (key.ctrl || key.meta || key.input.length === 0) return none(s);
  // Printable input (a paste may bring several characters; newlines in it are dropped).
  const insert = key.input.replace(/[\r\n]/g, '');
  return none({ ...s, text: s.text.slice(0, s.cursor) + insert + s.text.slice(s.cursor), cursor: s.cursor + insert.length });
}
