/**
 * The checks of a state mapping (check.ts checks the rest): its GROUP BY is the table's key, each
 * aggregate fits its column's merge (shared/tables/table.ts), columns ordered by one shared order
 * key are filtered to the same types, a column merged newest is fed, and a condition is a BOOLEAN.
 *
 * Aggregates and the merges they need:
 *   COUNT(*), COUNT(value), SUM(value)   'add'
 *   MIN(value), MAX(value)               'min', 'max'
 *   FIRST_VALUE(value)                   { firstValue: <its own order key> }
 *   LAST_VALUE(value)                    { lastValue: <its own order key> }; a value that is never
 *     NULL may also merge 'newest' / 'newestOrFirst' (unfiltered) or { newestBy: <a shared key> }
 *     (filtered to the same types as the key's other columns). LAST_VALUE skips NULLs, as Flink's
 *     does, which only a key of the column's own can do whatever the order events arrive in.
 */
import { type Column, type Merge, orderKeyOf, ownOrderKey } from '../tables/table.ts';
import type { Checker, DefinitionWorld } from './checker.ts';
import type { Expr } from './expression.ts';
import { AGGREGATE_SQL, type Aggregate, aggregateValue, type StateMapping } from './mapping.ts';
import { DefinitionProblem, type Place, show } from './problem.ts';
import { showType } from './types.ts';
import { checkWindow, checkWindowKey } from './window-check.ts';

type OrderedBy = Map<string, { when: string; column: string }>;

export function checkState(c: Checker, m: StateMapping, i: number): void {
  for (const type of m.types) c.eventType(type, i);
  const table = c.table(m.into, i);
  if (table.key.length === 1 && table.key[0] === 'event_id') {
    throw new DefinitionProblem(
      `${table.name} is an event table: it takes one row per event, not aggregates`,
      i,
      { part: 'mapping' },
      table.name,
    );
  }
  c.joins(m.joins, m.types, i);
  const keyColumns = Object.keys(m.key);
  if (keyColumns.length !== table.key.length || !table.key.every((k) => keyColumns.includes(k))) {
    const missing = table.key.find((k) => !keyColumns.includes(k));
    throw new DefinitionProblem(
      `the GROUP BY must be the key of ${table.name} (${table.key.join(', ')})`,
      i,
      missing
        ? { part: 'mapping' }
        : { part: 'column', column: keyColumns.find((k) => !table.key.includes(k))! },
      missing ?? table.name,
    );
  }
  const orderKeys = new Set(
    Object.values(table.merge).flatMap((mg) => (typeof mg === 'object' ? [orderKeyOf(mg)!] : [])),
  );
  const automatic = new Set([...c.world.automatic.state, ...orderKeys]);
  for (const [column, source] of Object.entries(m.key)) {
    const spec = c.column(table, column, automatic, i);
    if ('literal' in source)
      throw new DefinitionProblem(`key column ${column} is a constant`, i, { part: 'value', column }, column);
    if ('window' in source) {
      checkWindowKey(m, column, spec, i);
      continue;
    }
    c.fits(c.source(source, m.types, m.joins, i, column), column, spec, i);
  }
  if (m.window) checkWindow(m, table.name, i);
  if (m.where) condition(c, m.where, m, i, { part: 'where' }, 'WHERE');
  const orderedBy: OrderedBy = new Map();
  for (const [column, aggregate] of Object.entries(m.columns)) {
    const spec = c.column(table, column, automatic, i);
    if (table.key.includes(column)) {
      throw new DefinitionProblem(
        `key column ${column} cannot be an aggregate; select it and GROUP BY it`,
        i,
        { part: 'column', column },
        column,
      );
    }
    checkAggregate(c, m, table, column, spec, aggregate, orderedBy, i);
  }
  // Counters, sums, minima and maxima nothing aggregates are left as they are; a column merged
  // newest must be fed; columns of an order key the mapping does not set are left alone (the key
  // stays '', never newer), but a shared order key it sets must get all of its columns.
  const fed = new Set([...table.key, ...Object.keys(m.columns), ...automatic]);
  for (const [column, merge] of Object.entries(table.merge)) {
    if (merge === 'add' || merge === 'min' || merge === 'max' || ownOrderKey(merge)) continue;
    if (typeof merge === 'object' && !orderedBy.has(orderKeyOf(merge)!)) continue;
    if (!fed.has(column)) {
      throw new DefinitionProblem(
        `column ${column} of ${table.name} merges ${show(merge)} but nothing feeds it (it is not selected)`,
        i,
        { part: 'mapping' },
        column,
      );
    }
  }
  const adds = Object.entries(table.merge).flatMap(([col, mg]) => (mg === 'add' ? [col] : []));
  c.covered(table, [...fed, ...adds], i);
}

/** A condition (WHERE, FILTER) names known values and is a BOOLEAN. */
function condition(c: Checker, expr: Expr, m: StateMapping, i: number, place: Place, text: string): void {
  c.expression(expr, m.types, m.joins, i, place, text);
  if (expr.t.type !== 'BOOLEAN' && expr.t.type !== 'NULL') {
    throw new DefinitionProblem(
      `${text} needs a condition (BOOLEAN), not ${showType(expr.t)}`,
      i,
      place,
      text,
    );
  }
}

const NEEDS = {
  count: "'add'",
  sum: "'add'",
  min: "'min'",
  max: "'max'",
  first: '{ firstValue: <an order key of its own> }',
  last: '{ lastValue: <an order key of its own> }',
} as const;

function checkAggregate(
  c: Checker,
  m: StateMapping,
  table: DefinitionWorld['tables'][number],
  column: string,
  spec: Column,
  aggregate: Aggregate,
  orderedBy: OrderedBy,
  i: number,
): void {
  const place: Place = { part: 'column', column };
  for (const type of aggregate.when ?? []) {
    c.eventType(type, i);
    if (!m.types.includes(type)) {
      throw new DefinitionProblem(
        `event type ${type} is not read by this mapping (it reads ${m.types.join(', ')})`,
        i,
        { part: 'type', type },
        type,
      );
    }
  }
  const types = aggregate.when ?? m.types;
  const { kind, value: source } = aggregateValue(aggregate);
  if (aggregate.filter) condition(c, aggregate.filter, { ...m, types }, i, place, 'FILTER (WHERE …)');
  const merge = Object.hasOwn(table.merge, column) ? table.merge[column] : undefined;
  const value = source && c.source(source, types, m.joins, i, column);
  const wrong = () =>
    new DefinitionProblem(
      `column ${column} merges ${show(merge)}; ${AGGREGATE_SQL[kind]} needs merge ${NEEDS[kind]}`,
      i,
      place,
      column,
    );
  if (kind === 'count' || kind === 'sum') {
    if (merge !== 'add') throw wrong();
    // A NULL sum adds nothing.
    if (kind === 'sum') c.fits(value!, column, spec, i, false);
    return;
  }
  if (kind === 'min' || kind === 'max') {
    if (merge !== kind) throw wrong();
    c.fits(value!, column, spec, i, true);
    return;
  }
  if (merge && ownOrderKey(merge)) {
    if ('firstValue' in (merge as object) !== (kind === 'first')) throw wrong();
    // A row whose value is NULL (or that the filter leaves out) never wins the column's own key.
    c.fits(value!, column, spec, i, true);
    return;
  }
  if (kind === 'first') throw wrong();
  lastIntoShared(value!, merge, aggregate, column, types, orderedBy, i, place, wrong);
  c.fits(value!, column, spec, i, typeof merge === 'object');
}

/** LAST_VALUE into a column merged newest, or newestBy an order key shared with other columns. */
function lastIntoShared(
  value: NonNullable<ReturnType<Checker['source']>>,
  merge: Merge | undefined,
  aggregate: Aggregate,
  column: string,
  types: readonly string[],
  orderedBy: OrderedBy,
  i: number,
  place: Place,
  wrong: () => DefinitionProblem,
): void {
  if (value.typed.nullable) {
    throw new DefinitionProblem(
      `column ${column} merges ${show(merge)}, but ${value.text} may be NULL and LAST_VALUE skips NULLs (as Flink's does): merge it ${NEEDS.last}`,
      i,
      place,
      column,
    );
  }
  if (aggregate.filter) {
    throw new DefinitionProblem(
      `column ${column} merges ${show(merge)}, ordered with other columns; a LAST_VALUE filtered by a condition needs merge ${NEEDS.last}`,
      i,
      place,
      column,
    );
  }
  if (aggregate.when || typeof merge === 'object') {
    if (typeof merge !== 'object') {
      throw new DefinitionProblem(
        `column ${column} merges ${show(merge)}; a filtered LAST_VALUE needs merge { newestBy: <order key> } or ${NEEDS.last}`,
        i,
        place,
        column,
      );
    }
    // Unfiltered into a newestBy column: the newest of every type the mapping reads.
    const by = orderKeyOf(merge)!;
    const when = [...types].sort().join(', ');
    const other = orderedBy.get(by);
    if (other && other.when !== when) {
      throw new DefinitionProblem(
        `column ${column} is ordered by ${by} like ${other.column}, so it must be filtered to the same types (${other.when}), not ${when}`,
        i,
        place,
        column,
      );
    }
    orderedBy.set(by, { when, column });
    return;
  }
  if (merge !== 'newest' && merge !== 'newestOrFirst') throw wrong();
}
