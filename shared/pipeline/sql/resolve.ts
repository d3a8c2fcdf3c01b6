/**
 * Name resolution and typing for the SQL front end (shared/pipeline/sql.ts): what `e.<field>`,
 * `<alias>.<column>`, the envelope's functions and every scalar expression are, typed by
 * shared/definitions/typing.ts, each with where it is written. Statements (translate.ts) build on
 * it; every mistake is a SqlDefinitionError naming the statement, line, column and identifier.
 */
import type { DefinitionWorld } from '../../definitions/check.ts';
import { ENVELOPE_TYPES, payloadsByType, readField } from '../../definitions/check.ts';
import type { EnvelopeField } from '../../definitions/expression.ts';
import type { Aggregate, Source } from '../../definitions/mapping.ts';
import { shapeOf } from '../../definitions/payload-types.ts';
import { ANY, BOOLEAN, columnType, NULL, type SqlType } from '../../definitions/types.ts';
import {
  arithmetic,
  between,
  type ComparisonOperator,
  callFunction,
  cast,
  castTarget,
  compare,
  concat,
  element,
  extract,
  FUNCTION_NAMES,
  inList,
  is,
  like,
  literal,
  logical,
  NONDETERMINISTIC,
  negate,
  not,
  numberLiteral,
  searchedCase,
  stringLiteral,
  type Typed,
  TypeProblem,
  timestampLiteral,
  trim,
} from '../../definitions/typing.ts';
import type { Window } from '../../definitions/window.ts';
import type * as z from '../../events/zod.ts';
import {
  asList,
  asNode,
  asString,
  functionName,
  isString,
  type Node,
  offsetOf,
  own,
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
import { notWindow, windowBound, windowValue } from './window-values.ts';

/** What the statements are checked against (the definitions core's world). */
export type SqlContext = DefinitionWorld;

/** The envelope's functions: event_id(), event_type(), event_time(), … */
export const ENVELOPE: Record<string, { field: EnvelopeField; type: SqlType }> = Object.fromEntries(
  (
    [
      ['event_id', 'eventId'],
      ['event_type', 'type'],
      ['event_time', 'timestamp'],
      ['event_version', 'version'],
      ['event_source', 'source'],
      ['event_domain', 'domain'],
    ] as const
  ).map(([name, field]) => [name, { field, type: ENVELOPE_TYPES[field] }]),
);

/** The processing-time attribute a Flink lookup join names: `FOR SYSTEM_TIME AS OF e.proc_time`. */
export const PROC_TIME = 'proc_time';

const callFunctionProblem = (name: string) =>
  `${name.toUpperCase()} is refused: its result changes from one run to the next, and a replayed event must write the same row; use event_time(), the event's own time`;

/**
 * The Source a typed value compiles to: the plain forms (payload field, envelope, dimension column,
 * string or integer literal) where the value is one, an expression otherwise.
 */
export function sourceOf(typed: Typed): Source {
  const e = typed.expr;
  if (e.op === 'field' && e.path.every((p) => typeof p === 'string')) return { payload: e.path.join('.') };
  if (e.op === 'envelope') return { event: e.field };
  if (e.op === 'dimension') return { dimension: e.dimension, column: e.column };
  if (e.op === 'literal') {
    if (e.value === null) return { literal: null };
    if (e.t.type === 'STRING' && typeof e.value === 'string') return { literal: e.value };
    if (e.t.type === 'INT' && typeof e.value === 'string') return { literal: Number(e.value) };
  }
  return { expr: e, nullable: typed.nullable };
}

/** The name of every event type at once: `FROM events e WHERE type IN (…)`. */
export const ALL_EVENTS = 'events';

export type Dimension = SqlContext['dimensions'][number];
export type SqlTable = SqlContext['tables'][number];

/** The context, indexed. */
export class World {
  readonly tables: ReadonlyMap<string, SqlTable>;
  readonly dimensionsByTable: ReadonlyMap<string, Dimension>;
  readonly payloads: ReadonlyMap<string, readonly z.ZodMiniType[]>;

  constructor(context: SqlContext) {
    this.tables = new Map(context.tables.map((t) => [t.name, t]));
    this.dimensionsByTable = new Map(context.dimensions.map((d) => [d.table.name, d]));
    this.payloads = payloadsByType(context.events);
  }
}

/** A value, typed, with what the statement says of it. */
export interface Value {
  typed: Typed;
  source: Source;
  /** May be NULL (a missing or optional field, a missing dimension row, NULL). */
  nullable: boolean;
  /** As written, for messages. */
  text: string;
  /** The source column's name (a column without AS is named after it). */
  name?: string | undefined;
  /** Where it is written. */
  at?: number | undefined;
}

export interface SelectItem {
  column: string;
  at: number;
  /** A plain value (event rows, state keys) or an aggregate. */
  value?: Value;
  aggregate?: Aggregate;
  aggregateValue?: Value;
}

export interface DimensionJoin {
  dimension: Dimension;
  alias: string;
  on: string;
  /** An inner join (SQL `JOIN`): no row for an event whose dimension row is missing. */
  inner: boolean;
}

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
    if (expr.type === 'function' && name) return this.functionCall(expr, name, at, sub, built);
    if (expr.type === 'cast') {
      const target = asNode(asList(expr.target)[0]);
      const dataType = asString(target.dataType) ?? '';
      const length = typeof target.length === 'number' ? target.length : undefined;
      const scale = typeof target.scale === 'number' ? target.scale : undefined;
      const to = castTarget(dataType, length, scale);
      const shown = `${dataType === 'TEXT' ? 'STRING' : dataType}${length === undefined ? '' : `(${length}${scale === undefined ? '' : `, ${scale}`})`}`;
      if (!to) {
        this.unsupported(
          `CAST to ${shown}; the targets are STRING, VARCHAR(n), DECIMAL(p, s), INT, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP(3)`,
          shown,
          this.locate(
            new RegExp(escapeRegExp(dataType === 'TEXT' ? 'STRING' : dataType), 'i'),
            at ?? this.span.start,
          ) ?? at,
        );
      }
      const inner = asNode(expr.expr);
      const value = sub(inner);
      return built(() => cast(value.typed, to), [inner], `CAST(${value.text} AS ${shown})`);
    }
    if (expr.type === 'extract') {
      const args = asNode(expr.args);
      const source = asNode(args.source);
      const value = sub(source);
      return built(
        () => extract(String(args.field), value.typed),
        [source],
        `EXTRACT(${String(args.field)} FROM …)`,
      );
    }
    if (expr.type === 'case') return this.caseExpression(expr, sub, built);
    if (expr.type === 'unary_expr') {
      const operator = String(expr.operator).toUpperCase();
      const inner = asNode(expr.expr);
      const value = sub(inner);
      if (operator === '-') return built(() => negate(value.typed), [inner]);
      if (operator === '+') return value;
      if (operator === 'NOT') return built(() => not(value.typed), [inner], `NOT ${value.text}`);
    }
    if (expr.type === 'binary_expr') return this.binary(expr, at, sub, built);
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

  functionCall(
    expr: Node,
    name: string,
    at: number | undefined,
    sub: (n: Node) => Value,
    built: (make: () => Typed, args: Node[], text?: string, name?: string) => Value,
  ): Value {
    const upper = name.toUpperCase();
    const envelope = own(ENVELOPE, name.toLowerCase());
    const argNodes = asList(asNode(expr.args).value).map(asNode);
    const callAt = this.locateExpr(expr, at ?? this.span.start) ?? at;
    if (envelope) {
      if (argNodes.length > 0) this.unsupported(`arguments to ${name}()`, name, callAt);
      const typed: Typed = {
        expr: { op: 'envelope', field: envelope.field, t: envelope.type },
        nullable: false,
      };
      return { typed, source: sourceOf(typed), nullable: false, text: `${name}()`, name: name.toLowerCase() };
    }
    if (NONDETERMINISTIC.has(upper)) this.fail(callFunctionProblem(upper), name, callAt);
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
      if (!target || values.length > (hasFrom ? 2 : 1)) this.unsupported('this form of TRIM', 'TRIM', callAt);
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

  caseExpression(
    expr: Node,
    sub: (n: Node) => Value,
    built: (make: () => Typed, args: Node[], text?: string) => Value,
  ): Value {
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

  binary(
    expr: Node,
    at: number | undefined,
    sub: (n: Node) => Value,
    built: (make: () => Typed, args: Node[], text?: string) => Value,
  ): Value {
    const operator = String(expr.operator).toUpperCase();
    const leftNode = asNode(expr.left);
    const rightNode = asNode(expr.right);
    if (operator === '.') return this.unsupported('this reference', show(expr), at);
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
      if (!low || !high) this.unsupported(`this form of ${operator}`, operator, at);
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
      if (!what) this.unsupported(`${operator} ${show(rightNode)}`, operator, at);
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
    return this.unsupported(
      `the operator ${operator}`,
      operator,
      this.locate(new RegExp(escapeRegExp(operator), 'i'), at ?? this.span.start) ?? at,
    );
  }
}
