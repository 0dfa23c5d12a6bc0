/**
 * The HTML report's stylesheet: light and dark (prefers-color-scheme), and a print layout (light,
 * no controls, charts and tables kept whole on a page). The chart colours live in the page script
 * (html-script.ts), which reads --axis, --grid and friends from here.
 */
export const HTML_STYLE = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0; --card: #f6f8fa;
  --pass: #1a7f37; --fail: #cf222e; --warn: #9a6700; --axis: #59636e; --grid: rgba(31, 35, 40, 0.1);
  --incident: #cf222e; --phase: #8c959f; --tip-bg: rgba(255, 255, 255, 0.96);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d; --card: #151b23;
    --pass: #3fb950; --fail: #f85149; --warn: #d29922; --axis: #9198a1; --grid: rgba(230, 237, 243, 0.1);
    --incident: #f85149; --phase: #656c76; --tip-bg: rgba(21, 27, 35, 0.96);
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header, main { max-width: 1320px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 18px; display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 20px; }
h1 { font-size: 22px; margin: 0; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--border); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 6px; }
.sub, .note, figcaption, .muted { color: var(--muted); }
.note { margin: 6px 0; }
.controls { margin-left: auto; user-select: none; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 12px; margin-top: 12px; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 8px; padding: 12px 14px; }
.badge { display: inline-block; font-weight: 700; font-size: 12px; padding: 1px 8px; border-radius: 10px; border: 1px solid currentColor; margin-left: 6px; }
.pass { color: var(--pass); } .fail { color: var(--fail); } .warn { color: var(--warn); }
ul.checks { list-style: none; padding: 0; margin: 6px 0 0; }
ul.checks li { margin: 2px 0; }
ul.warnings { padding-left: 18px; margin: 8px 0; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--border); padding: 4px 10px; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
td .text { display: block; text-align: left; white-space: pre-wrap; word-break: break-word; }
thead th { border-bottom: 2px solid var(--border); }
.scroll { overflow-x: auto; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 16px; }
figure.chart { margin: 0; background: var(--card); border: 1px solid var(--border); border-radius: 8px; padding: 10px 12px; min-width: 0; }
figure.chart h3 { margin-bottom: 2px; }
figcaption { font-size: 12px; margin-bottom: 6px; }
.plot { position: relative; min-height: 120px; }
.verdict { margin: 4px 0 6px; font-size: 13px; }
.tip { position: absolute; z-index: 10; pointer-events: none; background: var(--tip-bg); color: var(--fg); border: 1px solid var(--border);
  border-radius: 6px; padding: 4px 8px; font-size: 12px; white-space: nowrap; font-variant-numeric: tabular-nums; box-shadow: 0 2px 8px rgba(0,0,0,.15); }
.tip b { font-weight: 600; }
.uplot .u-legend { font-size: 12px; text-align: left; }
.uplot .u-legend th { font-weight: 400; }
.uplot .u-legend td, .uplot .u-legend th { border: 0; padding: 1px 6px; text-align: left; }
.uplot .u-legend .u-value { font-variant-numeric: tabular-nums; }
pre { background: var(--card); border: 1px solid var(--border); border-radius: 6px; padding: 10px; overflow-x: auto; font-size: 12px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0; }
dt { color: var(--muted); }
dd { margin: 0; }
@media print {
  :root { color-scheme: light; --bg: #fff; --fg: #000; --muted: #444; --border: #bbb; --card: #fff; --axis: #333; --grid: rgba(0,0,0,.12); }
  body { font-size: 10pt; }
  header, main { max-width: none; padding: 0; }
  .controls, .tip { display: none !important; }
  .charts { display: block; }
  figure.chart, .card, table, dl { break-inside: avoid; page-break-inside: avoid; }
  figure.chart { margin-bottom: 12px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  details > pre { white-space: pre-wrap; }
}
`;
