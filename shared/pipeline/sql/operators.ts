/**
 * The SQL front end's function calls, CAST, EXTRACT, CASE and binary operators (resolve.ts's
 * Resolver types the rest of an expression): each typed by shared/definitions/typing.ts, a mistake failing at the
 * argument it names.
 */
import {
  arithmetic,
  between,
  type ComparisonOperator,
  callFunction,
  cast,
  castTarget,
  compare,
  concat,
  extract,
  FUNCTION_NAMES,
  inList,
  is,
  like,
  logical,
  NONDETERMINISTIC,
  not,
  searchedCase,
  type Typed,
  TypeProblem,
  trim,
} from '../../definitions/typing.ts';
import { asList, asNode, asString, type Node, own, show } from './syntax.ts';
import { escapeRegExp, type Span } from './text.ts';
import { callFunctionProblem, ENVELOPE, sourceOf, type Value } from './values.ts';

/** What of a statement (resolve.ts's Resolver) these read. */
interface Statement {
  readonly span: Span;
  fail(problem: string, identifier: string, at?: number): never;
  unsupported(what: string, identifier: string, at?: number): never;
  locate(pattern: RegExp, from?: number, inRaw?: boolean): number | undefined;
  locateExpr(expr: Node, from: number): number | undefined;
}

/** Types a value from a builder, failing at the argument a TypeProblem names (Resolver.expression). */
export type Built = (make: () => Typed, args: Node[], text?: string, name?: string) => Value;

/** A function call: the envelope's, NOT(x), TRIM(…) or one of typing.ts's functions. */
export function functionCall(
  r: Statement,
  expr: Node,
  name: string,
  at: number | undefined,
  sub: (n: Node) => Value,
  built: Built,
): Value {
  const upper = name.toUpperCase();
  const envelope = own(ENVELOPE, name.toLowerCase());
  const argNodes = asList(asNode(expr.args).value).map(asNode);
  const callAt = r.locateExpr(expr, at ?? r.span.start) ?? at;
  if (envelope) {
    if (argNodes.length > 0) r.unsupported(`arguments to ${name}()`, name, callAt);
    const typed: Typed = {
      expr: { op: 'envelope', field: envelope.field, t: envelope.type },
      nullable: false,
    };
    return { typed, source: sourceOf(typed), nullable: false, text: `${name}()`, name: name.toLowerCase() };
  }
  if (NONDETERMINISTIC.has(upper)) r.fail(callFunctionProblem(upper), name, callAt);
  if (upper === 'NOT' && argNodes.length === 1) {
    const value = sub(argNodes[0]!);
    return built(() => not(value.typed), argNodes, `NOT ${value.text}`);
  }
  if (upper === 'TRIM') {
    // TRIM([BOTH | LEADING | TRAILING] [chars] [FROM] s), as the parser lists the words.
    const words = argNodes.map((a) => (a.type === 'origin' ? String(a.value).toUpperCase() : undefined));
    const mode = (['BOTH', 'LEADING', 'TRAILING'] as const).find((m) => words[0] === m) ?? 'BOTH';
    const values = argNodes.filter((_, i) => words[i] === undefined);
    const hasFrom = words.includes('FROM');
    const chars = hasFrom && values.length === 2 ? values[0] : undefined;
    const target = values.at(-1);
    if (!target || values.length > (hasFrom ? 2 : 1)) r.unsupported('this form of TRIM', 'TRIM', callAt);
    const charsValue = chars && sub(chars);
    const value = sub(target);
    return built(() => trim(mode, charsValue?.typed, [value.typed]), chars ? [chars, target] : [target]);
  }
  const args = argNodes.map(sub);
  const value = built(() => {
    const typed = callFunction(
      upper,
      args.map((a) => a.typed),
    );
    if (!typed) {
      const envelopes = Object.keys(ENVELOPE)
        .map((f) => `${f}()`)
        .join(', ');
      throw new TypeProblem(
        `unsupported: function ${name} (docs/sql.md lists the functions: ${FUNCTION_NAMES.join(', ')}; the envelope's ${envelopes}; the aggregates COUNT, SUM, LAST_VALUE)`,
      );
    }
    return typed;
  }, argNodes);
  return value;
}

/** `CASE [subject] WHEN … THEN … [ELSE …] END`. */
export function caseExpression(expr: Node, sub: (n: Node) => Value, built: Built): Value {
  const branches = asList(expr.args).map(asNode);
  const subject = expr.expr ? asNode(expr.expr) : undefined;
  const subjectValue = subject && sub(subject);
  const whens = branches.filter((b) => b.type === 'when');
  const otherwise = branches.find((b) => b.type === 'else');
  const nodes: Node[] = [];
  const pairs: Array<[Typed, Typed]> = [];
  for (const branch of whens) {
    const condNode = asNode(branch.cond);
    const resultNode = asNode(branch.result);
    const cond = sub(condNode);
    const result = sub(resultNode);
    nodes.push(condNode, resultNode);
    pairs.push([cond.typed, result.typed]);
  }
  const elseNode = otherwise ? asNode(otherwise.result) : undefined;
  const elseValue = elseNode && sub(elseNode);
  if (elseNode) nodes.push(elseNode);
  return built(
    () => {
      const conditions = subjectValue
        ? pairs.map(([v, r]): [Typed, Typed] => {
            try {
              return [compare('=', subjectValue.typed, v), r];
            } catch (error) {
              if (error instanceof TypeProblem) {
                throw new TypeProblem(error.message, pairs.findIndex(([w]) => w === v) * 2);
              }
              throw error;
            }
          })
        : pairs;
      return searchedCase(conditions, elseValue?.typed);
    },
    nodes,
    'CASE',
  );
}

/** A binary operator: IN, BETWEEN, IS, LIKE, AND/OR, ||, arithmetic and comparison. */
export function binary(
  r: Statement,
  expr: Node,
  at: number | undefined,
  sub: (n: Node) => Value,
  built: Built,
): Value {
  const operator = String(expr.operator).toUpperCase();
  const leftNode = asNode(expr.left);
  const rightNode = asNode(expr.right);
  if (operator === '.') return r.unsupported('this reference', show(expr), at);
  const left = sub(leftNode);
  const listNodes = rightNode.type === 'expr_list' ? asList(rightNode.value).map(asNode) : undefined;
  if (operator === 'IN' || operator === 'NOT IN') {
    const list = (listNodes ?? [rightNode]).map(sub);
    return built(
      () =>
        inList(
          left.typed,
          list.map((v) => v.typed),
          operator === 'NOT IN',
        ),
      [leftNode, ...(listNodes ?? [rightNode])],
      `${left.text} ${operator} (…)`,
    );
  }
  if (operator === 'BETWEEN' || operator === 'NOT BETWEEN') {
    const [low, high] = (listNodes ?? []).map(sub);
    if (!low || !high) r.unsupported(`this form of ${operator}`, operator, at);
    return built(
      () => between(left.typed, low.typed, high.typed, operator === 'NOT BETWEEN'),
      [leftNode, ...(listNodes ?? [])],
    );
  }
  if (operator === 'IS' || operator === 'IS NOT') {
    const what =
      rightNode.type === 'null'
        ? 'NULL'
        : rightNode.type === 'bool'
          ? rightNode.value
            ? 'TRUE'
            : 'FALSE'
          : undefined;
    if (!what) r.unsupported(`${operator} ${show(rightNode)}`, operator, at);
    return built(() => is(left.typed, what, operator === 'IS NOT'), [leftNode]);
  }
  if (operator === 'LIKE' || operator === 'NOT LIKE') {
    const pattern = sub(rightNode);
    const escapeNode = asNode(asNode(rightNode.escape).value);
    const escaped = rightNode.escape ? sub(escapeNode) : undefined;
    return built(
      () => like(left.typed, pattern.typed, escaped?.typed, operator === 'NOT LIKE'),
      [leftNode, rightNode, escapeNode],
    );
  }
  const right = sub(rightNode);
  const args = [leftNode, rightNode];
  if (operator === 'AND' || operator === 'OR')
    return built(() => logical(operator, [left.typed, right.typed]), args);
  if (operator === '||') return built(() => concat(left.typed, right.typed), args);
  if (operator === '+' || operator === '-' || operator === '*' || operator === '/' || operator === '%') {
    return built(() => arithmetic(operator, left.typed, right.typed), args);
  }
  if (['=', '<>', '!=', '<', '<=', '>', '>='].includes(operator)) {
    return built(() => compare(operator as ComparisonOperator, left.typed, right.typed), args);
  }
  return r.unsupported(
    `the operator ${operator}`,
    operator,
    r.locate(new RegExp(escapeRegExp(operator), 'i'), at ?? r.span.start) ?? at,
  );
}

/** `CAST(x AS type)`, to one of typing.ts's targets. */
export function castExpression(
  r: Statement,
  expr: Node,
  at: number | undefined,
  sub: (n: Node) => Value,
  built: Built,
): Value {
  const target = asNode(asList(expr.target)[0]);
  const dataType = asString(target.dataType) ?? '';
  const length = typeof target.length === 'number' ? target.length : undefined;
  const scale = typeof target.scale === 'number' ? target.scale : undefined;
  const to = castTarget(dataType, length, scale);
  const shown = `${dataType === 'TEXT' ? 'STRING' : dataType}${length === undefined ? '' : `(${length}${scale === undefined ? '' : `, ${scale}`})`}`;
  if (!to) {
    r.unsupported(
      `CAST to ${shown}; the targets are STRING, VARCHAR(n), DECIMAL(p, s), INT, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP(3)`,
      shown,
      r.locate(
        new RegExp(escapeRegExp(dataType === 'TEXT' ? 'STRING' : dataType), 'i'),
        at ?? r.span.start,
      ) ?? at,
    );
  }
  const inner = asNode(expr.expr);
  const value = sub(inner);
  return built(() => cast(value.typed, to), [inner], `CAST(${value.text} AS ${shown})`);
}

/** `EXTRACT(field FROM x)`. */
export function extractExpression(expr: Node, sub: (n: Node) => Value, built: Built): Value {
  const args = asNode(expr.args);
  const source = asNode(args.source);
  const value = sub(source);
  return built(
    () => extract(String(args.field), value.typed),
    [source],
    `EXTRACT(${String(args.field)} FROM …)`,
  );
}
