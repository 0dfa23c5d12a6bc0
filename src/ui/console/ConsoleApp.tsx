/**
 * The interactive console screen: the message log (printed once, scrolling with the terminal),
 * the status line and the input prompt. Keys are handed to `onKey`; all state comes in as props.
 */
import { Box, Static, Text, useInput, type Key } from 'ink';
import type { ConsoleStatus } from '../../console/events.js';
import type { OutputLine, Tone } from '../../console/format.js';
import { StatusLine } from './StatusLine.js';

export interface LogEntry {
  id: number;
  line: OutputLine;
}

export interface ConsoleAppProps {
  log: LogEntry[];
  status: ConsoleStatus;
  input: { text: string; cursor: number };
  hint: string | null;
  color: boolean;
  /** Absent in tests that only render. */
  onKey?: (input: string, key: Key) => void;
}

const TONE_COLORS: Record<Tone, string | undefined> = {
  in: 'blue',
  out: undefined,
  control: 'green',
  error: 'yellow',
  redis: 'magenta',
  info: 'cyan',
};

export function ConsoleApp(props: ConsoleAppProps) {
  return (
    <>
      <Static items={props.log}>
        {(entry) => (
          <Text
            key={entry.id}
            color={props.color ? TONE_COLORS[entry.line.tone] : undefined}
            dimColor={props.color && entry.line.tone === 'out'}
          >
            {entry.line.text}
          </Text>
        )}
      </Static>
      <Box flexDirection="column">
        <StatusLine status={props.status} color={props.color} />
        {props.onKey ? <KeyReader onKey={props.onKey} /> : null}
        <Prompt text={props.input.text} cursor={props.input.cursor} />
        {props.hint ? <Text dimColor={props.color}>{props.hint}</Text> : null}
      </Box>
    </>
  );
}

function KeyReader({ onKey }: { onKey: (input: string, key: Key) => void }) {
  useInput((input, key) => onKey(input, key));
  return null;
}

function Prompt({ text, cursor }: { text: string; cursor: number }) {
  const before = text.slice(0, cursor);
  const at = text.slice(cursor, cursor + 1) || ' ';
  const after = text.slice(cursor + 1);
  return (
    <Text>
      {'> '}
      {before}
      <Text inverse>{at}</Text>
      {after}
    </Text>
  );
}
