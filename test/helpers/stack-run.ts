/**
 * Runs a scenario against a real stack in-process and checks the acceptance bar: every message
 * to every client, with fan-out latency percentiles. Also runs a shipped example scenario through
 * the real CLI with the URLs replaced by the test server's.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { parseScenarioText } from '../../src/config/load.js';
import { runEngine } from '../../src/engine/runner.js';
import type { RunReport, TransportReport } from '../../src/results/types.js';
import { runCli } from './cli.js';

export type { TransportReport };

/** Runs `yaml` (a scenario) in-process with one client worker. */
export async function runStack(yaml: string, file: string): Promise<TransportReport> {
  const report = await runEngine(parseScenarioText(yaml, file), { workers: 1, snapshotIntervalMs: 50 });
  const ws = report.transports.websocket;
  assert.ok(ws, 'a websocket result');
  return ws;
}

/** 100 % delivered, nothing lost or duplicated, latency percentiles present and ordered. */
export function assertFullDelivery(ws: TransportReport, clients: number, publishes: number, label: string): void {
  const d = ws.delivery;
  const context = `${label}: ${JSON.stringify({ delivery: d, latency: ws.fanoutLatencyMs, errors: ws.errors, samples: ws.errorSamples })}`;
  assert.equal(ws.connections.opened, clients, context);
  assert.equal(ws.throughput.publishes, publishes, context);
  assert.equal(d.expected, clients * publishes, context);
  assert.equal(d.delivered, d.expected, context);
  assert.equal(d.lost, 0, context);
  assert.equal(d.duplicated, 0, context);
  assert.equal(d.ignoredBy.unstamped, 0, context);
  assert.equal(d.ignoredBy.misrouted, 0, context);
  assert.ok(ws.fanoutLatencyMs.count > 0, context);
  assert.ok(ws.fanoutLatencyMs.p50 > 0 && ws.fanoutLatencyMs.p50 <= ws.fanoutLatencyMs.p99, context);
  assert.equal(ws.incompletePublishes, 0, context);
  // Shown in the test output: the figures of the run against the real server.
  console.log(
    `# ${label}: delivered ${d.delivered}/${d.expected} (${(100 * d.deliveryRatio).toFixed(1)}%) ` +
      `fan-out p50 ${ws.fanoutLatencyMs.p50} ms p99 ${ws.fanoutLatencyMs.p99} ms max ${ws.fanoutLatencyMs.max} ms`,
  );
}

/** What a chat run (publish.via websocket) should show: who sent, how many messages, members per room. */
export interface ChatExpectation {
  senders: number;
  /** Messages of the schedule, warm-up included. */
  messages: number;
  warmup: number;
  /** Clients per channel (the sender included). */
  members: number;
}

/**
 * The chat acceptance bar: every message a sender sent reached every member of its room (the
 * sender's own copy as echo, the others as round trip), nothing failed, the senders' figures are
 * there, and the ledger is exact — expected is the senders' successful sends × members.
 */
export function assertChatLedger(ws: TransportReport, want: ChatExpectation, label: string): void {
  const up = ws.upstream;
  const d = ws.delivery;
  const context = `${label}: ${JSON.stringify({ upstream: up, delivery: d, echo: ws.echoLatencyMs, errors: ws.errors, samples: ws.errorSamples })}`;
  assert.ok(up && ws.echoLatencyMs, context);
  assert.equal(up.senders, want.senders, context);
  assert.equal(up.sendFailures, 0, context);
  assert.equal(up.sent, want.messages, context);
  assert.equal(ws.throughput.publishes, want.messages, context);
  assert.equal(ws.throughput.publishFailures, 0, context);
  assert.equal(d.expected, up.sent * want.members, context);
  assert.equal(d.delivered, d.expected, context);
  assert.equal(d.lost, 0, context);
  assert.equal(d.unpublished, 0, context);
  assert.equal(d.duplicated, 0, context);
  assert.equal(d.delivered + d.lost + d.unpublished, d.expected, context);
  const measured = want.messages - want.warmup;
  assert.equal(ws.echoLatencyMs.count, measured, `every sender got its own copy back: ${context}`);
  assert.equal(ws.fanoutLatencyMs.count, measured * (want.members - 1), context);
  for (const l of [ws.fanoutLatencyMs, ws.echoLatencyMs]) assert.ok(l.p50 > 0 && l.p50 <= l.p99 && l.p99 <= l.max, context);
  const b = up.bufferedAmountBytes;
  assert.ok(Number.isInteger(b.p50) && b.p50 >= 0 && b.p50 <= b.p99 && b.p99 <= b.max, context);
  const intervals = ws.timeline?.intervals ?? [];
  assert.equal(
    intervals.reduce((a, i) => a + (i.echo?.count ?? 0), 0),
    ws.echoLatencyMs.count,
    `the timeline's echo counts add up: ${context}`,
  );
  assert.equal(
    intervals.reduce((a, i) => a + i.fanoutLatencyMs.count, 0),
    ws.fanoutLatencyMs.count,
    context,
  );
  // The senders over time: every send in the interval of its intended time; the largest bufferedAmount
  // exact there, the transport's from its histogram (within its precision).
  assert.equal(
    intervals.reduce((a, i) => a + (i.upstream?.sent ?? 0), 0),
    up.sent,
    `the timeline's sends add up: ${context}`,
  );
  assert.equal(
    intervals.reduce((a, i) => a + (i.upstream?.sendFailures ?? 0), 0),
    0,
    context,
  );
  const intervalMax = Math.max(0, ...intervals.map((i) => i.upstream?.bufferedAmountBytes.max ?? 0));
  assert.ok(Math.abs(intervalMax - b.max) <= b.max * 0.001 + 1, `bufferedAmount max ${intervalMax} vs ${b.max}: ${context}`);
  console.log(
    `# ${label}: delivered ${d.delivered}/${d.expected} (${(100 * d.deliveryRatio).toFixed(1)}%) from ${up.sent} sends · ` +
      `round trip p50 ${ws.fanoutLatencyMs.p50} ms p99 ${ws.fanoutLatencyMs.p99} ms · echo p50 ${ws.echoLatencyMs.p50} ms p99 ${ws.echoLatencyMs.p99} ms · ` +
      `sender lag p99 ${ws.throughput.publisherLagMs.p99} ms · bufferedAmount p50 ${b.p50} B p99 ${b.p99} B max ${b.max} B`,
  );
}

/**
 * The chat ledger of an app that leaves the sender out (publish.echo none): each message reaches
 * every member but its sender, exactly; the sender's own copy is notOwed, never lost; no sender got
 * its own message back (no publish.unexpected-echo); the identity holds for the run and each interval.
 */
export function assertLeftOutLedger(ws: TransportReport, want: ChatExpectation, label: string): void {
  const up = ws.upstream;
  const d = ws.delivery;
  const context = `${label}: ${JSON.stringify({ upstream: up, delivery: d, echo: ws.echoLatencyMs, errors: ws.errors, samples: ws.errorSamples })}`;
  assert.ok(up && ws.echoLatencyMs, context);
  assert.equal(up.senders, want.senders, context);
  assert.equal(up.sent, want.messages, context);
  assert.equal(up.sendFailures + (up.unsent ?? 0), 0, context);
  assert.equal(up.unexpectedEchoes, 0, context);
  assert.equal(d.expected, up.sent * want.members, context);
  assert.equal(d.notOwed, up.sent, `each message's sender is owed none of its own: ${context}`);
  assert.equal(d.delivered, up.sent * (want.members - 1), context);
  assert.equal(d.lost, 0, context);
  assert.equal(d.unpublished, 0, context);
  assert.equal(d.duplicated, 0, context);
  assert.equal(d.ignoredBy.notOwed, 0, `no own copy came back: ${context}`);
  assert.equal(ws.echoLatencyMs.count, 0, context);
  assert.equal(ws.fanoutLatencyMs.count, (want.messages - want.warmup) * (want.members - 1), context);
  assert.equal(ws.incompletePublishes, 0, `every publish reached every member it was owed to: ${context}`);
  const intervals = ws.timeline?.intervals ?? [];
  for (const i of intervals)
    assert.equal(i.deliveries + i.lost + i.notOwed! + i.unpublished!, i.expected, `interval at ${i.startMs} ms: ${context}`);
  assert.equal(
    intervals.reduce((a, i) => a + i.notOwed!, 0),
    d.notOwed,
    `the intervals' notOwed add up: ${context}`,
  );
  console.log(
    `# ${label}: delivered ${d.delivered}/${d.expected} (${d.notOwed} own copies not owed) from ${up.sent} sends · ` +
      `round trip p50 ${ws.fanoutLatencyMs.p50} ms p99 ${ws.fanoutLatencyMs.p99} ms`,
  );
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Runs scenarios/<name> through the real CLI with `edit` applied to its YAML (URLs of the test
 * servers, a shorter duration) and returns the JSON report and the CLI's output.
 */
export async function runExampleScenario(
  name: string,
  edit: Record<string, unknown>,
): Promise<{ report: RunReport; stdout: string; stderr: string; code: number | null }> {
  const doc = parseDocument(readFileSync(join(ROOT, 'scenarios', name), 'utf8'));
  for (const [path, value] of Object.entries(edit)) doc.setIn(path.split('.'), value);
  const dir = mkdtempSync(join(tmpdir(), 'wsbench-stack-'));
  try {
    const file = join(dir, name);
    // The schema reference is relative to scenarios/: keep the file valid without it.
    writeFileSync(file, doc.toString());
    const out = join(dir, 'report.json');
    const result = await runCli(['run', file, '--out', out, '--quiet', '--workers', '1'], { timeoutMs: 90_000 });
    let report: RunReport;
    try {
      report = JSON.parse(readFileSync(out, 'utf8')) as RunReport;
    } catch {
      throw new Error(`wsbench run ${name} wrote no report (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
    return { report, ...result };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
