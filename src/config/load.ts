/**
 * Scenario loading: YAML or JSON text → validated, resolved scenario. Every problem becomes a
 * ConfigError that names the file, line and column and the key (or the flag that set it).
 */
import { readFile } from 'node:fs/promises';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigLocation } from '../errors.js';
import { scenarioSchema } from './schema.js';
import { resolveScenario, type Scenario } from './resolve.js';
import { applyOverrides, type Override } from './overrides.js';

export async function loadScenarioFile(file: string, overrides: Override[] = []): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code ?? String(e)})`;
    throw new ConfigError(why, { file }, { cause: e });
  }
  return parseScenarioText(text, file, overrides);
}

/** Parses and validates scenario text; `file` is only used in messages. */
export function parseScenarioText(text: string, file: string, overrides: Override[] = []): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = lineCounter.linePos(syntax.pos[0]);
    const detail = firstLine(syntax.message);
    throw new ConfigError(`invalid ${looksLikeJson(file, text) ? 'JSON/YAML' : 'YAML'}: ${detail}`, {
      file,
      line: pos.line,
      column: pos.col,
    });
  }
  let raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('a scenario must be a mapping of keys (target, clients, publish, …)', { file, line: 1, column: 1 });
  }
  raw = applyOverrides(raw as Record<string, unknown>, overrides);

  const result = scenarioSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => locateIssue(issue, doc, lineCounter, file, overrides));
    problems.sort(compareLocations);
    const [first] = problems;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw new ConfigError(first!.detail + more, first!.location);
  }
  return resolveScenario(result.data, file, raw);
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
): LocatedProblem {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const fromFlag = overrides.find((o) => startsWith(path, o.path));
  let detail = describeIssue(issue);
  let keyPath = path;
  let node: Node | undefined;

  if (issue.code === 'unrecognized_keys') {
    const unknown = issue.keys[0]!;
    keyPath = [...path, unknown];
    node = keyNode(doc, path, unknown);
    detail = `unknown key "${unknown}"${
      issue.keys.length > 1
        ? ` (also ${issue.keys
            .slice(1)
            .map((k) => `"${k}"`)
            .join(', ')})`
        : ''
    }`;
  } else {
    node = nodeAt(doc, path);
    if (!node) {
      // Missing value: point at the nearest enclosing mapping that exists.
      for (let i = path.length - 1; i >= 0 && !node; i--) node = nodeAt(doc, path.slice(0, i));
    }
  }

  if (fromFlag) return { detail: `${detail} (from ${fromFlag.flag})`, location: { key: fromFlag.flag } };
  const location: ConfigLocation = { file, key: formatPath(keyPath) || '(top level)' };
  let offset = node?.range?.[0];
  if (offset !== undefined && isScalar(node) && issue.code === 'custom' && typeof issue.params?.['offset'] === 'number') {
    // A problem inside a string value (a threshold expression): point at the character itself.
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
    if (quoted || node.type === 'PLAIN') offset += (quoted ? 1 : 0) + issue.params['offset'];
  }
  if (offset !== undefined) {
    const pos = lineCounter.linePos(offset);
    location.line = pos.line;
    location.column = pos.col;
  } else {
    location.line = 1;
    location.column = 1;
  }
  return { detail, location };
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
