/** Small number formatters shared by the text outputs. */

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Milliseconds with sensible precision: 0.412, 12.3, 1,204. */
export function fmtMs(ms: number): string {
  if (ms === 0) return '0';
  if (ms < 10) return ms.toFixed(3);
  if (ms < 100) return ms.toFixed(2);
  if (ms < 1000) return ms.toFixed(1);
  return fmtInt(ms);
}

export function fmtPercent(ratio: number, digits = 3): string {
  return `${(ratio * 100).toFixed(digits)}%`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${+(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${fmtInt(n)} ${n === 1 ? one : many}`;
}
