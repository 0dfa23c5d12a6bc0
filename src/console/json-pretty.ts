/**
 * Pretty-prints JSON text without going through JavaScript numbers, so 12345678901234567890 and
 * 0.1000000000000000055511 stay exactly as the server sent them. The text is first checked with
 * JSON.parse (validity only); then its own tokens are re-laid out with two-space indentation.
 */

/** The indented JSON, or null when `text` is not a JSON object or array. */
export function prettyJson(text: string, indent = '  '): string | null {
  const trimmed = text.trim();
  if (!(trimmed.startsWith('{') || trimmed.startsWith('['))) return null;
  try {
    JSON.parse(trimmed);
  } catch {
    return null;
  }
  let out = '';
  let depth = 0;
  let i = 0;
  const newline = () => '\n' + indent.repeat(depth);
  while (i < trimmed.length) {
    const ch = trimmed[i]!;
    if (ch === '"') {
      // Copy the string literal as is, escapes included.
      let j = i + 1;
      while (trimmed[j] !== '"') j += trimmed[j] === '\\' ? 2 : 1;
      out += trimmed.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '{' || ch === '[') {
      // Keep empty containers on one line.
      let j = i + 1;
      while (j < trimmed.length && /\s/.test(trimmed[j]!)) j++;
      const close = ch === '{' ? '}' : ']';
      if (trimmed[j] === close) {
        out += ch + close;
        i = j + 1;
        continue;
      }
      depth++;
      out += ch + newline();
    } else if (ch === '}' || ch === ']') {
      depth--;
      out += newline() + ch;
    } else if (ch === ',') {
      out += ',' + newline();
    } else if (ch === ':') {
      out += ': ';
    } else {
      // Numbers, true, false, null: copy the literal verbatim.
      let j = i;
      while (j < trimmed.length && !/[\s,\]}:]/.test(trimmed[j]!)) j++;
      out += trimmed.slice(i, j);
      i = j;
      continue;
    }
    i++;
  }
  return out;
}
