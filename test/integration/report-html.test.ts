/**
 * The report side of results over time, end to end: real runs → `wsbench report … --html/--hlog`
 * → the page in a real headless Chromium (Debian's `chromium`, driven by playwright-core, which
 * downloads no browser) and the .hlog in HdrHistogram's own HistogramLogProcessor (Debian's
 * `libhdrhistogram-java`). .ci/run installs both.
 *
 * The inputs: two small quickstart runs against the built-in server (real reports with the
 * engine's own timelines), plus one incident placed at the middle of publishing (the engine records
 * incidents with issue 12's runtime work). What this file tests is the renderers and the log, not
 * the timing of a run.
 *
 * The screenshots are kept as test artifacts in test-artifacts/report-html/ (gitignored).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { RunReport } from '../../src/results/types.js';
import type { EmbeddedRedis } from '../../src/redis/embedded.js';
import { runCli } from '../helpers/cli.js';
import { startTestRedis } from '../helpers/redis.js';
import { processLogRows } from '../helpers/hdr-log-processor.js';

// The callbacks of page.evaluate run in the page; the project compiles without the DOM library, so
// the little they use is declared here.
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelector<T = PageElement>(selector: string): T | null;
  querySelectorAll<T = PageElement>(selector: string): Iterable<T>;
}
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
declare const document: { body: PageElement; querySelectorAll<T = PageElement>(selector: string): Iterable<T> };
declare function getComputedStyle(element: PageElement): { borderColor: string; backgroundColor: string };

const CHROMIUM = process.env['WSBENCH_CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/report-html/', import.meta.url));

let redis: EmbeddedRedis;
let dir: string;
const reports: Record<'base' | 'cur', RunReport> = {} as Record<'base' | 'cur', RunReport>;

/** A small real run of the quickstart scenario, written to `<name>.json` with an incident placed on its axis. */
async function realRun(name: 'base' | 'cur', rate: string): Promise<void> {
  const out = join(dir, `${name}-raw.json`);
  const html = join(dir, `${name}-run.html`);
  const result = await runCli(
    [
      'run',
      'scenarios/quickstart.yaml',
      ...['-c', '20', '-r', rate, '-d', '3s', '--warmup', '1s', '--drain', '1s', '--redis', redis.url, '--out', out, '--html', html],
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(await readFile(out, 'utf8')) as RunReport;
  // `run --html` writes the same page as `report --html` for the run's own report.
  const page = await readFile(html, 'utf8');
  assert.ok(page.startsWith('<!doctype html>'));
  assert.ok(page.includes(report.run.id), 'the run is on its page');
  const ws = report.transports.websocket!;
  assert.ok(ws.timeline && ws.timeline.intervals.length > 0, 'the engine wrote a timeline');
  const publishing = ws.phases.find((p) => p.name === 'publishing')!;
  report.run.incidents = [
    {
      atMs: Math.round((publishing.startMs + publishing.endMs) / 2),
      kind: 'subscriber-dropped',
      detail: 'placed by the test (renderer input)',
    },
  ];
  reports[name] = report;
  await writeFile(join(dir, `${name}.json`), JSON.stringify(report));
}

before(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: apt-get install chromium (.ci/run installs it), or set WSBENCH_CHROMIUM`);
  dir = await mkdtemp(join(tmpdir(), 'wsbench-html-'));
  await mkdir(ARTIFACTS, { recursive: true });
  redis = await startTestRedis();
  await realRun('base', '100');
  await realRun('cur', '150');
});

after(async () => {
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Loaded {
  page: Page;
  problems: string[];
  requests: string[];
}

/** Opens a file in a fresh headless Chromium profile, collecting console errors, page errors and requests. */
async function withPage<T>(file: string, use: (loaded: Loaded) => Promise<T>, colorScheme: 'light' | 'dark' = 'light'): Promise<T> {
  const profile = await mkdtemp(join(tmpdir(), 'wsbench-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 1000 },
      colorScheme,
      timeout: 60_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`, { timeout: 30_000 });
    await page.waitForSelector('html[data-charts-drawn]', { timeout: 30_000 });
    return await use({ page, problems, requests });
  } finally {
    await context?.close();
    await rm(profile, { recursive: true, force: true });
  }
}

interface ChartState {
  id: string;
  width: number;
  height: number;
  /** Legend labels and colours (the x row left out). */
  series: { label: string; colour: [number, number, number] }[];
  /** Pixels of each series' colour on the canvas, in legend order. */
  pixels: number[];
}

/** Every chart's legend and how many canvas pixels carry each series' colour. */
function chartStates(page: Page): Promise<ChartState[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('figure.chart')].map((figure) => {
      const canvas = figure.querySelector<PageCanvas>('canvas');
      const rows = [...figure.querySelectorAll('.u-legend .u-series')].slice(1);
      const series = rows.map((row) => {
        const marker = row.querySelector('.u-marker')!;
        const rgb = /rgba?\((\d+), (\d+), (\d+)/.exec(getComputedStyle(marker).borderColor)!;
        return {
          label: row.querySelector('.u-label')!.textContent ?? '',
          colour: [+rgb[1]!, +rgb[2]!, +rgb[3]!] as [number, number, number],
        };
      });
      const pixels = series.map(() => 0);
      if (canvas) {
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let p = 0; p < data.length; p += 4) {
          if (data[p + 3]! < 200) continue;
          series.forEach((s, i) => {
            if (Math.abs(data[p]! - s.colour[0]) + Math.abs(data[p + 1]! - s.colour[1]) + Math.abs(data[p + 2]! - s.colour[2]) < 24)
              pixels[i]!++;
          });
        }
      }
      return { id: figure.dataset['chart'] ?? '', width: canvas?.width ?? 0, height: canvas?.height ?? 0, series, pixels };
    }),
  );
}

test('wsbench report --hlog: HistogramLogProcessor reads one line per timeline interval, counts add up, connect in the connect phase', async () => {
  const hlog = join(dir, 'cur.hlog');
  const result = await runCli(['report', join(dir, 'cur.json'), '--hlog', hlog], { timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  const ws = reports.cur.transports.websocket!;
  const timeline = ws.timeline!;

  const rows = (tag?: string) => processLogRows(hlog, join(dir, `processed-${tag ?? 'default'}`), tag);

  // Default (untagged) = websocket fan-out: one line per interval, Int_Count per interval, Total_Count at the end.
  const fanout = await rows();
  assert.equal(fanout.length, timeline.intervals.length, 'one line per interval');
  assert.deepEqual(
    fanout.map((r) => r[1]),
    timeline.intervals.map((i) => i.fanoutLatencyMs.count),
  );
  assert.equal(fanout[fanout.length - 1]![5], ws.fanoutLatencyMs.count, 'the intervals add up to the run');
  assert.equal(fanout[fanout.length - 1]![fanout[0]!.length - 1], ws.fanoutLatencyMs.max, 'the same max as the report (ms)');

  // Connect lines: at their own intervals, inside the connect phase, adding up to every handshake.
  const connect = await rows('websocket.connect');
  const connecting = ws.phases.find((p) => p.name === 'connecting')!;
  const withConnect = timeline.intervals.filter((i) => i.connect);
  assert.equal(connect.length, withConnect.length);
  assert.ok(connect.length > 0);
  const runStartSec = 0;
  for (const [k, row] of connect.entries()) {
    // HistogramLogProcessor stamps a line with its interval's end, seconds since StartTime.
    const end = runStartSec + (withConnect[k]!.startMs + timeline.intervalMs) / 1000;
    assert.ok(Math.abs(row[0]! - end) < 0.0015, `connect line ${k} ends at ${row[0]} s, its interval at ${end} s`);
    assert.ok(withConnect[k]!.startMs < connecting.endMs, 'in the connect phase, not the publishing window');
  }
  assert.equal(connect[connect.length - 1]![5], ws.connectLatencyMs.count);
});

test('wsbench report --html: the page in headless Chromium — no errors, no request, every chart painted, tooltips, log axis, dark scheme', async () => {
  const html = join(dir, 'cur.html');
  const result = await runCli(['report', join(dir, 'cur.json'), '--html', html], { timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, '');

  await withPage(html, async ({ page, problems, requests }) => {
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [`file://${html}`], 'nothing but the file itself');
    const charts = await chartStates(page);
    assert.deepEqual(
      charts.map((c) => c.id),
      [
        'latency-over-time',
        'throughput-over-time',
        'connections-over-time',
        'errors-over-time',
        'tool-over-time',
        // The run's own reference server answered /stats in every interval.
        'server-memory-over-time',
        'latency-distribution',
        'recipient-spread',
        'connect-distribution',
      ],
    );
    for (const c of charts) {
      assert.ok(c.width > 300 && c.height > 200, `${c.id}: a canvas`);
      assert.ok(c.series.length > 0, `${c.id}: a legend`);
      // Painted: each chart shows its first series' colour along a line, not just axes.
      assert.ok(c.pixels[0]! >= 30, `${c.id}: ${c.series[0]!.label} painted (${c.pixels[0]} px)`);
    }
    const latency = charts[0]!;
    assert.deepEqual(
      latency.series.map((s) => s.label),
      ['p50', 'p90', 'p99', 'max'],
    );
    assert.ok(
      latency.pixels.every((n) => n > 0),
      `every percentile line painted: ${latency.pixels.join(', ')}`,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'report-light.png'), fullPage: true });

    // A tooltip with exact values where the cursor is.
    const plot = page.locator('[data-chart="latency-distribution"] .u-over');
    const box = (await plot.boundingBox())!;
    await plot.hover({ position: { x: box.width * 0.3, y: box.height / 2 } });
    const tip = page.locator('[data-chart="latency-distribution"] .tip');
    await tip.waitFor({ state: 'visible', timeout: 5_000 });
    assert.match((await tip.textContent()) ?? '', /%websocket: [\d.,]+ ms/);

    // The log axis: every chart drawn again, still painted, still no error.
    await page.check('#log-scale');
    await page.waitForFunction(() => [...document.querySelectorAll('.uplot')].length === 9);
    const logged = await chartStates(page);
    assert.ok(logged[0]!.pixels[0]! >= 30, 'latency over time painted on the log axis');
    assert.deepEqual(problems, []);
  });

  await withPage(
    html,
    async ({ page, problems }) => {
      const charts = await chartStates(page);
      assert.deepEqual(problems, []);
      for (const c of charts) assert.ok(c.pixels[0]! >= 30, `${c.id}: painted in the dark scheme`);
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(background, 'rgb(13, 17, 23)', 'the dark scheme');
      await page.screenshot({ path: join(ARTIFACTS, 'report-dark.png'), fullPage: true });
    },
    'dark',
  );
});

test('wsbench report base.json cur.json --html: both runs overlaid on the same axes with a legend', async () => {
  const html = join(dir, 'overlay.html');
  const result = await runCli(['report', join(dir, 'base.json'), join(dir, 'cur.json'), '--html', html], { timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);

  await withPage(html, async ({ page, problems, requests }) => {
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [`file://${html}`]);
    const charts = new Map((await chartStates(page)).map((c) => [c.id, c]));
    const latency = charts.get('latency-over-time')!;
    assert.deepEqual(
      latency.series.map((s) => s.label),
      ['base p99', 'base p50', 'cur p99', 'cur p50'],
    );
    assert.notDeepEqual(latency.series[0]!.colour, latency.series[2]!.colour, 'a colour per run');
    assert.ok(latency.pixels[0]! > 0 && latency.pixels[2]! > 0, `both runs' p99 painted: ${latency.pixels.join(', ')}`);
    const distribution = charts.get('latency-distribution')!;
    assert.deepEqual(
      distribution.series.map((s) => s.label),
      ['base', 'cur'],
    );
    assert.ok(
      distribution.pixels.every((n) => n >= 30),
      `both distributions painted: ${distribution.pixels.join(', ')}`,
    );
    const throughput = charts.get('throughput-over-time')!;
    assert.equal(throughput.series.length, 4, 'deliveries/s and publishes/s of each run');
    // The comparison table has a column per run.
    const head = await page.locator('#figures thead th').allTextContents();
    assert.deepEqual(head, ['', 'base', 'cur']);
    await page.screenshot({ path: join(ARTIFACTS, 'overlay.png'), fullPage: true });
  });
});

test('wsbench report: a missing or foreign file is a config error (exit 2); several reports cannot share one .hlog', async () => {
  const missing = await runCli(['report', join(dir, 'nope.json'), '--html', join(dir, 'x.html')], { timeoutMs: 20_000 });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^wsbench: error: .*nope\.json: file not found\n$/);
  const two = await runCli(['report', join(dir, 'base.json'), join(dir, 'cur.json'), '--hlog', join(dir, 'x.hlog')], { timeoutMs: 20_000 });
  assert.equal(two.code, 2);
  assert.match(two.stderr, /--hlog: an \.hlog holds one report; got 2/);
  const text = await runCli(['report', join(dir, 'cur.json')], { timeoutMs: 20_000 });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^wsbench .* quickstart/);
});
