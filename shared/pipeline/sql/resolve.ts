/**
 * Name resolution and typing for the SQL front end (shared/pipeline/sql.ts): what `e.<field>`,
 * `<alias>.<column>`, the envelope's functions and every scalar expression are, typed by
 * shared/definitions/typing.ts, each with where it is written (function calls, CAST, CASE and
 * operators in operators.ts; the context and the shape of a value in values.ts). Statements
 * (translate.ts) build on it; every mistake is a SqlDefinitionError naming the statement, line,
 * column and identifier.
 */
import { readField } from '../../definitions/check.ts';
import { shapeOf } from '../../definitions/payload-types.ts';
import { ANY, BOOLEAN, columnType, NULL } from '../../definitions/types.ts';
import {
  callFunction,
  element,
  literal,
  NONDETERMINISTIC,
  negate,
  not,
  numberLiteral,
  stringLiteral,
  type Typed,
  TypeProblem,
  timestampLiteral,
} from '../../definitions/typing.ts';
import type { Window } from '../../definitions/window.ts';
import { binary, caseExpression, castExpression, extractExpression, functionCall } from './operators.ts';
import {
  asList,
  asNode,
  asString,
  functionName,
  isString,
  type Node,
  offsetOf,
  referenceParts,
  show,
} from './syntax.ts';
import {
  callPattern,
  escapeRegExp,
  keywordPattern,
  refPattern,
  type Span,
  SqlDefinitionError,
  type SqlText,
  stringPattern,
} from './text.ts';
import {
  callFunctionProblem,
  type DimensionJoin,
  PROC_TIME,
  sourceOf,
  type Value,
  type World,
} from './values.ts';
import { notWindow, windowBound, windowValue } from './window-values.ts';

/** One statement, compiled. */
export class Resolver {
  readonly span: Span;
  readonly text: SqlText;
  readonly world: World;
  /** The FROM's name for the event (its alias or its type). */
  eventName = '';
  types: string[] = [];
  joins: DimensionJoin[] = [];
  /** The window table function FROM reads through (sql/window.ts), if any. */
  window: Window | undefined;

  constructor(span: Span, text: SqlText, world: World) {
    this.span = span;
    this.text = text;
    this.world = world;
  }

  fail(problem: string, identifier: string, at?: number): never {
    const { line, column } = this.text.position(at ?? this.span.start);
    throw new SqlDefinitionError(problem, this.span.label, line, column, identifier);
  }

  locate(pattern: RegExp, from = this.span.start, inRaw = false): number | undefined {
    return this.text.find(pattern, Math.max(from, this.span.start), this.span.end, inRaw);
  }

  /** Where an expression is, at or after `from`. */
  locateExpr(expr: Node, from: number): number | undefined {
    if (expr.type === 'expr_list') return this.locateExpr(asNode(asList(expr.value)[0]), from);
    const parts = referenceParts(expr);
    if (parts) return this.locate(refPattern(parts), from);
    if (isString(expr)) return this.locate(stringPattern(String(expr.value)), from, true);
    if (expr.type === 'null') return this.locate(keywordPattern('NULL'), from);
    if (expr.type === 'case') return this.locate(keywordPattern('CASE'), from);
    if (expr.type === 'bool') return this.locate(keywordPattern(String(expr.value)), from);
    if (expr.type === 'number' || expr.type === 'bigint') {
      return this.locate(
        new RegExp(`(?<![\\w.])-?\\s*${escapeRegExp(String(expr.value).replace(/^-/, ''))}(?![\\w.])`),
        from,
      );
    }
    const name = functionName(expr);
    if (name) return this.locate(callPattern(name), from);
    if (expr.type === 'binary_expr' || expr.type === 'unary_expr') {
      return this.locateExpr(asNode(expr.left ?? expr.expr), from) ?? offsetOf(expr);
    }
    if (expr.type === 'cast') return this.locate(keywordPattern('CAST'), from) ?? offsetOf(expr);
    const keyword = typeof expr.type === 'string' && /^[a-z]+$/.test(expr.type) ? expr.type : undefined;
    return offsetOf(expr) ?? (keyword === undefined ? undefined : this.locate(keywordPattern(keyword), from));
  }

  unsupported(what: string, identifier: string, at?: number): never {
    return this.fail(`unsupported: ${what}`, identifier, at);
  }

  // --------------------------------------------------------------------------------- values

  /** A payload field (names and 0-based indexes), checked in every type it is read from. */
  payload(
    path: Array<string | number>,
    types: readonly string[],
    at: number | undefined,
    text: string,
  ): Value {
    const read = readField(this.world.payloads, path, types);
    if ('missing' in read) {
      const t = read.missing;
      const fields = (this.world.payloads.get(t) ?? []).flatMap((s) => Object.keys(shapeOf(s) ?? {}));
      const hint =
        path[0] === 'payload' && path.length > 1
          ? `; payload fields are read as ${this.eventName}.<field>`
          : path.length === 1
            ? ` (fields: ${[...new Set(fields)].join(', ')})`
            : '';
      this.fail(`unknown payload field ${path.join('.')} of ${t}${hint}`, text, at);
    }
    return { typed: read, source: sourceOf(read), nullable: read.nullable, text, name: String(path.at(-1)!) };
  }

  /** A value: a payload field, a dimension column, an envelope function, a literal or an expression of them. */
  value(expr: Node, types: readonly string[], at: number | undefined): Value {
    const where = this.locateExpr(expr, at ?? this.span.start) ?? at;
    const value = this.expression(expr, types, where);
    return { ...value, at: where };
  }

  /** Types an expression (shared/definitions/typing.ts), failing at the argument a TypeProblem names. */
  expression(expr: Node, types: readonly string[], at: number | undefined): Value {
    const sub = (n: Node) =>
      notWindow(this, this.expression(n, types, this.locateExpr(n, at ?? this.span.start) ?? at));
    const built = (make: () => Typed, args: Node[], text = show(expr), name?: string): Value => {
      try {
        const typed = make();
        return { typed, source: sourceOf(typed), nullable: typed.nullable, text, ...(name ? { name } : {}) };
      } catch (error) {
        if (!(error instanceof TypeProblem)) throw error;
        const arg = error.argument === undefined ? undefined : args[error.argument];
        const argAt = arg ? (this.locateExpr(arg, at ?? this.span.start) ?? at) : at;
        return this.fail(error.message, arg ? show(arg) : text, argAt);
      }
    };
    const parts = referenceParts(expr);
    if (parts) {
      const value = this.reference(parts, types, at);
      const subscripts = asList(expr.array_index).map(asNode);
      let current = value;
      for (const subscript of subscripts) {
        const index = asNode(subscript.index);
        const key = this.expression(index, types, at);
        const base = current;
        current = built(() => element(base.typed, key.typed), [expr, index], `${base.text}[${key.text}]`);
        current.name = undefined;
      }
      return current;
    }
    if (isString(expr)) {
      const typed = stringLiteral(String(expr.value).replace(/''/g, "'"));
      return { typed, source: sourceOf(typed), nullable: false, text: show(expr) };
    }
    if (expr.type === 'null') {
      const typed = literal(null, NULL);
      return { typed, source: { literal: null }, nullable: true, text: 'NULL' };
    }
    if (expr.type === 'bool') {
      const typed = literal(Boolean(expr.value), BOOLEAN);
      return { typed, source: sourceOf(typed), nullable: false, text: show(expr) };
    }
    if (expr.type === 'number' || expr.type === 'bigint')
      return built(() => numberLiteral(String(expr.value)), []);
    if (expr.type === 'timestamp')
      return built(() => timestampLiteral(String(expr.value)), [], `TIMESTAMP '${String(expr.value)}'`);
    const name = functionName(expr);
    this.refuseNested(expr, name, at);
    if (expr.type === 'function' && name) return functionCall(this, expr, name, at, sub, built);
    if (expr.type === 'cast') return castExpression(this, expr, at, sub, built);
    if (expr.type === 'extract') return extractExpression(expr, sub, built);
    if (expr.type === 'case') return caseExpression(expr, sub, built);
    if (expr.type === 'unary_expr') {
      const operator = String(expr.operator).toUpperCase();
      const inner = asNode(expr.expr);
      const value = sub(inner);
      if (operator === '-') return built(() => negate(value.typed), [inner]);
      if (operator === '+') return value;
      if (operator === 'NOT') return built(() => not(value.typed), [inner], `NOT ${value.text}`);
    }
    if (expr.type === 'binary_expr') return binary(this, expr, at, sub, built);
    if (expr.type === 'column_ref' && asString(asNode(asNode(expr.column).expr).value)) {
      // An unqualified column: LOCALTIMESTAMP and friends read as one.
      const word = String(asNode(asNode(expr.column).expr).value);
      if (NONDETERMINISTIC.has(word.toUpperCase())) return built(() => callFunction(word, [])!, []);
    }
    const what = `the expression ${show(expr)}`;
    return this.unsupported(
      `${what} (docs/sql.md lists what a statement can say)`,
      show(expr),
      offsetOf(expr) ?? this.locateExpr(expr, at ?? this.span.start) ?? at,
    );
  }

  /** Refuses an aggregate or a subquery where a scalar expression is expected. */
  refuseNested(expr: Node, name: string | undefined, at: number | undefined): void {
    if (expr.type === 'aggr_func' || expr.type === 'window_func' || (name && /^last_value$/i.test(name))) {
      this.unsupported(
        'an aggregate here',
        name ?? show(expr),
        this.locateExpr(expr, at ?? this.span.start) ?? at,
      );
    }
    if (
      expr.type === 'select' ||
      expr.ast ||
      asNode(expr.value).ast ||
      asList(expr.value).some((v) => asNode(v).ast) ||
      asList(asNode(expr.right).value).some((v) => asNode(v).ast)
    ) {
      this.unsupported(
        'a subquery',
        'SELECT',
        this.locate(keywordPattern('SELECT'), (at ?? this.span.start) + 1) ?? at,
      );
    }
  }

  /** `e.<field>…`, `<alias>.<column>`. */
  reference(parts: string[], types: readonly string[], at: number | undefined): Value {
    const text = parts.join('.');
    const exact = this.locate(refPattern(parts), at) ?? at;
    const [qualifier, ...rest] = parts;
    const bound = windowBound(this, parts, exact);
    if (bound) return windowValue(bound, text, exact);
    if (parts.length === 1) {
      if (NONDETERMINISTIC.has(text.toUpperCase())) {
        this.fail(callFunctionProblem(text), text, exact);
      }
      this.fail(
        `unqualified column ${text}; write ${this.eventName}.${text} for a payload field or <alias>.${text} for a dimension column`,
        text,
        exact,
      );
    }
    if (qualifier === this.eventName) {
      if (rest.length === 1 && rest[0] === PROC_TIME) {
        this.unsupported(
          `${text} outside FOR SYSTEM_TIME AS OF; it is the processing time, which a replayed event would not share — use event_time()`,
          text,
          exact,
        );
      }
      return this.payload(rest, types, exact, text);
    }
    const join = this.joins.find((j) => j.alias === qualifier);
    if (!join) {
      const aliases = [this.eventName, ...this.joins.map((j) => j.alias)].join(', ');
      this.fail(`unknown table or alias ${qualifier} in ${text} (known: ${aliases})`, text, exact);
    }
    const column = rest.join('.');
    const { dimension } = join;
    if (!dimension.columns.includes(column)) {
      this.fail(
        `unknown column ${column} of dimension ${dimension.table.name} (its lookup returns ${dimension.columns.join(', ')})`,
        text,
        exact,
      );
    }
    const spec = dimension.table.columns[column];
    // An inner join found the row: its column is NULL only where the column is.
    const nullable = !join.inner || (spec?.nullable ?? true);
    const typed: Typed = {
      expr: { op: 'dimension', dimension: dimension.name, column, t: (spec && columnType(spec)) ?? ANY },
      nullable,
    };
    return { typed, source: sourceOf(typed), nullable, text, name: column };
  }
}
