/**
 * Capacity search, like a ramp test: step the load (connections or publish rate) up
 * geometrically until a condition breaks, then narrow down between the last good and the first
 * bad step. The probe (one full run + the condition) is injected, so the stepping is tested
 * without running anything.
 */
import { WsbenchError } from '../errors.js';

export interface SearchOptions {
  /** First load to try. */
  start: number;
  /** Each step multiplies the load by this (> 1). */
  factor: number;
  /** Never try more than this. */
  max: number;
  /** Bisection steps between the last good and the first bad load. */
  refinements: number;
}

export interface SearchStep<T> {
  load: number;
  ok: boolean;
  detail: T;
}

export interface SearchResult<T> {
  /** Highest load that met the condition (null when even `start` failed). */
  lastGood: number | null;
  /** Lowest load that broke it (null when `max` still held). */
  firstBad: number | null;
  steps: SearchStep<T>[];
}

export async function searchCapacity<T>(
  options: SearchOptions,
  probe: (load: number) => Promise<{ ok: boolean; detail: T }>,
  shouldStop: () => boolean = () => false,
): Promise<SearchResult<T>> {
  // The CLI checks --capacity-factor first: reaching this is a bug.
  if (!(options.factor > 1)) throw new WsbenchError('INTERNAL', 'capacity search: factor must be greater than 1');
  const steps: SearchStep<T>[] = [];
  let lastGood: number | null = null;
  let firstBad: number | null = null;
  const tryLoad = async (load: number) => {
    const outcome = await probe(load);
    steps.push({ load, ...outcome });
    if (outcome.ok) lastGood = Math.max(lastGood ?? 0, load);
    else firstBad = Math.min(firstBad ?? Number.POSITIVE_INFINITY, load);
    return outcome.ok;
  };

  let load = Math.max(1, Math.round(options.start));
  for (;;) {
    if (shouldStop()) return { lastGood, firstBad, steps };
    const ok = await tryLoad(load);
    if (!ok || load >= options.max) break;
    load = Math.min(options.max, Math.max(load + 1, Math.round(load * options.factor)));
  }
  for (let i = 0; i < options.refinements && lastGood !== null && firstBad !== null && !shouldStop(); i++) {
    const middle = Math.round((lastGood + firstBad) / 2);
    if (middle <= lastGood || middle >= firstBad) break;
    await tryLoad(middle);
  }
  return { lastGood, firstBad, steps };
}
