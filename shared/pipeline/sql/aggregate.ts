/**
 * The aggregates of a statement into a state table (translate.ts translates the rest of it), each a
 * merge of its column (shared/tables/table.ts) that the sink applies once per event:
 *   COUNT(*), COUNT(value)            'add' (1, or 1 when the value is not NULL)
 *   SUM(value)                        'add' (a NULL adds nothing)
 *   MIN(value), MAX(value)            'min', 'max' (NULLs skipped)
 *   FIRST_VALUE(value)                { firstValue: <order key> } (the oldest non-NULL value)
 *   LAST_VALUE(value [IGNORE NULLS])  { lastValue: <order key> } (the newest non-NULL value, as
 *                                     Flink's LAST_VALUE; IGNORE NULLS says so and changes nothing)
 * each limited by `FILTER (WHERE <type filter> AND <conditions on values>)`, or by the CASE form
 * `AGG(CASE WHEN type = '…' THEN value END)`. Refused, each naming what to write instead: AVG (keep
 * its SUM and COUNT), COUNT(DISTINCT …), OVER; HAVING is refused with the SELECT's other clauses.
 */
import type { Aggregate } from '../../definitions/mapping.ts';
import { showType } from '../../definitions/types.ts';
import { logical, type Typed } from '../../definitions/typing.ts';
import { Resolver } from './resolve.ts';
import {
  asList,
  asNode,
  conjunctsOf,
  functionName,
  isString,
  isTypeFilter,
  logicalOperator,
  type Node,
  offsetOf,
  referenceParts,
  show,
} from './syntax.ts';
import { keywordPattern, stringPattern } from './text.ts';
import type { Value } from './values.ts';

export type AggregateKind = 'COUNT' | 'SUM' | 'MIN' | 'MAX' | 'FIRST_VALUE' | 'LAST_VALUE';

const KEYS = {
  COUNT: 'count',
  SUM: 'sum',
  MIN: 'min',
  MAX: 'max',
  FIRST_VALUE: 'first',
  LAST_VALUE: 'last',
} as const;

/** What an aggregate in the select list translates into. */
export interface TranslatedAggregate {
  aggregate: Aggregate;
  aggregateValue?: Value;
}

export abstract class AggregateSelect extends Resolver {
  abstract unknownType(name: string, at: number | undefined): never;

  /** `type = '…'` or `type IN ('…', …)`: the event types. */
  typeFilter(cond: Node, at: number | undefined, clause: string): string[] {
    const left = asNode(cond.left);
    const right = asNode(cond.right);
    const isType = (n: Node) => referenceParts(n)?.join('.') === 'type';
    const values =
      cond.type === 'binary_expr' && cond.operator === '=' && isType(left) && isString(right)
        ? [right]
        : cond.type === 'binary_expr' && cond.operator === '=' && isType(right) && isString(left)
          ? [left]
          : cond.type === 'binary_expr' &&
              cond.operator === 'IN' &&
              isType(left) &&
              right.type === 'expr_list'
            ? asList(right.value).map(asNode)
            : undefined;
    if (!values || values.length === 0 || !values.every(isString)) {
      const operator = logicalOperator(cond);
      if (operator) {
        const where = this.locate(keywordPattern(operator), (at ?? this.span.start) - 1);
        this.unsupported(`${clause} other than one type = '…' or type IN ('…', …)`, operator, where);
      }
      const parts = referenceParts(left);
      const hint =
        parts && parts.length === 2 && parts[1] === 'type'
          ? ` (the event type is the bare word type; ${show(left)} would be a payload field)`
          : '';
      const where = this.locateExpr(left, (at ?? this.span.start) - 1) ?? at;
      this.unsupported(`${clause} other than type = '…' or type IN ('…', …)${hint}`, show(left), where);
    }
    return [...new Set(values.map((v) => String(v.value)))];
  }
  /** The aggregate an expression of the select list is, if it is one. */
  aggregateOf(expr: Node): AggregateKind | undefined {
    const name = functionName(expr)?.toUpperCase();
    const at = this.locateExpr(expr, this.span.start);
    if (expr.type === 'window_func' || asNode(expr).over) {
      this.unsupported(
        'OVER (a window); the aggregates aggregate over the GROUP BY key without one',
        'OVER',
        this.locate(keywordPattern('OVER'), at),
      );
    }
    if (expr.type === 'aggr_func') {
      if (name === 'COUNT' || name === 'SUM' || name === 'MIN' || name === 'MAX') return name;
      if (name === 'AVG') {
        this.unsupported(
          'AVG (an average does not merge); keep SUM(x) AS x_sum and COUNT(x) AS x_count, and divide when reading: x_sum / NULLIF(x_count, 0)',
          'AVG',
          at,
        );
      }
      this.unsupported(
        `aggregate ${name}; the aggregates are COUNT, SUM, MIN, MAX, FIRST_VALUE and LAST_VALUE`,
        name ?? '',
        at,
      );
    }
    if (expr.type === 'function' && (name === 'LAST_VALUE' || name === 'FIRST_VALUE')) return name;
    return undefined;
  }

  /** An aggregate, with a FILTER or in the CASE form. */
  aggregate(expr: Node, kind: AggregateKind, at: number): TranslatedAggregate {
    const args = asNode(expr.args);
    const call = kind === 'LAST_VALUE' || kind === 'FIRST_VALUE';
    const argList = call ? asList(args.value).map(asNode) : [asNode(args.expr)];
    if (args.distinct) {
      this.unsupported(
        `${kind}(DISTINCT …): a distinct count cannot merge exactly once without keeping every value; keep the values in a state table keyed by them (GROUP BY the key and the value) and count its rows when reading`,
        'DISTINCT',
        this.locate(keywordPattern('DISTINCT'), at),
      );
    }
    if (argList.length !== 1 || asList(args.orderby).length > 0)
      this.unsupported(`${kind} with ${argList.length} arguments`, kind, at);
    let arg = argList[0]!;
    let when: string[] | undefined;
    let filter: Typed | undefined;
    if (expr.filter) ({ when, filter } = this.aggregateFilter(asNode(asNode(expr.filter).where), at));
    if (arg.type === 'case') {
      if (when || filter)
        this.unsupported('both FILTER and CASE WHEN', 'CASE', this.locate(keywordPattern('CASE'), at));
      const cased = this.caseForm(arg, kind, at);
      when = cased.when;
      arg = cased.result;
      if (kind === 'COUNT') return { aggregate: { count: true, when } };
    } else if (kind === 'COUNT' && arg.type === 'star') {
      return { aggregate: { count: true, ...(when && { when }), ...(filter && { filter: filter.expr }) } };
    }
    if (arg.type === 'star') this.unsupported(`${kind}(*)`, '*', this.locate(/\*/, at));
    const value = this.value(arg, when ?? this.types, this.locateExpr(arg, at) ?? at);
    const aggregate = {
      [KEYS[kind]]: value.source,
      ...(when && { when }),
      ...(filter && { filter: filter.expr }),
    } as Aggregate;
    return { aggregate, aggregateValue: value };
  }

  /** `FILTER (WHERE …)`: at most one type filter, and conditions on values (ANDed). */
  aggregateFilter(where: Node, at: number): { when?: string[]; filter?: Typed } {
    const whereAt = offsetOf(where) ?? this.locateExpr(where, at) ?? at;
    const conjuncts = conjunctsOf(where);
    const typeFilters = conjuncts.filter(isTypeFilter);
    if (typeFilters.length > 1) {
      this.unsupported(
        'two type filters in one FILTER',
        'type',
        this.locateExpr(typeFilters[1]!, whereAt + 1),
      );
    }
    let when: string[] | undefined;
    if (typeFilters.length === 1) {
      const typeAt = this.locateExpr(typeFilters[0]!, whereAt) ?? whereAt;
      when = this.typeFilter(typeFilters[0]!, typeAt, 'FILTER (WHERE …)');
      this.checkWhen(when, typeAt);
    }
    const conditions = conjuncts.filter((c) => !isTypeFilter(c));
    const values = conditions.map((c) =>
      this.value(c, when ?? this.types, this.locateExpr(c, whereAt) ?? whereAt),
    );
    for (const v of values) {
      if (v.typed.expr.t.type !== 'BOOLEAN' && v.typed.expr.t.type !== 'NULL') {
        this.fail(`FILTER needs a condition (BOOLEAN), not ${showType(v.typed.expr.t)}`, v.text, v.at);
      }
    }
    const filter =
      values.length === 0
        ? undefined
        : values.length === 1
          ? values[0]!.typed
          : logical(
              'AND',
              values.map((v) => v.typed),
            );
    return { ...(when && { when }), ...(filter && { filter }) };
  }

  /** `AGG(CASE WHEN type … THEN value END)`: the types, and the value (COUNT: a constant). */
  caseForm(arg: Node, kind: AggregateKind, at: number): { when: string[]; result: Node } {
    const branches = asList(arg.args).map(asNode);
    const whens = branches.filter((b) => b.type === 'when');
    const otherwise = branches.find((b) => b.type === 'else');
    const elseResult = asNode(otherwise?.result);
    const caseAt = this.locate(keywordPattern('CASE'), at) ?? at;
    if (arg.expr || whens.length !== 1) {
      this.unsupported(`CASE other than CASE WHEN type … THEN … END`, 'CASE', caseAt);
    }
    if (
      otherwise &&
      elseResult.type !== 'null' &&
      !(kind === 'SUM' && elseResult.type === 'number' && Number(elseResult.value) === 0)
    ) {
      this.unsupported(
        `ELSE ${show(elseResult)} in ${kind}(CASE …)`,
        'ELSE',
        this.locate(keywordPattern('ELSE'), caseAt),
      );
    }
    const cond = asNode(whens[0]!.cond);
    const when = this.typeFilter(cond, offsetOf(cond) ?? caseAt, 'CASE WHEN');
    this.checkWhen(when, offsetOf(cond) ?? caseAt);
    const result = asNode(whens[0]!.result);
    if (kind === 'COUNT' && (result.type === 'null' || !(result.type === 'number' || isString(result)))) {
      this.unsupported(
        `COUNT(CASE WHEN … THEN ${show(result)} END); count with THEN 1`,
        show(result),
        this.locateExpr(result, caseAt) ?? caseAt,
      );
    }
    return { when, result };
  }

  checkWhen(when: readonly string[], at: number): void {
    for (const type of when) {
      const typeAt = this.locate(stringPattern(type), at, true) ?? at;
      if (!this.world.payloads.has(type)) this.unknownType(type, typeAt);
      if (!this.types.includes(type)) {
        this.fail(
          `event type ${type} is not read by this statement (it reads ${this.types.join(', ')})`,
          type,
          typeAt,
        );
      }
    }
  }
}
