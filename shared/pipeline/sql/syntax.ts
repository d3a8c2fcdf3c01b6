/**
 * Reading node-sql-parser's syntax tree, defensively: node kinds, references, function names, the
 * conditions of a WHERE, and how an expression reads in messages.
 */

// ----------------------------------------------------------------------------- syntax trees

/** A node of node-sql-parser's syntax tree, read defensively. */
export type Node = { readonly [key: string]: unknown };
export const asNode = (value: unknown): Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Node) : {};
export const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
export const asString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;
export const offsetOf = (n: Node): number | undefined => {
  const offset = asNode(asNode(n.loc).start).offset;
  return typeof offset === 'number' ? offset : undefined;
};

export const endOf = (n: Node): number | undefined => {
  const offset = asNode(asNode(n.loc).end).offset;
  return typeof offset === 'number' ? offset : undefined;
};

/** The parts of a column reference (`e.address.city` → e, address, city), or undefined. */
export function referenceParts(expr: Node): string[] | undefined {
  if (expr.type !== 'column_ref') return undefined;
  const qualifiers = [expr.schema, expr.table].map(asString).filter((q): q is string => q !== undefined);
  const column = expr.column;
  if (typeof column === 'string') return column === '*' ? undefined : [...qualifiers, column];
  const inner = asNode(asNode(column).expr);
  const chain = dotted(inner);
  return chain ? [...qualifiers, ...chain] : undefined;
}

export function dotted(n: unknown): string[] | undefined {
  if (typeof n === 'string') return [n];
  const node = asNode(n);
  if (node.type === 'binary_expr' && node.operator === '.') {
    const left = dotted(node.left);
    const right = dotted(node.right);
    return left && right ? [...left, ...right] : undefined;
  }
  const value = asString(node.value);
  return value === undefined || value === '*' ? undefined : [value];
}

export const functionName = (expr: Node): string | undefined => {
  if (expr.type === 'aggr_func' || expr.type === 'window_func') return asString(expr.name);
  if (expr.type !== 'function') return undefined;
  const name = asNode(expr.name);
  const parts = asList(name.name).map((p) => asString(asNode(p).value) ?? '');
  return [asString(asNode(name.schema).value), ...parts].filter(Boolean).join('.');
};

export const groupedExprs = (select: Node): Node[] =>
  asList(Array.isArray(select.groupby) ? select.groupby : asNode(select.groupby).columns).map(asNode);

/** The conditions a WHERE ANDs together. */
export function conjunctsOf(n: Node): Node[] {
  if (n.type === 'binary_expr' && String(n.operator).toUpperCase() === 'AND' && !n.parentheses) {
    return [...conjunctsOf(asNode(n.left)), ...conjunctsOf(asNode(n.right))];
  }
  return [n];
}

/** `type = '…'` or `type IN ('…', …)`, the bare word type being the event type. */
export function isTypeFilter(n: Node): boolean {
  if (n.type !== 'binary_expr') return false;
  const isType = (x: Node) => referenceParts(x)?.join('.') === 'type';
  const operator = String(n.operator).toUpperCase();
  if (operator === '=') return isType(asNode(n.left)) || isType(asNode(n.right));
  return operator === 'IN' && isType(asNode(n.left));
}

/** The first AND or OR in a condition. */
export function logicalOperator(n: Node): string | undefined {
  if (n.type !== 'binary_expr') return undefined;
  const operator = String(n.operator).toUpperCase();
  if (operator === 'AND' || operator === 'OR') return operator;
  return logicalOperator(asNode(n.left)) ?? logicalOperator(asNode(n.right));
}

/** A record's own entry (never one of Object.prototype's: `constructor`, `toString`, …). */
export const own = <T>(record: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

export const isString = (n: Node) => n.type === 'single_quote_string' || n.type === 'string';

/** How an expression reads in the statement, for messages. */
export function show(expr: Node): string {
  const parts = referenceParts(expr);
  if (parts) return parts.join('.');
  if (isString(expr)) return `'${String(expr.value)}'`;
  if (expr.type === 'number' || expr.type === 'bigint' || expr.type === 'bool') return String(expr.value);
  if (expr.type === 'null') return 'NULL';
  const name = functionName(expr);
  if (name) return `${name}(…)`;
  if (expr.type === 'binary_expr') return `… ${String(expr.operator)} …`;
  return String(expr.type ?? 'expression').toUpperCase();
}
