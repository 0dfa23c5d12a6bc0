/**
 * The console's status line: readyState by number and name, bufferedAmount, traffic in and out,
 * last ping round trip, Redis subscriptions. Renders its props, nothing else.
 */
import { Box, Text } from 'ink';
import { READY_STATE_NAMES, type ConsoleStatus } from '../../console/events.js';
import { fmtBytes, fmtInt, fmtMs } from '../../reporters/format.js';

export interface StatusLineProps {
  status: ConsoleStatus;
  color: boolean;
}

const STATE_COLORS = ['yellow', 'green', 'yellow', 'red'] as const;

export function StatusLine({ status: s, color }: StatusLineProps) {
  const c = (name: string) => (color ? name : undefined);
  const subs = s.redis ? [...s.redis.channels, ...s.redis.patterns] : [];
  return (
    <Box flexDirection="row" flexWrap="wrap" columnGap={2}>
      <Text color={c(STATE_COLORS[s.readyState])} bold>
        {s.readyState} {READY_STATE_NAMES[s.readyState]}
      </Text>
      <Text>buffered {fmtBytes(s.bufferedAmount)}</Text>
      <Text>
        in {fmtInt(s.messagesIn)} msg / {fmtBytes(s.bytesIn)}
      </Text>
      <Text>
        out {fmtInt(s.messagesOut)} msg / {fmtBytes(s.bytesOut)}
      </Text>
      <Text>rtt {s.lastRttMs === null ? '–' : `${fmtMs(s.lastRttMs)} ms`}</Text>
      {s.queued > 0 ? <Text color={c('yellow')}>queued {fmtInt(s.queued)}</Text> : null}
      {s.reconnects > 0 ? <Text>reconnects {fmtInt(s.reconnects)}</Text> : null}
      {s.redis ? (
        <Text color={c(s.redis.connected ? 'magenta' : 'red')}>
          redis{s.redis.connected ? '' : ' (down)'} {subs.length > 0 ? `subs: ${subs.join(', ')}` : 'no subs'}
        </Text>
      ) : null}
      <Text dimColor={color}>{s.target}</Text>
    </Box>
  );
}
