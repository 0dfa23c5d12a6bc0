/**
 * How console events look: plain lines (with a tone the renderer may colour) and NDJSON
 * objects. Pure: no I/O, no clock (events carry their time).
 */
import { isUtf8 } from 'node:buffer';
import { fmtBytes, fmtInt, fmtMs } from '../reporters/format.js';
import { READY_STATE_NAMES, type ConsoleEvent, type ConsoleStatus } from './events.js';
import { prettyJson } from './json-pretty.js';
import { inert, inertJson } from '../peer-text.js';
import { redactDeep, redactText } from '../secrets.js';

export type BinaryFormat = 'hex' | 'base64';
export type Tone = 'in' | 'out' | 'control' | 'error' | 'redis' | 'info';

export interface FormatOptions {
  binaryFormat: BinaryFormat;
  pretty: boolean;
  timestamps: boolean;
  showPingPong: boolean;
}

export interface OutputLine {
  text: string;
  tone: Tone;
}

/** Binary frames longer than this are cut in plain output (NDJSON always carries all bytes). */
export const BINARY_DISPLAY_LIMIT = 1024;

export function formatEvent(event: ConsoleEvent, options: FormatOptions): OutputLine[] {
  // Peer text (messages, close reasons, error bodies) cannot drive the terminal; secrets never show.
  const lines = linesOf(event, options).map((line) => ({ ...line, text: inert(redactText(line.text)) }));
  if (options.timestamps && lines.length > 0) {
    const stamp = `[${new Date(event.time).toISOString()}] `;
    lines[0] = { ...lines[0]!, text: stamp + lines[0]!.text };
    for (let i = 1; i < lines.length; i++) lines[i] = { ...lines[i]!, text: ' '.repeat(stamp.length) + lines[i]!.text };
  }
  return lines;
}

function linesOf(event: ConsoleEvent, o: FormatOptions): OutputLine[] {
  switch (event.type) {
    case 'connecting':
      return event.attempt > 1 ? [{ text: `Connecting to ${event.url} (attempt ${event.attempt})`, tone: 'control' }] : [];
    case 'open':
      return [{ text: 'Connected (press CTRL+C to quit)', tone: 'control' }];
    case 'listening':
      return [{ text: `Listening on port ${event.port} (press CTRL+C to quit)`, tone: 'control' }];
    case 'client-connected':
      return [{ text: 'Client connected', tone: 'control' }];
    case 'message':
      return payloadLines(event.dir === 'in' ? '< ' : '> ', event.data, event.binary, o, event.dir);
    case 'ping':
    case 'pong': {
      const out: OutputLine[] = [];
      if (event.dir === 'in' && o.showPingPong) {
        out.push({ text: `< Received ${event.type} (data: ${JSON.stringify(event.data.toString())})`, tone: 'in' });
      } else if (event.dir === 'out' && o.showPingPong) {
        out.push({ text: `> Sent ${event.type} (data: ${JSON.stringify(event.data.toString())})`, tone: 'out' });
      }
      if (event.type === 'pong' && event.requested && event.rttMs !== undefined) {
        out.push({ text: `Pong received: round trip ${fmtMs(event.rttMs)} ms`, tone: 'control' });
      }
      return out;
    }
    case 'close':
      return [{ text: `Disconnected (code: ${event.code}, reason: ${JSON.stringify(event.reason)})`, tone: 'control' }];
    case 'upgrade-failed': {
      const f = event.failure;
      const lines: OutputLine[] = [
        { text: `wsbench: error: the server refused the WebSocket upgrade: HTTP ${f.status} ${f.statusText}`.trimEnd(), tone: 'error' },
      ];
      for (const [name, value] of f.headers) lines.push({ text: `  ${name}: ${value}`, tone: 'error' });
      if (f.body.length > 0) {
        const bodyLines = f.body.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
        lines.push({ text: `  body${f.bodyTruncated ? ' (start)' : ''}:`, tone: 'error' });
        for (const l of bodyLines) lines.push({ text: `    ${l}`, tone: 'error' });
        if (f.bodyTruncated) lines.push({ text: '    …', tone: 'error' });
      }
      return lines;
    }
    case 'reconnecting':
      return [{ text: `Reconnecting in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt})`, tone: 'control' }];
    case 'info':
      return [{ text: event.message, tone: 'info' }];
    case 'error':
      return [{ text: `${event.fatal ? 'wsbench: error' : 'error'}: ${event.message}`, tone: 'error' }];
    case 'redis-message': {
      const where = event.pattern !== undefined ? `${event.channel} (${event.pattern})` : event.channel;
      return payloadLines(`redis< ${where}: `, event.data, !isUtf8(event.data), o, 'redis');
    }
    case 'redis-published': {
      const lines = payloadLines(`redis> ${event.channel}: `, event.data, !isUtf8(event.data), { ...o, pretty: false }, 'redis');
      const last = lines[lines.length - 1]!;
      lines[lines.length - 1] = { ...last, text: `${last.text} (${receivers(event.receivers)})` };
      return lines;
    }
    case 'redis-subscription': {
      const verb =
        event.action === 'unsubscribe' ? 'Unsubscribed from' : event.action === 'psubscribe' ? 'Subscribed to pattern' : 'Subscribed to';
      const names = event.names.length > 0 ? event.names.join(', ') : 'everything';
      return [{ text: `${verb} ${names} (${event.count} active)`, tone: 'redis' }];
    }
    case 'status':
      return [{ text: statusText(event.status), tone: 'info' }];
    case 'help':
      return event.lines.map((text) => ({ text, tone: 'info' as const }));
  }
}

function receivers(n: number): string {
  return `received by ${fmtInt(n)} ${n === 1 ? 'subscriber' : 'subscribers'}`;
}

function payloadLines(prefix: string, data: Buffer, binary: boolean, o: FormatOptions, tone: Tone): OutputLine[] {
  if (binary) return [{ text: prefix + binaryText(data, o.binaryFormat), tone }];
  const text = data.toString('utf8');
  const pretty = o.pretty ? prettyJson(text) : null;
  // One output line per line of the message, continuation lines indented: a message cannot fake a line of its own.
  const pad = ' '.repeat(prefix.length);
  return (pretty ?? text).split('\n').map((line, i) => ({ text: (i === 0 ? prefix : pad) + line, tone }));
}

/** `[binary 5 B] 68 65 6c 6c 6f` or `[binary 5 B, base64] aGVsbG8=`; cut after 1 KiB. */
export function binaryText(data: Buffer, format: BinaryFormat): string {
  const shown = data.subarray(0, BINARY_DISPLAY_LIMIT);
  const more = data.length > shown.length ? ` … (${fmtInt(data.length - shown.length)} more bytes)` : '';
  const body = format === 'hex' ? (shown.toString('hex').match(/../g) ?? []).join(' ') : shown.toString('base64');
  return `[binary ${fmtBytes(data.length)}${format === 'base64' ? ', base64' : ''}] ${body}${more}`;
}

/** The status line as text: `1 OPEN · buffered 0 B · in 3 msg / 45 B · …`. */
export function statusText(s: ConsoleStatus): string {
  const parts = [
    `${s.readyState} ${READY_STATE_NAMES[s.readyState]}`,
    `buffered ${fmtBytes(s.bufferedAmount)}`,
    `in ${fmtInt(s.messagesIn)} msg / ${fmtBytes(s.bytesIn)}`,
    `out ${fmtInt(s.messagesOut)} msg / ${fmtBytes(s.bytesOut)}`,
    `rtt ${s.lastRttMs === null ? '–' : `${fmtMs(s.lastRttMs)} ms`}`,
  ];
  if (s.queued > 0) parts.push(`queued ${fmtInt(s.queued)}`);
  if (s.reconnects > 0) parts.push(`reconnects ${fmtInt(s.reconnects)}`);
  if (s.redis) parts.push(redisText(s.redis));
  return parts.join(' · ');
}

export function redisText(r: NonNullable<ConsoleStatus['redis']>): string {
  const subs = [...r.channels, ...r.patterns];
  return `redis ${r.connected ? '' : '(down) '}${subs.length ? `subs: ${subs.join(', ')}` : 'no subs'}`;
}

/** One NDJSON line (no newline) for an event. Bytes are text when UTF-8, else hex/base64. */
export function ndjsonLine(event: ConsoleEvent, binaryFormat: BinaryFormat): string {
  const { time, ...rest } = event;
  const out: Record<string, unknown> = { time: new Date(time).toISOString() };
  for (const [key, value] of Object.entries(rest)) {
    if (Buffer.isBuffer(value)) {
      const binary = event.type === 'message' ? event.binary : !isUtf8(value);
      if (binary) {
        out[key] = value.toString(binaryFormat);
        out.encoding = binaryFormat;
      } else out[key] = value.toString('utf8');
    } else out[key] = value;
  }
  return inertJson(redactDeep(out));
}
