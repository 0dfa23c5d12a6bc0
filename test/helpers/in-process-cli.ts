/**
 * Runs the CLI's top level (`main`) in this process with captured output: what bin/wsbench.js
 * does, minus starting Node and loading the modules (~0.3 s of CPU per case). Only for command
 * lines that end before anything is started (bad input): a command that runs would share this
 * process's signals and stdin.
 */
import { performance } from 'node:perf_hooks';
import { main } from '../../src/cli/main.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export async function runInProcess(args: string[], timeoutMs = 10_000): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`wsbench ${args.join(' ')} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  // A case that wrongly got as far as ending the process must fail, not end the test runner.
  const exit = process.exit;
  process.exit = ((code?: number) => {
    throw new Error(`process.exit(${code}) was called: the command got past its input checks`);
  }) as typeof process.exit;
  try {
    const code = await Promise.race([
      main(args, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) }),
      timeout,
    ]);
    return { code, stdout, stderr, ms: performance.now() - started };
  } finally {
    process.exit = exit;
    clearTimeout(timer);
  }
}
