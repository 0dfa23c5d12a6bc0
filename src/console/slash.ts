/**
 * What a typed (or piped, or -x) line means: a message to send, or a slash command. Pure.
 *
 * Slash commands are active with --slash or --redis; otherwise every line is sent verbatim, as
 * wscat does. With commands active, a line starting with "//" sends the rest with one "/" less.
 */

export type ConsoleInput =
  | { kind: 'send'; text: string }
  | { kind: 'ping'; data: string }
  | { kind: 'pong'; data: string }
  | { kind: 'close'; code?: number; reason?: string }
  | { kind: 'binary'; data: Buffer }
  | { kind: 'file'; path: string }
  | { kind: 'publish'; channel: string; message: string }
  | { kind: 'subscribe'; channels: string[] }
  | { kind: 'psubscribe'; patterns: string[] }
  | { kind: 'unsubscribe'; names: string[] }
  | { kind: 'status' }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'invalid'; message: string };

export interface SlashCommandInfo {
  name: string;
  args: string;
  describe: string;
}

export const SLASH_COMMANDS: readonly SlashCommandInfo[] = [
  { name: 'ping', args: '[data]', describe: 'send a ping frame (its round-trip time is shown)' },
  { name: 'pong', args: '[data]', describe: 'send an unsolicited pong frame' },
  { name: 'close', args: '[code [reason]]', describe: 'start the close handshake (default 1000)' },
  { name: 'binary', args: '<hex>', describe: 'send a binary frame, e.g. /binary 00ff10 or /binary 00 ff 10' },
  { name: 'file', args: '<path>', describe: "send a file's bytes as one binary frame" },
  { name: 'publish', args: '<channel> <message>', describe: 'PUBLISH into Redis; shows how many subscribers received it' },
  { name: 'subscribe', args: '<channel>…', describe: 'SUBSCRIBE on a separate Redis connection' },
  { name: 'psubscribe', args: '<pattern>…', describe: 'PSUBSCRIBE on the same separate connection' },
  { name: 'unsubscribe', args: '[name…]', describe: 'drop channels/patterns (all when none given)' },
  { name: 'status', args: '', describe: 'print the connection status' },
  { name: 'help', args: '', describe: 'list the commands' },
  { name: 'quit', args: '', describe: 'close cleanly and exit' },
];

const COMMAND_NAMES = SLASH_COMMANDS.map((c) => c.name);

export function parseInput(line: string, slashEnabled: boolean): ConsoleInput {
  if (!slashEnabled || !line.startsWith('/')) return { kind: 'send', text: line };
  if (line.startsWith('//')) return { kind: 'send', text: line.slice(1) };
  const match = /^\/(\S*)\s*([\s\S]*)$/.exec(line)!;
  const name = match[1]!.toLowerCase();
  const rest = match[2]!;
  const words = rest.split(/\s+/).filter((w) => w.length > 0);
  switch (name) {
    case 'ping':
    case 'pong':
      return { kind: name, data: rest };
    case 'close':
      return parseClose(words);
    case 'binary':
      return parseBinary(rest);
    case 'file':
      return rest.trim() ? { kind: 'file', path: rest.trim() } : usage('file');
    case 'publish': {
      const m = /^(\S+)\s([\s\S]*)$/.exec(rest);
      return m ? { kind: 'publish', channel: m[1]!, message: m[2]! } : usage('publish');
    }
    case 'subscribe':
      return words.length ? { kind: 'subscribe', channels: words } : usage('subscribe');
    case 'psubscribe':
      return words.length ? { kind: 'psubscribe', patterns: words } : usage('psubscribe');
    case 'unsubscribe':
      return { kind: 'unsubscribe', names: words };
    case 'status':
    case 'help':
    case 'quit':
      return { kind: name };
    default:
      return { kind: 'invalid', message: `unknown command "/${match[1]}" (/help lists them; "//text" sends "/text")` };
  }
}

function usage(name: string): ConsoleInput {
  const info = SLASH_COMMANDS.find((c) => c.name === name)!;
  return { kind: 'invalid', message: `usage: /${name} ${info.args}` };
}

function parseClose(words: string[]): ConsoleInput {
  if (words.length === 0) return { kind: 'close' };
  const code = Number(words[0]);
  // 1000-1003, 1007-1014 and 3000-4999 may be sent; 1004-1006 and 1015 are reserved.
  const sendable =
    Number.isInteger(code) && ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999));
  if (!sendable)
    return { kind: 'invalid', message: `"${words[0]}" is not a close code that can be sent (1000-1003, 1007-1014, 3000-4999)` };
  const reason = words.slice(1).join(' ');
  if (Buffer.byteLength(reason) > 123) return { kind: 'invalid', message: 'a close reason is at most 123 bytes' };
  return reason ? { kind: 'close', code, reason } : { kind: 'close', code };
}

function parseBinary(rest: string): ConsoleInput {
  const hex = rest.replace(/\s+/g, '').replace(/^0x/i, '');
  if (!hex) return usage('binary');
  if (!/^[0-9a-f]*$/i.test(hex) || hex.length % 2 !== 0)
    return { kind: 'invalid', message: `"${rest.trim()}" is not hex bytes (e.g. 48656c6c6f or 48 65 6c)` };
  return { kind: 'binary', data: Buffer.from(hex, 'hex') };
}

/**
 * Tab completion of the command name: the completed line (unchanged when nothing or several
 * commands fit beyond the common prefix) and every command that fits.
 */
export function completeSlash(line: string): { line: string; candidates: string[] } {
  const m = /^\/(\S*)$/.exec(line);
  if (!m) return { line, candidates: [] };
  const prefix = m[1]!.toLowerCase();
  const candidates = COMMAND_NAMES.filter((n) => n.startsWith(prefix));
  if (candidates.length === 0) return { line, candidates };
  if (candidates.length === 1) return { line: `/${candidates[0]} `, candidates };
  let common = candidates[0]!;
  for (const c of candidates) while (!c.startsWith(common)) common = common.slice(0, -1);
  return { line: `/${common.length > prefix.length ? common : m[1]}`, candidates };
}

export function helpText(): string[] {
  const width = Math.max(...SLASH_COMMANDS.map((c) => c.name.length + c.args.length + 2));
  return SLASH_COMMANDS.map((c) => `/${`${c.name} ${c.args}`.trim().padEnd(width)}  ${c.describe}`);
}
