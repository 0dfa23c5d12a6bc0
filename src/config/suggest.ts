/**
 * "did you mean `connections`?" for an unknown scenario key: the closest key the schema allows at
 * that place (by edit distance), else the closest key anywhere in the schema with where it goes.
 * Reads the zod schema's structure, so it knows every key the validator knows and no other.
 */
import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: readonly z.ZodType[];
  discriminator?: string;
  element?: z.ZodType;
  valueType?: z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The object schemas a value at `path` may be checked against (unions give several). */
function objectsAt(schema: z.ZodType, path: readonly (string | number)[], raw: unknown): Def[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
    case 'readonly':
      return objectsAt(def.innerType!, path, raw);
    case 'pipe':
      return objectsAt(def.in!, path, raw);
    case 'union': {
      let options = def.options ?? [];
      // A discriminated union (target.kind): only the member the value names.
      if (def.discriminator && raw && typeof raw === 'object') {
        const chosen = options.filter((o) => {
          const d = defOf(o);
          const literal = d.shape?.[def.discriminator!];
          const values = literal ? (defOf(literal) as { values?: unknown[] }).values : undefined;
          return values?.includes((raw as Record<string, unknown>)[def.discriminator!]);
        });
        if (chosen.length > 0) options = chosen;
      }
      return options.flatMap((o) => objectsAt(o, path, raw));
    }
    case 'object': {
      if (path.length === 0) return [def];
      const [head, ...rest] = path;
      const next = def.shape?.[String(head)];
      const child = raw && typeof raw === 'object' ? (raw as Record<string, unknown>)[String(head)] : undefined;
      return next ? objectsAt(next, rest, child) : [];
    }
    case 'array':
      return path.length > 0 && def.element
        ? objectsAt(def.element, path.slice(1), Array.isArray(raw) ? raw[Number(path[0])] : undefined)
        : [];
    case 'record':
      return path.length > 0 && def.valueType ? objectsAt(def.valueType, path.slice(1), undefined) : [];
    default:
      return [];
  }
}

/** Every key anywhere in the schema, with the dotted path of the mapping it belongs to. */
function allKeys(schema: z.ZodType, where: string, out: Map<string, string>, seen: Set<unknown>): void {
  if (seen.has(schema)) return;
  seen.add(schema);
  const def = defOf(schema);
  if (def.innerType) allKeys(def.innerType, where, out, seen);
  if (def.in) allKeys(def.in, where, out, seen);
  for (const o of def.options ?? []) allKeys(o, where, out, seen);
  if (def.element) allKeys(def.element, where, out, seen);
  if (def.type === 'object') {
    for (const [key, child] of Object.entries(def.shape ?? {})) {
      if (!out.has(key)) out.set(key, where);
      allKeys(child, where ? `${where}.${key}` : key, out, seen);
    }
  }
}

/** Edit distance with adjacent transpositions (optimal string alignment), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) d[0]![j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[s.length]![t.length]!;
}

function closest(unknown: string, candidates: Iterable<string>): string | undefined {
  if (unknown.length > 64) return undefined;
  // Close enough to be a typo: a third of the word, at least 1 and at most 3 edits.
  const limit = Math.min(3, Math.max(1, Math.floor(unknown.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(unknown, c);
    if (d < bestDistance && d <= limit) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

const catalogs = new WeakMap<z.ZodType, Map<string, string>>();

/** `"connections"`, or `"connections" (under clients)` when it belongs elsewhere; undefined when nothing is close. */
export function suggestKey(schema: z.ZodType, mapPath: readonly (string | number)[], unknown: string, raw: unknown): string | undefined {
  const here = objectsAt(schema, mapPath, raw).flatMap((d) => Object.keys(d.shape ?? {}));
  const local = closest(unknown, here);
  if (local) return `"${local}"`;
  let keyCatalog = catalogs.get(schema);
  if (!keyCatalog) {
    keyCatalog = new Map();
    allKeys(schema, '', keyCatalog, new Set());
    catalogs.set(schema, keyCatalog);
  }
  const elsewhere = closest(unknown, keyCatalog.keys());
  if (!elsewhere) return undefined;
  const where = keyCatalog.get(elsewhere)!;
  return `"${elsewhere}" (${where ? `under ${where}` : 'at the top level'})`;
}
