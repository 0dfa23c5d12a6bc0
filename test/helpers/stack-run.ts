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
import { runScenario } from '../../src/engine/runner.js';
import type { RunReport, TransportReport } from '../../src/results/types.js';
import { runCli } from './cli.js';

export type { TransportReport };

/** Runs `yaml` (a scenario) in-process with one client worker. */
export async function runStack(yaml: string, file: string): Promise<TransportReport> {
  const report = await runScenario(parseScenarioText(yaml, file), { workers: 1, snapshotIntervalMs: 50 });
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
