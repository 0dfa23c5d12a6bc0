/**
 * Does the baseline gate cry wolf? Runs the same scenario several times with `--repeat N`
 * (default: scenarios/ci.yaml, 5 × --repeat 3) through the real CLI, then compares every report
 * with every other one (all ordered pairs) with the gate's own comparison at the default
 * tolerance (10% for every metric) and with the scenario's `baseline:` settings. Identical runs
 * must give no regression. For contrast it also compares single runs (the first run of each set,
 * judged with the single-run sampling bands), which is what a gate without --repeat would see.
 *
 *   npm run build && node dist/bench/gate-noise.js [scenario] [sets=5] [repeat=3]
 *
 * Prints a Markdown report (record it in bench/results/).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baselineChecks, compareReports, type BaselineOptions, type Verdict } from '../src/gate/baseline.js';
import { formatValue, lookupMetric, readMetric } from '../src/gate/metrics.js';
import { reportBaselineOptions } from '../src/cli/gate.js';
import type { RunReport } from '../src/results/types.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const scenario = process.argv[2] ?? join(root, 'scenarios/ci.yaml');
const sets = Number(process.argv[3] ?? 5);
const repeat = Number(process.argv[4] ?? 3);
const dir = mkdtempSync(join(tmpdir(), 'wsbench-noise-'));

const reports: RunReport[] = [];
const thresholdFailures: string[] = [];
const loads: string[] = [];
const started = Date.now();
try {
  for (let i = 0; i < sets; i++) {
    const out = join(dir, `set-${i}.json`);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [join(root, 'bin/wsbench.js'), 'run', scenario, '--repeat', String(repeat), '-q', '--out', out], {
      encoding: 'utf8',
      timeout: 10 * 60_000,
    });
    // Exit 1 (a threshold) still leaves a usable report; anything else is a failed bench.
    if (r.status !== 0 && r.status !== 1) throw new Error(`set ${i}: exit ${r.status}\n${r.stderr}`);
    const report = JSON.parse(readFileSync(out, 'utf8')) as RunReport;
    loads.push(loadavg()[0]!.toFixed(2));
    reports.push(report);
    const failed = (report.gate?.thresholds ?? []).filter((t) => !t.passed).map((t) => t.message);
    process.stderr.write(
      `set ${i + 1}/${sets} done in ${((Date.now() - t0) / 1000).toFixed(1)} s (exit ${r.status})${failed.length ? `: ${failed.join('; ')}` : ''}\n`,
    );
    thresholdFailures.push(...failed.map((f) => `set ${i + 1}: ${f}`));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const lines: string[] = [];
const p = (s = '') => lines.push(s);
p(`# Gate noise bench: ${sets} × --repeat ${repeat} of ${scenario.replace(root, '')}`);
p();
p(
  `${new Date().toISOString()} · ${cpus().length} × ${cpus()[0]?.model ?? '?'} · Node ${process.version} · total ${((Date.now() - started) / 1000).toFixed(0)} s`,
);
p();
p(
  `Thresholds of the scenario (on each set's merged report): ${thresholdFailures.length === 0 ? 'all passed' : `${thresholdFailures.length} failed`}`,
);
for (const f of thresholdFailures) p(`- ${f}`);
p();

const defaults: BaselineOptions = {};
const fromScenario = reportBaselineOptions(reports[0]!);
const metricPaths = baselineChecks(defaults).map((s) => s.ref.path);

p('## Per set: median of the runs [min..max], spread = (max − min) / median');
p();
p('The machine is shared (other engineers’ builds and benches run on it too): `load` is the 1-minute load average when the set finished.');
p();
p(`| set | load | ${metricPaths.join(' | ')} |`);
p(`|---|--:|${metricPaths.map(() => '--:').join('|')}|`);
reports.forEach((report, i) => {
  const cells = metricPaths.map((path) => {
    const found = lookupMetric(path);
    if (!found.ok) return 'n/a';
    const values = (report.repeats ?? [report]).map((r) => readMetric(r, found.ref)).flatMap((v) => (v.ok ? [v.value] : []));
    const sorted = [...values].sort((a, b) => a - b);
    const med = sorted[sorted.length >> 1]!;
    const spreadPct = med > 0 ? `${(((sorted[sorted.length - 1]! - sorted[0]!) / med) * 100).toFixed(0)}%` : '0%';
    const f = (v: number) => formatValue(v, found.ref.def.dim);
    return `${f(med)} [${f(sorted[0]!)}..${f(sorted[sorted.length - 1]!)}] ${spreadPct}`;
  });
  p(`| ${i + 1} | ${loads[i]} | ${cells.join(' | ')} |`);
});
p();

function verdicts(label: string, options: BaselineOptions, pick: (r: RunReport) => RunReport): void {
  const specs = baselineChecks(options);
  const counts: Record<Verdict, number> = { ok: 0, regression: 0, noise: 0, improved: 0, skipped: 0, missing: 0 };
  const flagged: string[] = [];
  let pairs = 0;
  for (let a = 0; a < reports.length; a++) {
    for (let b = 0; b < reports.length; b++) {
      if (a === b) continue;
      pairs++;
      const result = compareReports(pick(reports[a]!), pick(reports[b]!), specs);
      for (const c of result.checks) {
        counts[c.verdict]++;
        if (c.verdict === 'regression' || c.verdict === 'missing') flagged.push(`set ${a + 1} → set ${b + 1}: ${c.message}`);
      }
    }
  }
  p(`## ${label}`);
  p();
  p(
    `${pairs} ordered pairs × ${specs.length} metrics (${specs.map((s) => `${s.ref.path} ${+(s.tolerance * 100).toFixed(1)}%`).join(', ')})`,
  );
  p();
  p(`| regression | within noise | ok | improved | missing |`);
  p(`|--:|--:|--:|--:|--:|`);
  p(`| **${counts.regression}** | ${counts.noise} | ${counts.ok} | ${counts.improved} | ${counts.missing} |`);
  p();
  for (const f of flagged) p(`- ${f}`);
  if (flagged.length) p();
}

verdicts(`Verdicts, --repeat ${repeat} medians, default tolerance (10% for every metric)`, defaults, (r) => r);
verdicts(`Verdicts, --repeat ${repeat} medians, the scenario's baseline settings`, fromScenario, (r) => r);
const firstRun = (r: RunReport): RunReport => ({ ...r, repeats: undefined, transports: r.repeats?.[0]?.transports ?? r.transports });
verdicts('Contrast: single runs (first run of each set, sampling bands only), default tolerance', defaults, firstRun);

process.stdout.write(lines.join('\n') + '\n');
