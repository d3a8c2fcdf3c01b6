/**
 * The string functions of the interpreter (../evaluate.ts), in characters (code points) as Flink
 * counts them, and the LIKE patterns and regular expressions they prepare once.
 */
import { constant, type Operation, strict } from './values.ts';

export const codePoints = (s: string) => Array.from(s);

/** The string functions: LIKE, UPPER, CONCAT, SUBSTRING, TRIM, REGEXP_EXTRACT, … (a table: one entry each). */
export const STRING_OPERATIONS: Record<string, Operation> = {
  like: ([a, p, e], _node, [, pattern, escapeExpr]) => {
    const fixed = constant(pattern);
    const fixedEscape = escapeExpr ? constant(escapeExpr) : undefined;
    const prepared =
      typeof fixed === 'string' && (escapeExpr === undefined || typeof fixedEscape === 'string')
        ? likeRegExp(fixed, fixedEscape as string | undefined)
        : undefined;
    return (context) => {
      const s = a!(context);
      if (s === null) return null;
      let regex = prepared;
      if (!regex) {
        const text = p!(context);
        const esc = e ? e(context) : undefined;
        if (text === null || esc === null) return null;
        regex = likeRegExp(text as string, esc as string | undefined);
        if (!regex) return null;
      }
      return regex.test(s as string);
    };
  },
  upper: strict((s) => (s as string).toUpperCase()),
  lower: strict((s) => (s as string).toLowerCase()),
  concat: strict((...parts) => parts.join('')),
  /** CONCAT_WS(sep, …): NULL when the separator is; NULL arguments are skipped. */
  concatWs:
    ([sep, ...args]) =>
    (context) => {
      const separator = sep!(context);
      if (separator === null) return null;
      const parts: string[] = [];
      for (const arg of args) {
        const v = arg(context);
        if (v !== null) parts.push(v as string);
      }
      return parts.join(separator as string);
    },
  /** SUBSTRING(s, start[, length]): 1-based in characters; a negative start counts from the end. */
  substring: strict((s, start, length) => {
    const chars = codePoints(s as string);
    const pos = Number(start as bigint);
    const len = length === undefined ? chars.length : Number(length as bigint);
    if (len < 0) return null;
    let from: number;
    if (pos > 0) from = pos - 1;
    else if (pos < 0) from = chars.length + pos;
    else from = 0;
    if (from < 0 || from >= chars.length) return '';
    return chars.slice(from, Math.min(chars.length, from + len)).join('');
  }),
  /** TRIM(mode, characters, s): mode 'BOTH' | 'LEADING' | 'TRAILING'; every character in `characters` is removed. */
  trim: strict((mode, characters, s) => {
    const set = new Set(codePoints(characters as string));
    const chars = codePoints(s as string);
    let start = 0;
    let end = chars.length;
    if (mode !== 'TRAILING') while (start < end && set.has(chars[start]!)) start++;
    if (mode !== 'LEADING') while (end > start && set.has(chars[end - 1]!)) end--;
    return chars.slice(start, end).join('');
  }),
  charLength: strict((s) => BigInt(codePoints(s as string).length)),
  replace: strict((s, search, replacement) =>
    (s as string).replaceAll(search as string, replacement as string),
  ),
  lpad: strict((s, length, pad) => padded(s as string, Number(length as bigint), pad as string, true)),
  rpad: strict((s, length, pad) => padded(s as string, Number(length as bigint), pad as string, false)),
  /** REGEXP_EXTRACT(s, regex, group): the group of the first match, NULL without one. */
  regexpExtract: ([s, r, g], _node, [, regex]) => {
    const fixed = constant(regex);
    const prepared = typeof fixed === 'string' ? safeRegExp(fixed) : undefined;
    return (context) => {
      const text = s!(context);
      const group = g ? g(context) : 0n;
      if (text === null || group === null) return null;
      let pattern = prepared;
      if (!pattern) {
        const source = r!(context);
        if (source === null) return null;
        pattern = safeRegExp(source as string);
        if (!pattern) return null;
      }
      const match = pattern.exec(text as string);
      const value = match?.[Number(group as bigint)];
      return value === undefined ? null : value;
    };
  },
};

function padded(s: string, length: number, pad: string, left: boolean): string | null {
  if (length < 0 || pad === '') return null;
  if (s.length >= length) return s.slice(0, length);
  let fill = '';
  while (fill.length < length - s.length) fill += pad;
  fill = fill.slice(0, length - s.length);
  return left ? fill + s : s + fill;
}

/** A LIKE pattern as a regular expression: `%` any text, `_` one character, the escape character quoting. */
export function likeRegExp(pattern: string, escapeChar?: string): RegExp | undefined {
  if (escapeChar !== undefined && codePoints(escapeChar).length !== 1) return undefined;
  let source = '';
  const chars = codePoints(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (escapeChar !== undefined && c === escapeChar) {
      const next = chars[++i];
      if (next === undefined) return undefined;
      source += next.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (c === '%') source += '[\\s\\S]*';
    else if (c === '_') source += '[\\s\\S]';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'u');
}

/** A regular expression (Unicode when it can be); undefined when the source is not one. */
export function safeRegExp(source: string): RegExp | undefined {
  try {
    return new RegExp(source, 'u');
  } catch {
    try {
      return new RegExp(source);
    } catch {
      return undefined;
    }
  }
}
