/**
 * `wsbench connect`'s flags: loaded for `wsbench connect --help` without the command's implementation
 * (../connect.ts and the console it drives), which is loaded only to run it (main.ts).
 */
import type { Argv } from 'yargs';

const collect = { type: 'string', array: true, requiresArg: true } as const;
const G_WSCAT = 'wscat options:';
const G_MORE = 'Console:';
const G_REDIS = 'Redis:';

export function connectFlags(y: Argv) {
  return y
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
    .epilogue('Exit codes: 0 clean close or quit · 1 error or failed handshake · 2 dropped without a close frame (1006) · 130 Ctrl-C');
}
