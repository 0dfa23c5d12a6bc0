/**
 * Console events as plain lines (or NDJSON) on streams: what scripts and pipes see. Errors go
 * to stderr; colour only when asked for and the stream is a terminal.
 */
import { formatEvent, ndjsonLine, type FormatOptions, type Tone } from './format.js';
import type { ConsoleEvent, ConsoleEventListener } from './events.js';
import { inert } from '../peer-text.js';
import { redactText } from '../secrets.js';

export interface PlainOutputOptions {
  format: FormatOptions;
  ndjson: boolean;
  color: boolean;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

const ANSI: Record<Tone, string> = {
  in: '\u001b[34m',
  out: '\u001b[2m',
  control: '\u001b[32m',
  error: '\u001b[33m',
  redis: '\u001b[35m',
  info: '\u001b[36m',
};
const RESET = '\u001b[39m\u001b[22m';

export function plainOutput(o: PlainOutputOptions): ConsoleEventListener {
  return (event: ConsoleEvent) => {
    if (o.ndjson) {
      o.stdout.write(ndjsonLine(event, o.format.binaryFormat) + '\n');
      if (event.type === 'error' && event.fatal) o.stderr.write(`wsbench: error: ${inert(redactText(event.message))}\n`);
      return;
    }
    for (const line of formatEvent(event, o.format)) {
      const stream = line.tone === 'error' ? o.stderr : o.stdout;
      const colored = o.color && stream.isTTY === true;
      stream.write(colored ? `${ANSI[line.tone]}${line.text}${RESET}\n` : `${line.text}\n`);
    }
  };
}
