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

/**
 * A measured figure with three significant digits, never in exponent notation and never rounded
 * away to zero: 66.5, 2.87, 0.00167, 1,235.
 */
export function fmtNum(n: number): string {
  if (n === 0 || !Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return fmtInt(n);
  return n.toLocaleString('en-US', { maximumSignificantDigits: 3, useGrouping: false });
}

/** A count in at most 5 characters for tight rows: 9,999 · 12.3k · 123k · 9.88M · 9.88B. */
export function fmtShort(n: number): string {
  const abs = Math.abs(n);
  if (abs < 10_000) return fmtInt(n);
  const [div, unit] = abs < 1e6 ? [1e3, 'k'] : abs < 1e9 ? [1e6, 'M'] : [1e9, 'B'];
  return `${(n / div).toLocaleString('en-US', { maximumSignificantDigits: 3 })}${unit}`;
}

/** An estimate, rounded to three significant digits: 113,507 → "114,000". */
export function fmtApprox(n: number): string {
  return n.toLocaleString('en-US', { maximumSignificantDigits: 3 });
}

/**
 * How many `unit`s each delivery cost, read the way round it is easier to grasp when it is less
 * than one: "1.2 HTTP requests per delivery", "1 HTTP request per 600 deliveries".
 */
export function fmtPerDelivery(count: number, deliveries: number, unit: string): string {
  if (deliveries <= 0) return `${plural(count, unit)}, no deliveries`;
  if (count === 0) return `no ${unit}s`;
  if (count >= deliveries) return `${fmtNum(count / deliveries)} ${count === deliveries ? unit : `${unit}s`} per delivery`;
  return `1 ${unit} per ${fmtNum(deliveries / count)} deliveries`;
}

export function fmtPercent(ratio: number, digits = 3): string {
  return `${(ratio * 100).toFixed(digits)}%`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${+(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${+(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${+(n / 1024 ** 3).toFixed(1)} GiB`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${fmtInt(n)} ${n === 1 ? one : many}`;
}
