/**
 * Scenario loading: YAML or JSON text → validated, resolved scenario. Every problem becomes a
 * ConfigError that names the file, line and column and the key (or the flag that set it); when
 * there are several, the message's first line says how many and each problem gets a line.
 *
 * Hostile or broken files are bounded: at most MAX_SCENARIO_BYTES, regular files only (see
 * text-file.ts), at most MAX_NESTING levels deep, aliases must be defined and may expand to at
 * most MAX_ALIAS_EXPANSION values in all (a "billion laughs" file is refused at its first alias
 * that goes over).
 */
import { isAlias, isCollection, isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigLocation } from '../errors.js';
import { redactScenario, rememberSecrets } from '../secrets.js';
import { scenarioSchema } from './schema.js';
import { resolveScenario, type Scenario } from './resolve.js';
import { applyOverrides, type Override } from './overrides.js';
import { readTextFile } from './text-file.js';
import { suggestKey } from './suggest.js';

/** Largest scenario file read (a real one is a few KiB). */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
/** Deepest nesting of mappings and lists (a real scenario has 4). */
export const MAX_NESTING = 32;
/** Values a document may have once its aliases are expanded. */
export const MAX_ALIAS_EXPANSION = 10_000;

export async function loadScenarioFile(file: string, overrides: Override[] = []): Promise<Scenario> {
  const text = await readTextFile(file, MAX_SCENARIO_BYTES);
  return parseScenarioText(text, file, overrides);
}

/** Parses and validates scenario text; `file` is only used in messages. */
export function parseScenarioText(text: string, file: string, overrides: Override[] = []): Scenario {
  const lineCounter = new LineCounter();
  const at = (offset: number | undefined): ConfigLocation => {
    const pos = offset === undefined ? { line: 1, col: 1 } : lineCounter.linePos(offset);
    return { file, line: pos.line, column: pos.col };
  };
  // The YAML parser recurses per level: a 50,000-deep "[[[[…" can exhaust the stack inside it (and
  // V8 may then fail fatally compiling a regular expression). Deep text never reaches it.
  const tooDeep = firstTooDeep(text);
  if (tooDeep !== undefined) {
    // The line counter is filled by the parser, which has not run: count lines here.
    const before = text.slice(0, tooDeep);
    const line = before.split('\n').length;
    throw new ConfigError(`nested too deeply (at most ${MAX_NESTING} levels)`, { file, line, column: tooDeep - before.lastIndexOf('\n') });
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    throw new ConfigError(
      `invalid ${looksLikeJson(file, text) ? 'JSON/YAML' : 'YAML'}: ${syntaxDetail(syntax.code, syntax.message)}`,
      at(syntax.pos[0]),
    );
  }
  checkShape(doc, at);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: -1 }) ?? {};
  } catch (e) {
    // checkShape catches what is known to throw here; anything else still gets a place and one line.
    throw new ConfigError(`cannot read the document: ${firstLine((e as Error).message)}`, at(undefined), { cause: e });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('a scenario must be a mapping of keys (target, clients, publish, …)', { file, line: 1, column: 1 });
  }
  raw = applyOverrides(raw as Record<string, unknown>, overrides);
  // Before validation, so no problem line can print a header value or a password.
  rememberSecrets(redactScenario(raw).secrets);

  const result = scenarioSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const problems = firstPerKey(result.error.issues.flatMap((issue) => locateIssue(issue, doc, lineCounter, file, overrides, raw)));
    problems.sort(compareLocations);
    if (problems.length === 1) throw new ConfigError(problems[0]!.detail, problems[0]!.location);
    const lines = problems.map((p) => `  ${new ConfigError(p.detail, p.location).message}`);
    throw new ConfigError(`${problems.length} problems:\n${lines.join('\n')}`, file ? { file } : {});
  }
  return resolveScenario(result.data, file, raw);
}

/**
 * Offset of the first place the text nests deeper than MAX_NESTING, judged before parsing (so it
 * may only overestimate): open flow brackets outside quotes and comments, or a line indented
 * past MAX_INDENT columns, or more than MAX_NESTING compact sequence dashes ("- - - x").
 */
const MAX_INDENT = 4 * MAX_NESTING;
function firstTooDeep(text: string): number | undefined {
  let depth = 0;
  let quote: string | null = null;
  let lineStart = true;
  let indent = 0;
  let dashes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      lineStart = true;
      indent = 0;
      dashes = 0;
      continue;
    }
    if (lineStart) {
      if (c === ' ') {
        if (++indent > MAX_INDENT) return i;
        continue;
      }
      if (c === '-' && (text[i + 1] === ' ' || text[i + 1] === '\t')) {
        if (++dashes > MAX_NESTING) return i;
        indent++;
        continue;
      }
      lineStart = false;
    }
    if (quote) {
      if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = null;
      } else if (c === '\\' && quote === '"') i++;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_NESTING) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return undefined;
}

/** Friendlier words for the YAML library's errors that name its own API. */
function syntaxDetail(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'a scenario is one document (found a second one after "---")';
  if (code === 'RESOURCE_EXHAUSTION') return `nested too deeply (at most ${MAX_NESTING} levels)`;
  return firstLine(message);
}

/** Nesting depth and aliases, checked on the document before anything expands it. */
function checkShape(doc: Document, at: (offset: number | undefined) => ConfigLocation): void {
  // Depth, iteratively: the document may be deep enough to overflow a recursive walk.
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 1 }];
  const aliases: Node[] = [];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (isAlias(node)) aliases.push(node);
    if (isPair(node)) {
      stack.push({ node: node.value, depth }, { node: node.key, depth });
      continue;
    }
    if (!isCollection(node)) continue;
    if (depth > MAX_NESTING) throw new ConfigError(`nested too deeply (at most ${MAX_NESTING} levels)`, at(node.range?.[0]));
    for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i], depth: depth + 1 });
  }
  // Expanded size of each anchored node, memoized; aliases in document order.
  const sizes = new Map<unknown, number>();
  const inProgress = new Set<unknown>();
  const sizeOf = (node: unknown): number => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      return target === undefined ? 1 : sizeOf(target);
    }
    if (isPair(node)) return sizeOf(node.key) + sizeOf(node.value);
    if (!isCollection(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (inProgress.has(node)) return Infinity;
    inProgress.add(node);
    let total = 1;
    for (const item of node.items) {
      total += sizeOf(item);
      if (total > MAX_ALIAS_EXPANSION) break;
    }
    inProgress.delete(node);
    sizes.set(node, total);
    return total;
  };
  aliases.sort((a, b) => (a.range?.[0] ?? 0) - (b.range?.[0] ?? 0));
  let expanded = 0;
  for (const alias of aliases) {
    if (!isAlias(alias)) continue;
    const target = alias.resolve(doc);
    if (target === undefined)
      throw new ConfigError(`undefined alias *${alias.source} (no anchor &${alias.source} before it)`, at(alias.range?.[0]));
    const size = sizeOf(target);
    if (size === Infinity) throw new ConfigError(`alias *${alias.source} refers to itself`, at(alias.range?.[0]));
    expanded += size;
    if (expanded > MAX_ALIAS_EXPANSION) {
      throw new ConfigError(
        `aliases expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')} values (at *${alias.source}): refused as an alias bomb`,
        at(alias.range?.[0]),
      );
    }
  }
}

interface LocatedProblem {
  detail: string;
  location: ConfigLocation;
}

function locateIssue(
  issue: z.core.$ZodIssue,
  doc: Document,
  lineCounter: LineCounter,
  file: string,
  overrides: Override[],
  raw: unknown,
): LocatedProblem[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const place = (keyPath: (string | number)[], node: Node | undefined, detail: string): LocatedProblem => {
    const fromFlag = overrides.find((o) => startsWith(keyPath, o.path));
    if (fromFlag) return { detail, location: { key: fromFlag.flag } };
    const location: ConfigLocation = { file, key: formatPath(keyPath) || '(top level)' };
    let offset = node?.range?.[0];
    if (offset !== undefined && isScalar(node) && issue.code === 'custom' && typeof issue.params?.['offset'] === 'number') {
      // A problem inside a string value (a threshold expression): point at the character itself.
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      if (quoted || node.type === 'PLAIN') offset += (quoted ? 1 : 0) + issue.params['offset'];
    }
    const pos = offset !== undefined ? lineCounter.linePos(offset) : { line: 1, col: 1 };
    location.line = pos.line;
    location.column = pos.col;
    return { detail, location };
  };

  if (issue.code === 'unrecognized_keys') {
    // One problem per unknown key, each at its own place, with the closest known key if any.
    return issue.keys.map((unknown) => {
      const suggestion = suggestKey(scenarioSchema, path, unknown, raw);
      return place(
        [...path, unknown],
        keyNode(doc, path, unknown),
        `unknown key "${unknown}"${suggestion ? `: did you mean ${suggestion}?` : ''}`,
      );
    });
  }
  let node = nodeAt(doc, path);
  // Missing value: point at the nearest enclosing mapping that exists.
  for (let i = path.length - 1; i >= 0 && !node; i--) node = nodeAt(doc, path.slice(0, i));
  return [place(path, node, describeIssue(issue))];
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && 'input' in issue && issue.input === undefined) {
    return issue.code === 'invalid_type' ? `is required (${issue.expected})` : 'is required';
  }
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}, got ${typeName(issue.input)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator) {
        const options = (issue as { options?: unknown[] }).options ?? [];
        return `must be one of ${options.map((v) => JSON.stringify(v)).join(', ')}`;
      }
      return issue.message;
    case 'invalid_key':
    case 'invalid_element':
      // A record's key (a header name) or a map element: the inner check says what is wrong.
      return issue.issues[0]?.message ?? issue.message;
    case 'too_small':
      return issue.origin === 'array'
        ? `needs at least ${issue.minimum} item(s)`
        : `must be ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `allows at most ${issue.maximum} item(s)`
        : `must be ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    default:
      return issue.message;
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function nodeAt(doc: Document, path: (string | number)[]): Node | undefined {
  if (path.length === 0) return (doc.contents as Node | null) ?? undefined;
  const found = doc.getIn(path, true);
  return found && typeof found === 'object' && 'range' in (found as object) ? (found as Node) : undefined;
}

function keyNode(doc: Document, mapPath: (string | number)[], key: string): Node | undefined {
  const map = nodeAt(doc, mapPath);
  if (!isMap(map)) return map;
  for (const pair of map.items) {
    if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === key) return pair.key;
  }
  return map;
}

export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

function startsWith(path: readonly (string | number)[], prefix: readonly string[]): boolean {
  return prefix.length > 0 && prefix.every((p, i) => path[i] === p);
}

/** Several checks failing on one value say the same thing twice: keep the first for each key. */
function firstPerKey(problems: LocatedProblem[]): LocatedProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.location.file ?? ''}\0${p.location.key ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function compareLocations(a: LocatedProblem, b: LocatedProblem): number {
  // Flag problems first (the user just typed them), then by position in the file.
  const aFlag = a.location.file ? 1 : 0;
  const bFlag = b.location.file ? 1 : 0;
  if (aFlag !== bFlag) return aFlag - bFlag;
  return (a.location.line ?? 0) - (b.location.line ?? 0) || (a.location.column ?? 0) - (b.location.column ?? 0);
}

function firstLine(message: string): string {
  return message
    .split('\n')[0]!
    .replace(/\s+at line \d+, column \d+:?$/, '')
    .trim();
}

function looksLikeJson(file: string, text: string): boolean {
  return file.endsWith('.json') || text.trimStart().startsWith('{');
}
