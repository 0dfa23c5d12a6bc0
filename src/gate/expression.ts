/**
 * The threshold grammar. Pure: text in, a checked threshold (or an error with its position) out,
 * and evaluation over a RunReport.
 *
 *   threshold := sum CMP sum                      CMP: <  <=  >  >=  ==  !=
 *   sum       := product (("+" | "-") product)*
 *   product   := unary (("*" | "/") unary)*
 *   unary     := "-" unary | atom
 *   atom      := NUMBER [UNIT] | METRIC | "(" sum ")"
 *   NUMBER    := digits ["." digits] ["e" ["+"|"-"] digits] [k | M]       (20k = 20000)
 *   UNIT      := us | µs | ms | s | %                                      (time → ms)
 *   METRIC    := [transport "."] name                  e.g. fanout.p99, longpoll.fanout.p50
 *
 * Units are checked: a time (`50ms`) only compares with latencies, `%` with ratios (0.1% of a
 * ratio is 0.001), with CPU percentages (90% is 90) or with a quotient of two metrics (300% = 3);
 * a bare number is in the metric's own unit (ms, 0..1, %, count, per second).
 *
 * Bounded: at most MAX_THRESHOLD_LENGTH characters and MAX_THRESHOLD_DEPTH nested parentheses or
 * signs, so no input can exhaust the stack of the parser or of the evaluation.
 */
import { lookupMetric, readMetric, type Dimension, type MetricRef } from './metrics.js';
import type { RunReport } from '../results/types.js';
import { ConfigError } from '../errors.js';

export type CmpOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
type ArithOp = '+' | '-' | '*' | '/';

export type Expr =
  | { kind: 'number'; value: number; pos: number; end: number }
  | { kind: 'metric'; ref: MetricRef; pos: number; end: number }
  | { kind: 'neg'; operand: Expr; pos: number; end: number }
  | { kind: 'binary'; op: ArithOp; left: Expr; right: Expr; pos: number; end: number };

export interface Threshold {
  /** The expression as written. */
  source: string;
  left: Expr;
  op: CmpOp;
  right: Expr;
  /** Dimension both sides are compared in. */
  dim: Dimension;
}

/**
 * A problem in an expression (a config error, exit 2); `offset` is the 0-based character position
 * in the source, so callers can point at it in the scenario file or the flag.
 */
export class ThresholdSyntaxError extends ConfigError {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ThresholdSyntaxError';
  }
}

/** The expression for an error message: whole when short, else the part around `offset` with "…". */
export function excerpt(source: string, offset: number, width = 60): string {
  if (source.length <= width) return source;
  const start = Math.max(0, Math.min(offset - width / 2, source.length - width));
  return `${start > 0 ? '…' : ''}${source.slice(start, start + width)}${start + width < source.length ? '…' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { type: 'number'; value: number; unit: Unit | null; pos: number; end: number; text: string }
  | { type: 'ident'; text: string; pos: number; end: number }
  | { type: 'op'; text: CmpOp | ArithOp | '(' | ')'; pos: number; end: number }
  | { type: 'end'; pos: number; end: number; text: '' };

type Unit = 'us' | 'ms' | 's' | '%';
const TIME_UNITS_MS: Record<Exclude<Unit, '%'>, number> = { us: 0.001, ms: 1, s: 1000 };

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i))!;
      let value = Number(m[0]);
      i += m[0].length;
      const suffix = /^[A-Za-zµ%]+/.exec(source.slice(i))?.[0] ?? '';
      let unit: Unit | null = null;
      if (suffix !== '') {
        const multiplier = suffix === 'k' ? 1e3 : suffix === 'M' ? 1e6 : undefined;
        if (multiplier !== undefined) value *= multiplier;
        else if (suffix === 'us' || suffix === 'µs') unit = 'us';
        else if (suffix === 'ms' || suffix === 's' || suffix === '%') unit = suffix;
        else throw new ThresholdSyntaxError(`unknown unit "${suffix}" (use us, ms, s, % or a k/M multiplier)`, i);
        i += suffix.length;
      }
      tokens.push({ type: 'number', value, unit, pos: start, end: i, text: source.slice(start, i) });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*/.exec(source.slice(i))!;
      i += m[0].length;
      tokens.push({ type: 'ident', text: m[0], pos: start, end: i });
      continue;
    }
    const two = source.slice(i, i + 2);
    if (two === '<=' || two === '>=' || two === '==' || two === '!=') {
      tokens.push({ type: 'op', text: two, pos: start, end: i + 2 });
      i += 2;
      continue;
    }
    if (c === '=') throw new ThresholdSyntaxError('"=" is not an operator (use == to compare)', i);
    if ('<>+-*/()'.includes(c)) {
      tokens.push({ type: 'op', text: c as '<', pos: start, end: i + 1 });
      i++;
      continue;
    }
    throw new ThresholdSyntaxError(`unexpected character "${c}"`, i);
  }
  tokens.push({ type: 'end', pos: source.length, end: source.length, text: '' });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser: recursive descent; untyped literals keep their unit until checking.

type Raw =
  | { kind: 'literal'; value: number; unit: Unit | null; pos: number; end: number }
  | { kind: 'metric'; ref: MetricRef; pos: number; end: number }
  | { kind: 'neg'; operand: Raw; pos: number; end: number }
  | { kind: 'binary'; op: ArithOp; left: Raw; right: Raw; pos: number; end: number };

const CMP_OPS: readonly string[] = ['<', '<=', '>', '>=', '==', '!='];

export const MAX_THRESHOLD_LENGTH = 1000;
export const MAX_THRESHOLD_DEPTH = 32;

export function parseThreshold(source: string): Threshold {
  if (source.trim() === '') throw new ThresholdSyntaxError('empty threshold (e.g. "fanout.p99 < 50ms")', 0);
  if (source.length > MAX_THRESHOLD_LENGTH)
    throw new ThresholdSyntaxError(
      `a threshold is at most ${MAX_THRESHOLD_LENGTH} characters (this one is ${source.length})`,
      MAX_THRESHOLD_LENGTH,
    );
  const tokens = tokenize(source);
  let at = 0;
  let depth = 0;
  const deeper = (t: Token) => {
    if (++depth > MAX_THRESHOLD_DEPTH) throw new ThresholdSyntaxError(`nested more than ${MAX_THRESHOLD_DEPTH} levels deep`, t.pos);
  };
  const peek = () => tokens[at]!;
  const next = () => tokens[at++]!;
  const describe = (t: Token) => (t.type === 'end' ? 'the end' : `"${t.text}"`);

  const atom = (): Raw => {
    const t = next();
    if (t.type === 'number') return { kind: 'literal', value: t.value, unit: t.unit, pos: t.pos, end: t.end };
    if (t.type === 'ident') {
      const found = lookupMetric(t.text);
      if (!found.ok) throw new ThresholdSyntaxError(found.message, t.pos);
      return { kind: 'metric', ref: found.ref, pos: t.pos, end: t.end };
    }
    if (t.type === 'op' && t.text === '(') {
      deeper(t);
      const inner = sum();
      depth--;
      const close = next();
      if (close.type !== 'op' || close.text !== ')') throw new ThresholdSyntaxError(`expected ")" but found ${describe(close)}`, close.pos);
      return { ...inner, pos: t.pos, end: close.end };
    }
    throw new ThresholdSyntaxError(`expected a metric or a number but found ${describe(t)}`, t.pos);
  };
  const unary = (): Raw => {
    const t = peek();
    if (t.type === 'op' && t.text === '-') {
      next();
      deeper(t);
      const operand = unary();
      depth--;
      return { kind: 'neg', operand, pos: t.pos, end: operand.end };
    }
    return atom();
  };
  const product = (): Raw => {
    let left = unary();
    for (let t = peek(); t.type === 'op' && (t.text === '*' || t.text === '/'); t = peek()) {
      next();
      const right = unary();
      left = { kind: 'binary', op: t.text, left, right, pos: left.pos, end: right.end };
    }
    return left;
  };
  const sum = (): Raw => {
    let left = product();
    for (let t = peek(); t.type === 'op' && (t.text === '+' || t.text === '-'); t = peek()) {
      next();
      const right = product();
      left = { kind: 'binary', op: t.text, left, right, pos: left.pos, end: right.end };
    }
    return left;
  };

  const left = sum();
  const opToken = next();
  if (opToken.type !== 'op' || !CMP_OPS.includes(opToken.text)) {
    throw new ThresholdSyntaxError(`expected a comparison (<, <=, >, >=, ==, !=) but found ${describe(opToken)}`, opToken.pos);
  }
  const right = sum();
  const trailing = next();
  if (trailing.type !== 'end') throw new ThresholdSyntaxError(`unexpected ${describe(trailing)} after the comparison`, trailing.pos);
  if (!hasMetric(left) && !hasMetric(right)) throw new ThresholdSyntaxError('a threshold must name at least one metric', 0);

  const l = check(left);
  const r = check(right);
  const dim = unify(l, r, right.pos, 'compare');
  return { source, left: finish(left, l, dim), op: opToken.text as CmpOp, right: finish(right, r, dim), dim };
}

function hasMetric(e: Raw): boolean {
  if (e.kind === 'metric') return true;
  if (e.kind === 'neg') return hasMetric(e.operand);
  if (e.kind === 'binary') return hasMetric(e.left) || hasMetric(e.right);
  return false;
}

// ---------------------------------------------------------------------------------------------
// Dimensions. `free` = a bare number (takes the other side's unit); `pct` = a `%` literal, whose
// scale depends on what it meets (÷100 for ratios and plain numbers, ×1 for CPU percent).

type Dim = Dimension | 'free' | 'pct';

function check(e: Raw): Dim {
  switch (e.kind) {
    case 'literal':
      return e.unit === null ? 'free' : e.unit === '%' ? 'pct' : 'duration';
    case 'metric':
      return e.ref.def.dim;
    case 'neg':
      return check(e.operand);
    case 'binary': {
      const l = check(e.left);
      const r = check(e.right);
      if ((e.op === '+' || e.op === '-') && l === 'free' && r === 'free') return 'free';
      if (e.op === '+' || e.op === '-') return unify(l, r, e.right.pos, e.op === '+' ? 'add' : 'subtract');
      const plain = (d: Dim) => d === 'free' || d === 'number' || d === 'pct';
      if (e.op === '*')
        return plain(l) ? (r === 'pct' ? 'number' : r === 'free' ? (l === 'pct' ? 'number' : l) : r) : plain(r) ? l : 'number';
      // Division: like over like is a plain number; anything over a plain number keeps its unit.
      if (l === r || (l === 'free' && r === 'free')) return l === 'free' ? 'free' : 'number';
      if (plain(r)) return l === 'pct' ? 'number' : l;
      return 'number';
    }
  }
}

const DIM_WORDS: Record<Dim, string> = {
  duration: 'a latency',
  ratio: 'a ratio',
  percent: 'a percentage',
  count: 'a count',
  rate: 'a rate',
  number: 'a plain number',
  free: 'a number',
  pct: 'a percentage',
};

function unify(a: Dim, b: Dim, pos: number, verb: string): Dimension {
  if (a === b) return a === 'free' ? 'number' : a === 'pct' ? 'number' : a;
  if (a === 'free') return b === 'pct' ? 'number' : (b as Dimension);
  if (b === 'free') return a === 'pct' ? 'number' : (a as Dimension);
  if (a === 'pct' || b === 'pct') {
    const other = a === 'pct' ? b : a;
    if (other === 'ratio' || other === 'percent' || other === 'number') return other;
  }
  throw new ThresholdSyntaxError(`cannot ${verb} ${DIM_WORDS[a]} and ${DIM_WORDS[b]}`, pos);
}

/** Turns literals into plain numbers in the unit they end up compared in. */
function finish(e: Raw, own: Dim, context: Dimension): Expr {
  switch (e.kind) {
    case 'literal': {
      let value = e.value;
      if (e.unit === '%') value = context === 'percent' ? value : value / 100;
      else if (e.unit !== null) value *= TIME_UNITS_MS[e.unit];
      return { kind: 'number', value, pos: e.pos, end: e.end };
    }
    case 'metric':
      return { kind: 'metric', ref: e.ref, pos: e.pos, end: e.end };
    case 'neg':
      return { kind: 'neg', operand: finish(e.operand, own, context), pos: e.pos, end: e.end };
    case 'binary': {
      const l = check(e.left);
      const r = check(e.right);
      // + and - share the context; * and / give each side its own (a % there is a factor).
      const sub = (side: Raw, d: Dim): Dimension =>
        e.op === '+' || e.op === '-' ? context : d === 'free' || d === 'pct' ? 'number' : (d as Dimension);
      return {
        kind: 'binary',
        op: e.op,
        left: finish(e.left, l, sub(e.left, l)),
        right: finish(e.right, r, sub(e.right, r)),
        pos: e.pos,
        end: e.end,
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export interface MetricReading {
  path: string;
  dim: Dimension;
  value: number | undefined;
  why?: string;
}

export type EvalResult = { ok: true; value: number } | { ok: false; why: string };

export function evaluateExpr(e: Expr, report: Pick<RunReport, 'transports'>, readings: MetricReading[] = []): EvalResult {
  switch (e.kind) {
    case 'number':
      return { ok: true, value: e.value };
    case 'metric': {
      const v = readMetric(report, e.ref);
      readings.push({ path: e.ref.path, dim: e.ref.def.dim, value: v.ok ? v.value : undefined, ...(v.ok ? {} : { why: v.why }) });
      return v.ok ? v : { ok: false, why: v.why };
    }
    case 'neg': {
      const v = evaluateExpr(e.operand, report, readings);
      return v.ok ? { ok: true, value: -v.value } : v;
    }
    case 'binary': {
      const l = evaluateExpr(e.left, report, readings);
      const r = evaluateExpr(e.right, report, readings);
      if (!l.ok) return l;
      if (!r.ok) return r;
      switch (e.op) {
        case '+':
          return { ok: true, value: l.value + r.value };
        case '-':
          return { ok: true, value: l.value - r.value };
        case '*':
          return { ok: true, value: l.value * r.value };
        case '/':
          return r.value === 0 ? { ok: false, why: 'division by zero' } : { ok: true, value: l.value / r.value };
      }
    }
  }
}

export function compare(left: number, op: CmpOp, right: number): boolean {
  switch (op) {
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '==':
      return left === right;
    case '!=':
      return left !== right;
  }
}
