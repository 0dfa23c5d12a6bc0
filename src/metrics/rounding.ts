/**
 * How figures are rounded for reports and snapshots, in one place: milliseconds to three decimals
 * (microsecond resolution, the histograms' unit), ratios and load averages to two.
 */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
