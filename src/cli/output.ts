/**
 * Where the CLI's own messages go: the process's stderr and stdout, or the writers an in-process
 * caller gave to `main` (the bad-input corpus runs hundreds of command lines in one process). The
 * scope follows the async call chain, so a command reports its errors to whoever called it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processOutput: CliOutput = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

const scope = new AsyncLocalStorage<CliOutput>();

/** The writers of the command running now. */
export function cliOutput(): CliOutput {
  return scope.getStore() ?? processOutput;
}

export function withCliOutput<T>(output: CliOutput, body: () => Promise<T>): Promise<T> {
  return scope.run(output, body);
}
