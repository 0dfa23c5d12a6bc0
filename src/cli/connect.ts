/**
 * `wsbench connect`: the interactive WebSocket + Redis console (wscat's flags and output, plus
 * Redis publish/subscribe and a live status line). Ink when stdin and stdout are terminals;
 * plain lines (or NDJSON) otherwise. Exit codes: ConnectExitCode.
 */
import { createInterface } from 'node:readline';
import type { Argv, ArgumentsCamelCase } from 'yargs';
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

const collect = { type: 'string', array: true, requiresArg: true } as const;
const G_WSCAT = 'wscat options:';
const G_MORE = 'Console:';
const G_REDIS = 'Redis:';

/** `connect`'s flags and handler (its name and description are in main.ts). */
export const connectCommand = {
  builder: (y: Argv) =>
    y
      .positional('url', { type: 'string', describe: 'WebSocket URL (ws:// is added when no scheme is given)' })
      .option('connect', {
        alias: 'c',
        type: 'string',
        requiresArg: true,
        describe: 'Connect to this URL (same as the positional URL)',
        group: G_WSCAT,
      })
      .option('listen', {
        alias: 'l',
        type: 'number',
        requiresArg: true,
        describe: 'Listen on this port as a WebSocket server instead',
        group: G_WSCAT,
      })
      .option('header', { alias: 'H', ...collect, describe: 'HTTP header "Name: value" for the handshake (repeatable)', group: G_WSCAT })
      .option('auth', { type: 'string', requiresArg: true, describe: 'Basic authentication user:password', group: G_WSCAT })
      .option('origin', { alias: 'o', type: 'string', requiresArg: true, describe: 'Origin header', group: G_WSCAT })
      .option('host', { type: 'string', requiresArg: true, describe: 'Host header', group: G_WSCAT })
      .option('protocol', {
        alias: 'p',
        type: 'number',
        requiresArg: true,
        describe: 'WebSocket protocol version (8 or 13)',
        group: G_WSCAT,
      })
      .option('subprotocol', { alias: 's', ...collect, describe: 'Subprotocol to offer (repeatable)', group: G_WSCAT })
      .option('check', { type: 'boolean', default: true, describe: 'Check TLS certificates (-n / --no-check skips it)', group: G_WSCAT })
      .option('n', { type: 'boolean', describe: 'Same as --no-check', group: G_WSCAT })
      .option('ca', { type: 'string', requiresArg: true, describe: 'Certificate authority file (PEM)', group: G_WSCAT })
      .option('cert', { type: 'string', requiresArg: true, describe: 'Client certificate file (PEM)', group: G_WSCAT })
      .option('key', { type: 'string', requiresArg: true, describe: 'Client certificate key file (PEM)', group: G_WSCAT })
      .option('passphrase', { type: 'string', describe: 'Passphrase of --key (asked for when given without a value)', group: G_WSCAT })
      .option('proxy', { type: 'string', requiresArg: true, describe: 'Proxy: [http://|https://|socks5://]host:port', group: G_WSCAT })
      .option('location', { alias: 'L', type: 'boolean', describe: 'Follow redirects', group: G_WSCAT })
      .option('max-redirects', {
        type: 'number',
        requiresArg: true,
        default: 10,
        describe: 'At most this many redirects with -L',
        group: G_WSCAT,
      })
      .option('slash', {
        type: 'boolean',
        describe: 'Enable slash commands (/ping, /pong, /close [code [reason]], /help …); on with --redis',
        group: G_WSCAT,
      })
      .option('show-ping-pong', { alias: 'P', type: 'boolean', describe: 'Print ping and pong frames', group: G_WSCAT })
      .option('execute', {
        alias: 'x',
        ...collect,
        describe: 'Send this after connecting (repeatable; re-sent on reconnect)',
        group: G_WSCAT,
      })
      .option('wait', {
        alias: 'w',
        type: 'number',
        requiresArg: true,
        describe:
          'Seconds to wait after -x (default 2) or after piped input ends (default: until nothing arrived for 0.5 s, at most 5 s) before closing; -1 stays open',
        group: G_WSCAT,
      })
      .option('keep-open', { type: 'boolean', describe: 'Stay connected when piped input ends', group: G_MORE })
      .option('binary-format', {
        type: 'string',
        choices: ['hex', 'base64'],
        default: 'hex',
        describe: 'How binary frames are shown',
        group: G_MORE,
      })
      .option('pretty', { type: 'boolean', describe: 'Pretty-print JSON messages (numbers kept exactly)', group: G_MORE })
      .option('timestamps', { type: 'boolean', describe: 'Prefix lines with the time (ISO 8601, UTC)', group: G_MORE })
      .option('ping-interval', {
        type: 'number',
        requiresArg: true,
        describe: 'Send a ping every N seconds; the round trip shows in the status',
        group: G_MORE,
      })
      .option('reconnect', {
        type: 'string',
        describe: 'Reconnect when the connection drops: --reconnect (keep trying) or --reconnect=N attempts',
        group: G_MORE,
      })
      .option('history', {
        type: 'boolean',
        default: true,
        describe: 'Keep input history in a file (--no-history turns it off)',
        group: G_MORE,
      })
      .option('history-file', {
        type: 'string',
        requiresArg: true,
        describe: 'History file (default ~/.wsbench_history, mode 0600)',
        group: G_MORE,
      })
      .option('ndjson', { type: 'boolean', describe: 'One JSON object per event on stdout, for scripts', group: G_MORE })
      .option('bind', { type: 'string', requiresArg: true, describe: 'Address to listen on with -l (default: all)', group: G_MORE })
      .option('redis', {
        type: 'string',
        requiresArg: true,
        describe: 'Redis URL for /publish, /subscribe, /psubscribe (enables slash commands)',
        group: G_REDIS,
      })
      .example('$0 connect ws://127.0.0.1:8080/ws/news --redis redis://127.0.0.1:6379', 'Then type /publish news hello')
      .example('echo hello | $0 connect ws://127.0.0.1:9000', 'Send one line, print the answers, close cleanly')
      .example('$0 connect ws://127.0.0.1:9000 -x \'{"op":"sub"}\' -w 5', 'Send, wait 5 s for answers, close')
      .example('$0 connect -l 9000', 'Be the server; type to answer the client')
      .epilogue('Exit codes: 0 clean close or quit · 1 error or failed handshake · 2 dropped without a close frame (1006) · 130 Ctrl-C'),
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
