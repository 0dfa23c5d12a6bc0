/**
 * Markdown summary of a gated run (for pull requests and $GITHUB_STEP_SUMMARY): verdict, the key
 * figures per transport, every threshold and every baseline check. Pure string builder.
 */
import type { BaselineCheck, SideStats } from '../gate/baseline.js';
import { formatChange } from '../gate/baseline.js';
import { formatValue } from '../gate/metrics.js';
import type { GateOutcome } from '../gate/result.js';
import type { RunReport } from '../results/types.js';
import { incidentLine, isDegraded } from '../results/incidents.js';
import { formatDuration } from '../config/units.js';
import { fmtInt, fmtMs, fmtPercent } from './format.js';

const PASS = '✅';
const FAIL = '❌';

export function markdownSummary(report: RunReport, outcome: GateOutcome): string {
  const out: string[] = [];
  const runs = report.repeats && report.repeats.length > 1 ? ` · ${report.repeats.length} runs merged` : '';
  const completed = report.run.completed
    ? `completed in ${formatDuration(report.run.durationMs)}`
    : `**not completed** (${cell(report.run.stopReason ?? 'stopped')})`;
  out.push(`## wsbench ${outcome.passed ? `${PASS} passed` : `${FAIL} failed`}: ${cell(report.run.name ?? 'run')}`, '');
  out.push(`Run \`${report.run.id}\` · ${completed}${runs} · wsbench ${report.tool.version}`, '');
  if (outcome.abortedBy) out.push(`> ${FAIL} Stopped early: ${cell(outcome.abortedBy)}`, '');
  const incidents = report.run.incidents ?? [];
  if (isDegraded(report)) {
    out.push(`> ⚠️ **Degraded run** (exit code 4): ${incidents.length} incident${incidents.length === 1 ? '' : 's'} during it`, '');
    for (const i of incidents) out.push(`- ${cell(incidentLine(i))}`);
    if (incidents.length > 0) out.push('');
  }

  out.push(
    '| transport | fan-out p50 | fan-out p99 | last recipient p99 | delivered | lost | deliveries/s |',
    '|---|--:|--:|--:|--:|--:|--:|',
  );
  for (const t of Object.values(report.transports)) {
    if (!t) continue;
    const d = t.delivery;
    out.push(
      `| ${t.transport} | ${fmtMs(t.fanoutLatencyMs.p50)} ms | ${fmtMs(t.fanoutLatencyMs.p99)} ms | ${fmtMs(t.lastRecipientLatencyMs.p99)} ms | ${fmtInt(d.delivered)}/${fmtInt(d.expected)} | ${fmtInt(d.lost)} (${fmtPercent(d.lostRatio)}) | ${fmtInt(t.throughput.deliveriesPerSec)} |`,
    ); // Slow consumers: each class of clients on a row of its own under its transport.
    for (const [name, c] of Object.entries(t.classes ?? {})) {
      const l = c.fanoutLatencyMs;
      const latency = (v: number) => (l.count > 0 ? `${fmtMs(v)} ms` : '—');
      out.push(
        `| ${t.transport} · ${name} clients (${fmtInt(c.clients)}) | ${latency(l.p50)} | ${latency(l.p99)} | — | ${fmtInt(c.delivery.delivered)}/${fmtInt(c.delivery.expected)} | ${fmtInt(c.delivery.lost)} (${fmtPercent(c.delivery.lostRatio)}) | — |`,
      );
    }
  }
  out.push('');
  // Clients sent the messages (publish.via websocket): say that fan-out is the chat round trip, and what the senders did.
  for (const t of Object.values(report.transports)) {
    const up = t?.upstream;
    if (!t || !up) continue;
    const echo = t.echoLatencyMs
      ? ` · echo (a sender's own copy) p50 ${fmtMs(t.echoLatencyMs.p50)} ms p99 ${fmtMs(t.echoLatencyMs.p99)} ms`
      : '';
    out.push(
      `${t.transport}: clients sent the messages (fan-out is the chat round trip) · ${fmtInt(up.senders)} senders · ${fmtInt(up.sent)} sent · ${fmtInt(up.sendFailures)} could not be sent${up.unsent ? ` · ${fmtInt(up.unsent)} unsent while reconnecting` : ''}${up.unexpectedEchoes ? ` · ${fmtInt(up.unexpectedEchoes)} unexpected echoes` : ''}${echo} · bufferedAmount p99 ${fmtInt(up.bufferedAmountBytes.p99)} B max ${fmtInt(up.bufferedAmountBytes.max)} B`,
      '',
    );
  }

  if (outcome.thresholds.length > 0) {
    const failed = outcome.thresholds.filter((t) => !t.passed).length;
    out.push(
      `### Thresholds: ${failed === 0 ? `${PASS} all ${outcome.thresholds.length} passed` : `${FAIL} ${failed} of ${outcome.thresholds.length} failed`}`,
      '',
    );
    out.push('| | threshold | measured |', '|---|---|---|');
    for (const t of outcome.thresholds) out.push(`| ${t.passed ? PASS : FAIL} | \`${code(t.expression)}\` | ${cell(t.message)} |`);
    out.push('');
  }

  if (outcome.baseline) {
    const b = outcome.baseline;
    const regressions = b.checks.filter((c) => !c.passed).length;
    out.push(
      `### Baseline: ${regressions === 0 ? `${PASS} no regression` : `${FAIL} ${regressions} regression${regressions > 1 ? 's' : ''}`}`,
      '',
      `Against \`${code(b.source)}\` (${b.runs.baseline} run${b.runs.baseline > 1 ? 's' : ''} vs ${b.runs.current} run${b.runs.current > 1 ? 's' : ''}).`,
      '',
      '| | metric | baseline | current | change | tolerance | verdict |',
      '|---|---|--:|--:|--:|--:|---|',
    );
    for (const c of b.checks) out.push(checkRow(c));
    out.push('', `<sub>${cell(b.method)}</sub>`, '');
  }
  return out.join('\n');
}

function checkRow(c: BaselineCheck): string {
  const icon = c.verdict === 'skipped' ? '➖' : c.passed ? PASS : FAIL;
  return `| ${icon} | \`${c.metric}\` | ${side(c.baseline, c)} | ${side(c.current, c)} | ${formatChange(c.change)} | ${+(c.tolerance * 100).toFixed(2)}% | ${c.verdict} |`;
}

function side(s: SideStats | null, c: BaselineCheck): string {
  if (!s) return 'n/a';
  const v = formatValue(s.value, c.dim);
  if (s.band === 'none' || s.low === s.high) return v;
  return `${v} <sub>(${formatValue(s.low, c.dim)}–${formatValue(s.high, c.dim)})</sub>`;
}

/** Text inside a table cell: no pipes or line breaks. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;');
}

function code(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/`/g, "'");
}
