/**
 * A state mapping's row for one event (shared/pipeline/declarative.ts compiles the rest): its key,
 * and each aggregate's contribution to its column's merge (shared/tables/table.ts) —
 *   COUNT: 1 or 0, SUM: the value or 0 (added); MIN/MAX: the value or NULL (NULL changes nothing);
 *   FIRST_VALUE/LAST_VALUE: the value with its order key (the event's), or '' when the event does
 *   not count (another type, a filter that does not hold) — combineRows also sends '' for a NULL
 *   value, so a NULL never wins a column with an order key of its own.
 * A windowed mapping (shared/definitions/window.ts) gives one row per window holding the event's
 * time, its `{ window }` key columns the window's start and end (UTC DATETIME(3)).
 * The sink merges the rows when, and only when, the event's anchor row is new (exactly once).
 */
import { compileExpression, type Evaluator } from '../definitions/evaluate.ts';
import { aggregateValue, type StateMapping } from '../definitions/mapping.ts';
import { windowsOf } from '../definitions/window.ts';
import { checkedRow, orderKeyOf, type Row, type Table, type TableRow } from '../tables/table.ts';
import {
  type DeclarativeContext,
  type Event,
  evaluationContext,
  innerJoinsFound,
  type Keys,
  reader,
} from './declarative-values.ts';
import type { DimensionView } from './processor.ts';

type Part = (e: Event, dims: DimensionView, keys: Keys, row: Row) => void;

/** A state mapping's rows for events of `type` (none when a join or its WHERE leaves it out). */
export function stateWriter(
  mapping: StateMapping,
  type: string,
  context: DeclarativeContext,
): { table: Table; write: (e: Event, dims: DimensionView, keys: Keys) => TableRow[] } {
  const table = context.tables.find((t) => t.name === mapping.into)!;
  const parts: Part[] = [];
  const windowColumns: Array<[string, 'start' | 'end']> = [];
  for (const [column, source] of Object.entries(mapping.key)) {
    if ('window' in source) {
      windowColumns.push([column, source.window]);
      continue;
    }
    const read = reader(source, table.columns[column]!);
    parts.push((e, dims, keys, row) => {
      row[column] = read(e, dims, keys);
    });
  }
  for (const [column, aggregate] of Object.entries(mapping.columns)) {
    parts.push(aggregatePart(table, column, aggregate, type, context));
  }
  parts.push(...unfedParts(table, mapping));
  const found = innerJoinsFound(mapping.joins);
  const where = mapping.where && compileExpression(mapping.where);
  return {
    table,
    write(e, dims, keys) {
      if (!found(e, dims, keys)) return [];
      if (where && where(evaluationContext(e, dims, keys)) !== true) return [];
      const row: Row = {};
      for (const [column, value] of Object.entries(context.stateRow(e)))
        if (table.columns[column]) row[column] = value;
      for (const part of parts) part(e, dims, keys, row);
      if (!mapping.window) return [checkedRow(table, row)];
      return windowsOf(mapping.window, e.timestamp).map((span) => {
        const windowed: Row = { ...row };
        for (const [column, bound] of windowColumns) windowed[column] = new Date(span[bound]);
        return checkedRow(table, windowed);
      });
    },
  };
}

function aggregatePart(
  table: Table,
  column: string,
  aggregate: StateMapping['columns'][string],
  type: string,
  context: DeclarativeContext,
): Part {
  const ofType = !aggregate.when || aggregate.when.includes(type);
  const filter: Evaluator | undefined = aggregate.filter && compileExpression(aggregate.filter);
  const applies = (e: Event, dims: DimensionView, keys: Keys) =>
    ofType && (!filter || filter(evaluationContext(e, dims, keys)) === true);
  const { kind, value } = aggregateValue(aggregate);
  const read = value && reader(value, table.columns[column]!);
  switch (kind) {
    case 'count':
      return (e, dims, keys, row) => {
        row[column] = applies(e, dims, keys) && (!read || read(e, dims, keys) !== null) ? 1 : 0;
      };
    case 'sum':
      return (e, dims, keys, row) => {
        row[column] = applies(e, dims, keys) ? (read!(e, dims, keys) ?? 0) : 0;
      };
    case 'min':
    case 'max':
      return (e, dims, keys, row) => {
        row[column] = applies(e, dims, keys) ? read!(e, dims, keys) : null;
      };
    default: {
      // FIRST_VALUE / LAST_VALUE: with the order key it merges by (unless merged plain `newest`).
      const merge = table.merge[column];
      const by = merge && typeof merge === 'object' ? orderKeyOf(merge) : undefined;
      return (e, dims, keys, row) => {
        const counts = applies(e, dims, keys);
        row[column] = counts ? read!(e, dims, keys) : null;
        if (by) row[by] = counts ? context.orderKey(e) : '';
      };
    }
  }
}

/**
 * Order keys the mapping does not set stay '' (never newer), so their columns need no value; a
 * counter or sum no aggregate feeds adds 0.
 */
function unfedParts(table: Table, mapping: StateMapping): Part[] {
  const parts: Part[] = [];
  const fed = new Set([...Object.keys(mapping.key), ...Object.keys(mapping.columns)]);
  const orderKeysFed = new Set(
    Object.keys(mapping.columns).flatMap((c) => {
      const m = table.merge[c];
      return m && typeof m === 'object' ? [orderKeyOf(m)!] : [];
    }),
  );
  for (const [column, merge] of Object.entries(table.merge)) {
    const orderKey = typeof merge === 'object' ? orderKeyOf(merge) : undefined;
    if (orderKey && !orderKeysFed.has(orderKey) && !fed.has(orderKey)) {
      fed.add(orderKey);
      parts.push((_e, _d, _k, row) => {
        row[orderKey] = '';
      });
    }
    if (merge === 'add' && !fed.has(column)) {
      fed.add(column);
      parts.push((_e, _d, _k, row) => {
        row[column] = 0;
      });
    }
  }
  return parts;
}
