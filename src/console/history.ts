/**
 * Persistent input history for the interactive console: one entry per line in a file readable
 * by its owner only (0600), newest last, at most HISTORY_LIMIT entries. Lines starting with a
 * space are not kept (as in shells), nor a repeat of the previous line.
 */
import { appendFileSync, chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const HISTORY_LIMIT = 500;

export function defaultHistoryFile(): string {
  return join(homedir(), '.wsbench_history');
}

export class HistoryFile {
  private constructor(
    readonly path: string,
    private entries: string[],
  ) {}

  /** Loads (and trims) the file; a missing file is an empty history. An existing file's mode is forced to 0600, empty or not. */
  static load(path: string): HistoryFile {
    let entries: string[] = [];
    let exists = true;
    try {
      entries = readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      exists = false;
    }
    const history = new HistoryFile(path, entries.slice(-HISTORY_LIMIT));
    if (entries.length > HISTORY_LIMIT) history.rewrite();
    else if (exists && (statSync(path).mode & 0o777) !== 0o600) chmodSync(path, 0o600);
    return history;
  }

  list(): readonly string[] {
    return this.entries;
  }

  add(line: string): void {
    if (line.length === 0 || line.startsWith(' ') || line.includes('\n')) return;
    if (this.entries[this.entries.length - 1] === line) return;
    this.entries.push(line);
    if (this.entries.length > HISTORY_LIMIT * 2) {
      this.entries = this.entries.slice(-HISTORY_LIMIT);
      this.rewrite();
    } else {
      appendFileSync(this.path, line + '\n', { mode: 0o600 });
    }
  }

  private rewrite(): void {
    writeFileSync(this.path, this.entries.map((l) => l + '\n').join(''), { mode: 0o600 });
    chmodSync(this.path, 0o600);
  }
}
