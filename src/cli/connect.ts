/**
 * `wsbench connect`: the interactive WebSocket + Redis console (wscat's flags and output, plus
 * Redis publish/subscribe and a live status line). Ink when stdin and stdout are terminals;
 * plain lines (or NDJSON) otherwise. Exit codes: ConnectExitCode.
 */
import { createInterface } from 'node:readline';
import type { ArgumentsCamelCase } from 'yargs';
import { ConnectExitCode } from '../exit-codes.js';
import { messageOf } from '../errors.js';
import { rememberSecrets, secretsInUrl } from '../secrets.js';
import { reportError } from './errors.js';
import { buildClientOptions } from '../console/client-options.js';
import { ClientSession } from '../console/client-session.js';
import type { ConsoleCore } from '../console/core.js';
import type { ConsoleEvent, ConsoleEventListener } from '../console/events.js';
import { defaultHistoryFile, HistoryFile } from '../console/history.js';
import { ListenSession } from '../console/listen-session.js';
import { toConsoleOptions, type ConnectArgs, type ConsoleOptions } from '../console/options.js';
import { plainOutput } from '../console/plain-output.js';

/** `connect`'s handler (its flags are in ./flags/connect.ts, its name and description in main.ts). */
export const connectCommand = {
  handler: async (argv: ArgumentsCamelCase<ConnectArgs & { n?: boolean }>) => {
    const state = { started: false };
    const code = await connect(argv, state);
    // A bad flag ends before anything was opened: nothing can keep the process alive.
    if (state.started) await exitSoon(code);
    else process.exitCode = code;
  },
};

export async function connect(argv: ConnectArgs & { n?: boolean }, state = { started: false }): Promise<number> {
  const verbose = Boolean(argv.verbose);
  let options: ConsoleOptions;
  let session: ClientSession | ListenSession;
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
  try {
    rememberSecrets(connectSecrets(argv));
    options = toConsoleOptions({ ...argv, ...(argv.n ? { check: false } : {}) }, process.env);
    if (options.mode === 'connect') {
      const clientOptions = await buildClientOptions(options.ws, interactive ? askHidden : undefined);
      session = new ClientSession(options, clientOptions, (e) => listener(e));
    } else {
      session = new ListenSession(options, (e) => listener(e));
    }
  } catch (e) {
    return reportConnectError(e, verbose);
  }

  let listener: ConsoleEventListener;
  let stopUi: () => Promise<void>;
  state.started = true;
  if (interactive && !options.ndjson) {
    ({ listener, stop: stopUi } = await interactiveUi(session, options));
  } else {
    ({ listener, stop: stopUi } = plainUi(session, options));
  }

  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) session.interrupt();
    else process.exit(ConnectExitCode.INTERRUPTED);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await session.start();
    return await session.done;
  } catch (e) {
    return reportConnectError(e, verbose);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopUi();
  }
}

function plainUi(session: ConsoleCore, options: ConsoleOptions): { listener: ConsoleEventListener; stop: () => Promise<void> } {
  const listener = plainOutput({
    format: options.format,
    ndjson: options.ndjson,
    color: options.color,
    stdout: process.stdout,
    stderr: process.stderr,
  });
  const rl = createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity });
  rl.on('line', (line) => session.input(line));
  rl.on('close', () => session.endInput());
  return {
    listener,
    stop: async () => {
      rl.removeAllListeners('close');
      rl.close();
      process.stdin.destroy();
    },
  };
}

async function interactiveUi(
  session: ConsoleCore,
  options: ConsoleOptions,
): Promise<{ listener: ConsoleEventListener; stop: () => Promise<void> }> {
  const { startInkConsole } = await import('../ui/console/ink-console.js');
  let history: HistoryFile | null = null;
  if (options.history) {
    try {
      history = HistoryFile.load(options.historyFile ?? defaultHistoryFile());
    } catch (e) {
      process.stderr.write(`wsbench: warning: history not kept: ${messageOf(e)}\n`);
    }
  }
  const ink = startInkConsole({
    format: options.format,
    color: options.color,
    history: history?.list() ?? [],
    status: () => session.status(),
    onLine: (line) => {
      try {
        history?.add(line);
      } catch {
        history = null;
      }
      session.input(line);
    },
    onEof: () => session.quit(),
    onInterrupt: () => process.kill(process.pid, 'SIGINT'),
  });
  return {
    listener: (event: ConsoleEvent) => ink.push(event),
    stop: async () => {
      await ink.stop();
      process.stdin.destroy();
    },
  };
}

function reportConnectError(e: unknown, verbose: boolean): number {
  // Same one line (redacted, inert) as every other command; the exit code stays wscat's.
  reportError(e, verbose);
  return ConnectExitCode.ERROR;
}

/** What must never be printed back: header values, --auth, --passphrase, userinfo and query values of the URLs. */
function connectSecrets(argv: ConnectArgs): string[] {
  const out: string[] = [];
  for (const header of argv.header ?? []) {
    const colon = header.indexOf(':');
    if (colon > 0) out.push(header.slice(colon + 1).trim());
  }
  if (argv.auth) out.push(argv.auth, ...argv.auth.split(':'));
  if (argv.passphrase) out.push(argv.passphrase);
  for (const url of [argv.url, argv.connect, argv.redis, argv.proxy])
    if (url) out.push(...secretsInUrl(url.includes('://') ? url : `ws://${url}`));
  return out;
}

/** Asks for the key passphrase on the terminal without echoing it. */
function askHidden(): Promise<string> {
  return new Promise((resolve) => {
    process.stderr.write('Passphrase: ');
    const stdin = process.stdin;
    stdin.setRawMode?.(true);
    let value = '';
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          stdin.off('data', onData);
          stdin.setRawMode?.(false);
          stdin.pause();
          process.stderr.write('\n');
          resolve(value);
          return;
        }
        if (ch === '\u0003') process.exit(ConnectExitCode.INTERRUPTED);
        if (ch === '\u007f') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/**
 * Everything the session owned is closed by now; set the exit code and end the process even if
 * the terminal or a pipe would keep the event loop alive.
 */
async function exitSoon(code: number): Promise<void> {
  process.exitCode = code;
  await new Promise((resolve) => setImmediate(resolve));
  process.exit(code);
}
