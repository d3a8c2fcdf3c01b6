/**
 * JSON and structured values in the interpreter (../evaluate.ts): JSON_VALUE with its lax JSON
 * paths, an element of an array or object, CARDINALITY.
 */
import { constant, fromExternal, type Operation, readPath, strict, type Value } from './values.ts';

/**
 * A JSON path of the lax subset JSON_VALUE reads: `$`, `.key`, `."key"`, `['key']`, `[n]` (0-based).
 * Undefined when it is not one.
 */
export function parseJsonPath(path: string): Array<string | number> | undefined {
  const text = path.trim().replace(/^lax\s+/i, '');
  if (!text.startsWith('$')) return undefined;
  const steps: Array<string | number> = [];
  const step = /\.([A-Za-z_$][\w$]*)|\."((?:[^"\\]|\\.)*)"|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*(\d+)\s*\]/y;
  step.lastIndex = 1;
  while (step.lastIndex < text.length) {
    const start = step.lastIndex;
    const match = step.exec(text);
    if (!match || match.index !== start) return undefined;
    if (match[4] !== undefined) steps.push(Number(match[4]));
    else steps.push(match[1] ?? match[2] ?? match[3]!);
  }
  return steps;
}

/** JSON_VALUE, element access and CARDINALITY. */
export const JSON_OPERATIONS: Record<string, Operation> = {
  /** JSON_VALUE(json, path): the scalar at the path as text; NULL when absent, not scalar or not JSON. */
  jsonValue: ([j, p], _node, [x, path]) => {
    const fixed = constant(path);
    const prepared = typeof fixed === 'string' ? parseJsonPath(fixed) : undefined;
    const isText = x!.t.type === 'STRING';
    return (context) => {
      let document = j!(context);
      if (document === null) return null;
      let steps = prepared;
      if (!steps) {
        const text = p!(context);
        if (text === null) return null;
        steps = parseJsonPath(text as string);
        if (!steps) return null;
      }
      if (isText) {
        try {
          document = JSON.parse(document as string) as Value;
        } catch {
          return null;
        }
      }
      const found = readPath(document, steps);
      if (typeof found === 'string') return found;
      if (typeof found === 'number' || typeof found === 'boolean') return String(found);
      return null;
    };
  },
  /** element(structured, key or 0-based index): NULL when absent. */
  element: ([v, k], node) => {
    const t = node.t;
    return (context) => {
      const value = v!(context);
      const key = k!(context);
      if (value === null || key === null) return null;
      const part = typeof key === 'bigint' ? Number(key) - 1 : (key as string);
      return fromExternal(readPath(value, [part]), t);
    };
  },
  cardinality: strict((v) =>
    Array.isArray(v)
      ? BigInt(v.length)
      : typeof v === 'object'
        ? BigInt(Object.keys(v as object).length)
        : null,
  ),
};
