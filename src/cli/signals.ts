/**
 * Ctrl-C and SIGTERM during a command: the first asks the command to stop gracefully (it still
 * reports); the second ends everything at once, children included.
 */
import { killAllChildren } from '../process/children.js';
import { ExitCode } from '../exit-codes.js';

export function onInterrupt(stopGracefully: () => void, notice: (text: string) => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      notice(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping and reporting what was measured (again to quit at once)\n`);
      stopGracefully();
    } else {
      killAllChildren();
      process.exit(ExitCode.INTERRUPTED);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
