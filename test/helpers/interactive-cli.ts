/**
 * Drives the real CLI as a child process through pipes, step by step: write lines, wait for
 * output, end stdin, send signals. A hard time limit kills it if it hangs.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BIN, type CliResult } from './cli.js';

export interface InteractiveCli {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with stdout once `pattern` matches it (rejects on timeout or exit). */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<string>;
  write(text: string): void;
  end(text?: string): void;
  exited: Promise<CliResult>;
}

export function startCli(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): InteractiveCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: fileURLToPath(new URL('../../..', import.meta.url)),
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exitedAlready = false;
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.on('error', () => {});
  const limit = options.timeoutMs ?? 30_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), limit);
  const exited = new Promise<CliResult>((resolve) => {
    child.on('exit', (code, signal) => {
      exitedAlready = true;
      clearTimeout(timer);
      setImmediate(() => resolve({ code, signal, stdout: out, stderr: err }));
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForStdout(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => finish(new Error(`timed out waiting for ${pattern}\nstdout: ${out}\nstderr: ${err}`)), timeoutMs);
        const check = () => {
          if (pattern.test(out)) finish(null);
          else if (exitedAlready) finish(new Error(`exited before ${pattern} appeared\nstdout: ${out}\nstderr: ${err}`));
        };
        const finish = (e: Error | null) => {
          clearTimeout(deadline);
          child.stdout.off('data', check);
          child.off('exit', check);
          if (e) reject(e);
          else resolve(out);
        };
        child.stdout.on('data', check);
        child.on('exit', () => setImmediate(check));
        check();
      });
    },
    write: (text) => void child.stdin.write(text),
    end: (text) => void child.stdin.end(text),
    exited,
  };
}
