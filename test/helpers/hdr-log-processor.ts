/**
 * HdrHistogram's own Java HistogramLogProcessor (Debian's `libhdrhistogram-java`, installed by
 * .ci/run with a JRE) run over an .hlog: what the reference implementation reads of our logs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export const HDR_JAR = '/usr/share/java/hdrhistogram.jar';

/**
 * The processor's CSV rows (numbers) for the lines of `tag` (untagged when not given): one row per
 * interval line — [end s, Int_Count, Int_50%, Int_90%, Int_Max, Total_Count, …] — values in ms.
 */
export async function processLogRows(hlog: string, out: string, tag?: string): Promise<number[][]> {
  if (!existsSync(HDR_JAR))
    throw new Error(`${HDR_JAR} not found: apt-get install libhdrhistogram-java (scripts/setup.sh --for tests installs it)`);
  const java = spawnSync(
    'java',
    [
      '-cp',
      HDR_JAR,
      'org.HdrHistogram.HistogramLogProcessor',
      '-i',
      hlog,
      '-o',
      out,
      '-csv',
      '-outputValueUnitRatio',
      '1000',
      ...(tag ? ['-tag', tag] : []),
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (java.error)
    throw new Error(
      `java failed to start (${java.error.message}): apt-get install default-jre-headless (scripts/setup.sh --for tests installs it)`,
    );
  assert.equal(java.status, 0, java.stderr);
  return (await readFile(out, 'utf8'))
    .split('\n')
    .filter((l) => /^\d/.test(l))
    .map((l) => l.split(',').map(Number));
}
