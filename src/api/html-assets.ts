/**
 * The chart library the HTML report embeds (uPlot's browser build and stylesheet), read from the
 * npm package installed with wsbench. The page itself is built by `htmlReport` (src/reporters/
 * html.ts), which does no I/O and takes these as an argument: a caller that bundles or pins its
 * own copy of uPlot passes that instead.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { WsbenchError, messageOf } from '../errors.js';
import type { HtmlAssets } from '../reporters/html.js';

export async function htmlAssets(): Promise<HtmlAssets> {
  const require = createRequire(import.meta.url);
  const read = (file: string) => readFile(require.resolve(`uplot/dist/${file}`), 'utf8');
  try {
    const [uplotJs, uplotCss] = await Promise.all([read('uPlot.iife.min.js'), read('uPlot.min.css')]);
    return { uplotJs, uplotCss };
  } catch (e) {
    throw new WsbenchError('SETUP', `cannot read the chart library (npm package uplot): ${messageOf(e)}; reinstall wsbench`, { cause: e });
  }
}
