/**
 * The live dashboard of `wsbench run`: renders a DashboardState (folded from engine snapshots by
 * ./state.ts) and nothing else. Fits 80×24 (at most ~17 rows) with compact rows below 100
 * columns; wider terminals get longer bars and sparklines, rows in full, and from 120 columns a
 * p99 trend next to the latency and more error kinds. A stable layout (every row is always
 * there) keeps anything from jumping.
 */
import { Box, Text, useInput } from 'ink';
import type { ReactNode } from 'react';
import type { Snapshot } from '../../engine/events.js';
import { progressBar, sparkline } from '../../reporters/charts.js';
import { fmtBytes, fmtInt, fmtMs, fmtShort } from '../../reporters/format.js';
import { agentClockText, agentRows, phaseProgress, STEPS, stepStatuses, type DashboardState, type StepStatus } from './state.js';

export interface DashboardProps {
  state: DashboardState;
  /** Columns to lay out in (the terminal width). */
  width: number;
  color: boolean;
  unicode: boolean;
  /** Keys can be read (stdin is a terminal in raw mode). */
  interactive: boolean;
  /** `q`: stop gracefully and report (called once). */
  onStop?: () => void;
  /** Ctrl-C while stdin is in raw mode (the terminal then sends no SIGINT itself). */
  onInterrupt?: () => void;
}

/** Width of the label column. */
const LABEL = 14;
export const MIN_WIDTH = 60;
export const MAX_WIDTH = 200;
/** From this width rows are written out in full. */
const FULL_ROWS = 100;
/** From this width the latency row carries a p99 trend and more error kinds are listed. */
const WIDE = 120;

export function Dashboard(props: DashboardProps) {
  const { state, color, unicode } = props;
  const width = Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, props.width));
  return (
    <Box flexDirection="column" width={width}>
      {props.interactive && !state.finished ? (
        <Keys stopping={state.stopping !== null} onStop={props.onStop} onInterrupt={props.onInterrupt} />
      ) : null}
      <Header state={state} width={width} color={color} />
      <Steps state={state} color={color} unicode={unicode} />
      <PhaseLine state={state} width={width} unicode={unicode} color={color} />
      <Text> </Text>
      <Figures state={state} width={width} color={color} unicode={unicode} />
      <Agents state={state} width={width} color={color} />
      {state.warnings.map((w, i) => (
        <Text key={i} color={color ? 'yellow' : undefined} wrap="truncate-end">
          warning: {w}
        </Text>
      ))}
      {state.incidents.map((line, i) => (
        <Text key={`incident-${i}`} color={color ? 'red' : undefined} wrap="truncate-end">
          incident {line}
        </Text>
      ))}
      <Text> </Text>
      <Footer state={state} color={color} interactive={props.interactive} />
    </Box>
  );
}

function Keys(props: { stopping: boolean; onStop: (() => void) | undefined; onInterrupt: (() => void) | undefined }) {
  useInput((input, key) => {
    if (key.ctrl && input === 'c') return props.onInterrupt?.();
    // Keys typed quickly can arrive in one chunk ("qq", "\x03\x03"): look at each of them.
    let stopping = props.stopping;
    for (const ch of input) {
      if (ch === '\x03') props.onInterrupt?.();
      else if ((ch === 'q' || ch === 'Q') && !stopping) {
        stopping = true;
        props.onStop?.();
      }
    }
  });
  return null;
}

function Header(props: { state: DashboardState; width: number; color: boolean }) {
  const { state, color } = props;
  const done = state.finishedTransports.map((t) => `${t} ✓`);
  if (state.finished && state.transport) done.push(`${state.transport} ${state.finished.completed ? '✓' : '(stopped)'}`);
  const current = state.transport ? `${state.transport} ${state.transportIndex + 1}/${state.transportCount}` : null;
  const right = [...done, ...(current && !state.finished ? [current] : []), fmtSeconds(state.elapsedMs)].join(' · ');
  return (
    <Box justifyContent="space-between" width={props.width}>
      <Text bold={color} wrap="truncate-end">
        wsbench{state.title ? ` · ${state.title}` : ''}
      </Text>
      <Text color={color ? 'cyan' : undefined}>{right}</Text>
    </Box>
  );
}

const SYMBOLS: Record<StepStatus, [string, string]> = {
  done: ['✓', '+'],
  current: ['●', '*'],
  skipped: ['–', '-'],
  pending: ['○', '.'],
};
const STEP_COLOURS: Record<StepStatus, string | undefined> = { done: 'green', current: 'cyan', skipped: 'gray', pending: 'gray' };

function Steps(props: { state: DashboardState; color: boolean; unicode: boolean }) {
  const statuses = stepStatuses(props.state);
  return (
    <Text wrap="truncate-end">
      {STEPS.map((step, i) => {
        const status = statuses[i]!;
        return (
          <Text key={step.label} color={props.color ? STEP_COLOURS[status] : undefined} bold={props.color && status === 'current'}>
            {i > 0 ? '  ' : ''}
            {SYMBOLS[status][props.unicode ? 0 : 1]} {step.label}
          </Text>
        );
      })}
    </Text>
  );
}

/** What the current phase is doing, with a progress bar when it has a known end. */
function PhaseLine(props: { state: DashboardState; width: number; unicode: boolean; color: boolean }) {
  const { state } = props;
  const s = state.snapshot;
  const barWidth = Math.max(16, Math.min(60, props.width - 60));
  const progress = phaseProgress(state);
  // Until the phase's first snapshot its progress is unknown: an empty bar and no percentage.
  const withBar = (text: string) => (
    <Text wrap="truncate-end">
      <Text color={props.color ? 'cyan' : undefined}>{progressBar(progress?.ratio ?? 0, barWidth, props.unicode)}</Text>{' '}
      {progress ? `${String(Math.floor(progress.ratio * 100)).padStart(3)}%` : '   …'} {text}
    </Text>
  );
  const left = progress?.remainingMs != null ? fmtSeconds(progress.remainingMs) : '–';
  switch (state.phase) {
    case null:
      return <Text>starting…</Text>;
    case 'starting-redis':
      return <Text>starting the embedded redis-server…</Text>;
    case 'starting-server':
      return <Text wrap="truncate-end">starting the target{state.phaseDetail ? ` (${state.phaseDetail})` : ''}…</Text>;
    case 'connecting': {
      if (!s || s.phase !== 'connecting') return withBar('opening connections…');
      const c = s.connections;
      return withBar(
        `${fmtInt(c.opened)}/${fmtInt(c.target)} open · ${fmtInt(c.failed)} failed · ${fmtInt(c.inFlight)} in flight · ${fmtInt(c.perSec)}/s`,
      );
    }
    case 'waiting-ready':
      return (
        <Text wrap="truncate-end">
          waiting until {s ? `all ${fmtInt(s.connections.opened)} clients are` : 'every client is'} subscribed…
        </Text>
      );
    case 'warmup':
      return withBar(`warm-up (not measured) · ${left} left`);
    case 'publishing':
      return withBar(`publishing · ${fmtSeconds(state.elapsedMs - state.phaseStartedMs)} elapsed · ${left} left`);
    case 'draining': {
      const owed = s ? Math.max(0, s.delivery.expectedSoFar - s.delivery.delivered) : null;
      return withBar(`draining · ${owed === null ? '' : `${fmtInt(owed)} in flight · `}at most ${left} left`);
    }
    case 'closing':
      return <Text>closing connections and collecting results…</Text>;
    case 'done':
      return <Text>done</Text>;
  }
}

function Row(props: { label: string; color: boolean; children: ReactNode }) {
  return (
    <Text wrap="truncate-end">
      <Text dimColor={props.color}>{props.label.padEnd(LABEL)}</Text>
      {props.children}
    </Text>
  );
}

function Figures(props: { state: DashboardState; width: number; color: boolean; unicode: boolean }) {
  const { state, color, width } = props;
  const s: Snapshot | null = state.snapshot;
  const dash = '–';
  const rate = s ? fmtInt(s.delivery.perSec) : dash;
  const sparkWidth = Math.max(10, width - LABEL - 10);
  const d = s?.delivery;
  const ratio = d && d.expectedSoFar > 0 ? `${((100 * d.delivered) / d.expectedSoFar).toFixed(2)}%` : dash;
  const owed = d ? Math.max(0, d.expectedSoFar - d.delivered) : 0;
  const errors = s ? Object.entries(s.errors).sort((a, b) => b[1] - a[1]) : [];
  const errorKinds = width >= WIDE ? 8 : 3;
  const tool = s?.tool;
  const wire = s?.wire;
  const latency = s?.latencyMs
    ? `p50 ${fmtMs(s.latencyMs.p50)} · p99 ${fmtMs(s.latencyMs.p99)} · max ${fmtMs(s.latencyMs.max)} ms  (last interval, n=${fmtInt(s.latencyMs.count)})`
    : `${dash} (no measured deliveries in the last interval)`;
  // The timeline's p99 per closed interval (by intended publish time; about 2 s behind).
  const p99 = state.p99History.at(-1);
  return (
    <>
      <Row label="deliveries/s" color={color}>
        {rate.padStart(8)}{' '}
        <Text color={color ? 'cyan' : undefined}>{sparkline(state.rateHistory, sparkWidth, { unicode: props.unicode })}</Text>
      </Row>
      <Row label="p99 over time" color={color}>
        {(p99 === undefined ? dash : `${fmtMs(p99)} ms`).padStart(11)}{' '}
        <Text color={color ? 'magenta' : undefined}>{sparkline(state.p99History, sparkWidth - 3, { unicode: props.unicode })}</Text>
      </Row>
      <Row label="latency" color={color}>
        {latency}
      </Row>
      <Row label="delivery" color={color}>
        {d
          ? width >= FULL_ROWS
            ? `${ratio} of ${fmtInt(d.expectedSoFar)} owed so far · ${fmtInt(owed)} in flight · duplicated ${fmtInt(d.duplicated)} · reordered ${fmtInt(d.reordered)} · ignored ${fmtInt(d.ignored)}`
            : `${ratio} of ${fmtShort(d.expectedSoFar)} · ${fmtShort(owed)} in flight · dup ${fmtShort(d.duplicated)} · reord ${fmtShort(d.reordered)} · ign ${fmtShort(d.ignored)}`
          : dash}
      </Row>
      <Row label="wire" color={color}>
        {wire
          ? width >= FULL_ROWS
            ? `${fmtBytes(wire.bytesInPerSec)}/s in · ${fmtInt(wire.requestsPerSec)} requests/s · so far ${fmtBytes(wire.bytesIn)} in, ${fmtBytes(wire.bytesOut)} out`
            : `${fmtBytes(wire.bytesInPerSec)}/s in · ${fmtShort(wire.requestsPerSec)} req/s · ${fmtBytes(wire.bytesIn)} in, ${fmtBytes(wire.bytesOut)} out`
          : dash}
      </Row>
      <Row label="publish" color={color}>
        {s
          ? `${fmtInt(s.publish.sent)}/${fmtInt(s.publish.total)} sent · lag ${fmtMs(s.publish.lagMs)} ms · ${fmtInt(s.publish.errors)} errors`
          : dash}
      </Row>
      <Row label="errors" color={color}>
        {errors.length === 0 ? (
          'none'
        ) : (
          <Text color={color ? 'red' : undefined}>
            {errors
              .slice(0, errorKinds)
              .map(([k, n]) => `${k} ×${fmtInt(n)}`)
              .join(', ')}
            {errors.length > errorKinds ? ` (+${errors.length - errorKinds} kinds)` : ''}
          </Text>
        )}
      </Row>
      <Row label="tool" color={color}>
        {tool ? `CPU ${tool.cpuPercent}% · event loop p99 ${fmtMs(tool.eventLoopDelayMs)} ms · ${tool.processes} processes` : dash}
      </Row>
      {tool?.bottleneck ? (
        <>
          <Text color={color ? 'red' : undefined} bold={color} wrap="truncate-end">
            {props.unicode ? '⚠' : '!'} THE TOOL ITSELF IS THE BOTTLENECK: {tool.reason}
          </Text>
          <Text color={color ? 'red' : undefined} wrap="truncate-end">
            {'  '}these figures measure wsbench, not the target (lower the load or add --workers)
          </Text>
        </>
      ) : null}
    </>
  );
}

/** One row per agent of a distributed run (none for a local run): name, host, clients open/share, clock, status, deliveries. */
function Agents(props: { state: DashboardState; width: number; color: boolean }) {
  const { color, width } = props;
  const { shown, more } = agentRows(props.state.agents);
  return (
    <>
      {shown.map((a) => (
        <Row key={a.name} label={a.name.length < LABEL ? a.name : `${a.name.slice(0, LABEL - 2)}…`} color={color}>
          <Text color={color && a.status === 'lost' ? 'red' : undefined}>
            {width >= FULL_ROWS
              ? `${a.host} · ${fmtInt(a.clientsOpen)}/${fmtInt(a.clients)} open · ${agentClockText(a.clock)} · ${a.status} · ${fmtInt(a.delivered)} delivered`
              : `${a.host} · ${fmtShort(a.clientsOpen)}/${fmtShort(a.clients)} · ${agentClockText(a.clock)} · ${a.status}`}
          </Text>
        </Row>
      ))}
      {more ? (
        <Row label="" color={color}>
          {`+${more.count} more agent(s)${more.lost ? `, ${more.lost} lost` : ''}`}
        </Row>
      ) : null}
    </>
  );
}

function Footer(props: { state: DashboardState; color: boolean; interactive: boolean }) {
  if (props.state.stopping) {
    return (
      <Text color={props.color ? 'yellow' : undefined} wrap="truncate-end">
        {props.state.stopping}
      </Text>
    );
  }
  return (
    <Text dimColor={props.color}>
      {props.interactive ? 'q or Ctrl-C: stop and report what was measured' : 'Ctrl-C: stop and report what was measured'}
    </Text>
  );
}

/** 850 → "0.9 s", 12_345 → "12.3 s", 125_000 → "2m05s". */
export function fmtSeconds(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s - m * 60)).padStart(2, '0')}s`;
}
