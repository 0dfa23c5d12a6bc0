/**
 * A set of non-negative integers kept as sorted, disjoint, half-open ranges [from, to). Compact
 * for what it holds in practice: the sequence numbers a client is missing (a gap is one range
 * however long it is) and the publishes that failed (a Redis outage is one range). Adding at the
 * end — the common case, numbers arrive in order — is O(1); anything else is a binary search.
 * Pure.
 */
export class RangeSet {
  /** [from0, to0, from1, to1, …], from_k < to_k < from_k+1. */
  private bounds: number[] = [];
  private total = 0;

  /** A set from its ranges, in order and disjoint (as `ranges()` gives them). */
  static fromRanges(flat: ArrayLike<number>): RangeSet {
    const set = new RangeSet();
    for (let k = 0; k + 1 < flat.length; k += 2) set.addRange(flat[k]!, flat[k + 1]!);
    return set;
  }

  /** How many numbers the set holds. */
  get size(): number {
    return this.total;
  }

  /** How many separate ranges it is made of. */
  get rangeCount(): number {
    return this.bounds.length / 2;
  }

  /** One past the highest number held (0 when empty). */
  get end(): number {
    return this.bounds.length ? this.bounds[this.bounds.length - 1]! : 0;
  }

  has(n: number): boolean {
    const k = this.rangeAtOrBefore(n);
    return k >= 0 && n < this.bounds[2 * k + 1]!;
  }

  add(n: number): void {
    this.addRange(n, n + 1);
  }

  /** Adds every number in [from, to). */
  addRange(from: number, to: number): void {
    if (!(to > from)) return;
    const b = this.bounds;
    // In order: extend or append the last range.
    if (b.length === 0 || from >= b[b.length - 2]!) {
      if (b.length > 0 && from <= b[b.length - 1]!) {
        if (to > b[b.length - 1]!) {
          this.total += to - b[b.length - 1]!;
          b[b.length - 1] = to;
        }
        return;
      }
      b.push(from, to);
      this.total += to - from;
      return;
    }
    // Out of order: merge with every range it touches.
    let first = this.rangeAtOrBefore(from);
    if (first < 0 || b[2 * first + 1]! < from) first++;
    let last = first;
    let lo = from;
    let hi = to;
    let removed = 0;
    while (2 * last < b.length && b[2 * last]! <= to) {
      lo = Math.min(lo, b[2 * last]!);
      hi = Math.max(hi, b[2 * last + 1]!);
      removed += b[2 * last + 1]! - b[2 * last]!;
      last++;
    }
    b.splice(2 * first, 2 * (last - first), lo, hi);
    this.total += hi - lo - removed;
  }

  /** Removes `n`; returns whether it was there. */
  delete(n: number): boolean {
    const k = this.rangeAtOrBefore(n);
    if (k < 0) return false;
    const b = this.bounds;
    const from = b[2 * k]!;
    const to = b[2 * k + 1]!;
    if (n >= to) return false;
    this.total--;
    if (to - from === 1) b.splice(2 * k, 2);
    else if (n === from) b[2 * k] = n + 1;
    else if (n === to - 1) b[2 * k + 1] = n;
    else b.splice(2 * k + 1, 0, n, n + 1);
    return true;
  }

  /** How many numbers of [from, to) the set holds. */
  countIn(from: number, to: number): number {
    let count = 0;
    this.forEachIn(from, to, (a, b) => (count += b - a));
    return count;
  }

  /** Calls `visit(a, b)` for each range of the set, clipped to [from, to), in order. */
  forEachIn(from: number, to: number, visit: (from: number, to: number) => void): void {
    if (!(to > from)) return;
    const b = this.bounds;
    let k = Math.max(0, this.rangeAtOrBefore(from));
    for (; 2 * k < b.length && b[2 * k]! < to; k++) {
      const a = Math.max(from, b[2 * k]!);
      const e = Math.min(to, b[2 * k + 1]!);
      if (e > a) visit(a, e);
    }
  }

  /** Calls `visit(from, to)` for each range, in order. */
  forEach(visit: (from: number, to: number) => void): void {
    const b = this.bounds;
    for (let k = 0; k < b.length; k += 2) visit(b[k]!, b[k + 1]!);
  }

  /** The ranges as [from0, to0, from1, to1, …]. */
  ranges(): number[] {
    return [...this.bounds];
  }

  /** Index of the last range starting at or before `n`, or -1. */
  private rangeAtOrBefore(n: number): number {
    const b = this.bounds;
    let lo = 0;
    let hi = b.length / 2 - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (b[2 * mid]! <= n) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}
