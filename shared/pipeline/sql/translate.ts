/**
 * Translation of one INSERT … SELECT statement (each branch of a UNION ALL) into the definitions
 * core's mappings (shared/definitions/mapping.ts), with where each part of it is written, so that
 * shared/pipeline/sql.ts can put a problem check.ts finds at its line and column. What the SQL says
 * is resolved and typed by resolve.ts; what it means for the tables is checked by the core.
 */
import { isEventTable } from '../../definitions/check.ts';
import type {
  Aggregate,
  EventMapping,
  Join,
  Mapping,
  Source,
  StateMapping,
} from '../../definitions/mapping.ts';
import { FromSelect } from './from.ts';
import { Resolver } from './resolve.ts';
import {
  asList,
  asNode,
  asString,
  endOf,
  groupedExprs,
  type Node,
  offsetOf,
  own,
  referenceParts,
} from './syntax.ts';
import { keywordPattern, refPattern, type Span, type SqlText, stringPattern, word } from './text.ts';
import { ALL_EVENTS, type SelectItem, type SqlTable, type Value, type World } from './values.ts';

/** Where the parts of a mapping are written. */
export interface Located {
  /** The branch that wrote it: its errors name the statement and a position. */
  select: Select;
  tableAt: number | undefined;
  columns: Map<string, { at: number; valueAt: number | undefined; text: string | undefined }>;
  whereAt: number | undefined;
  joinAt: Map<string, number | undefined>;
  typeAt: Map<string, number | undefined>;
}

export interface Translated {
  mapping: Mapping;
  located: Located;
}

interface Target {
  table: SqlTable;
  tableAt: number | undefined;
  /** `INSERT INTO t (a, b) SELECT …`: the columns, in order, and where each is named. */
  columnList: Array<{ name: string; at: number | undefined }> | undefined;
}

/** An INSERT statement: its target, then each branch of its UNION ALL, translated. */
export function translateInsert(ast: Node, span: Span, text: SqlText, world: World): Translated[] {
  const statement: Resolver = new Resolver(span, text, world);
  if (ast.type !== 'insert') {
    const keyword = /\S+/.exec(text.raw.slice(span.start))?.[0] ?? String(ast.type);
    statement.unsupported(`${keyword.toUpperCase()} statements; only INSERT INTO … SELECT`, keyword);
  }
  const targets = asList(ast.table).map(asNode);
  const targetName = asString(targets[0]?.table) ?? '';
  const targetAt = statement.locate(
    new RegExp(`${keywordPattern('INTO').source}\\s*${word(targetName)}`, 'i'),
  );
  const tableAt = targetAt === undefined ? undefined : statement.locate(refPattern([targetName]), targetAt);
  if (targets.length !== 1 || targets[0]!.db)
    statement.unsupported('one unqualified target table', targetName, tableAt);
  let columnList: Target['columnList'];
  if (ast.columns) {
    let cursor = tableAt ?? span.start;
    columnList = asList(ast.columns).map((c) => {
      const name = asString(asNode(c).value) ?? asString(c) ?? '';
      const at = statement.locate(refPattern([name]), cursor + 1);
      cursor = at ?? cursor;
      return { name, at };
    });
  }
  for (const key of ['returning', 'partition', 'on_duplicate_update', 'conflict', 'set']) {
    if (ast[key] !== null && ast[key] !== undefined) statement.unsupported(key.toUpperCase(), key, tableAt);
  }
  const select = asNode(ast.values);
  if (select.type !== 'select') {
    statement.unsupported(
      'INSERT … VALUES; write INSERT INTO … SELECT',
      'VALUES',
      statement.locate(keywordPattern('VALUES')),
    );
  }
  const table = world.tables.get(targetName);
  if (!table) {
    const known = [...world.tables.keys()].filter((t) => !world.dimensionsByTable.has(t));
    statement.fail(`unknown table ${targetName} (known: ${known.join(', ')})`, targetName, tableAt);
  }
  if (world.dimensionsByTable.has(targetName)) {
    statement.fail(`${targetName} is a dimension table, read only`, targetName, tableAt);
  }
  // UNION ALL: the branches, each with its span (from its SELECT to the next UNION).
  const branches: Node[] = [];
  for (
    let branch: Node | undefined = select;
    branch;
    branch = branch._next ? asNode(branch._next) : undefined
  ) {
    branches.push(branch);
  }
  const unions: number[] = [];
  for (let from = span.start, at: number | undefined; ; from = at + 1) {
    at = statement.locate(/(?<![\w$])(?:UNION|INTERSECT|EXCEPT)(?![\w$])/i, from);
    if (at === undefined) break;
    unions.push(at);
  }
  for (const [i, branch] of branches.entries()) {
    const op = String(branch.set_op ?? '').toUpperCase();
    if (branch._next && op !== 'UNION ALL') {
      const at = unions[i];
      const written = at === undefined ? op : (/\S+(?:\s+ALL)?/.exec(text.raw.slice(at))?.[0] ?? op);
      statement.unsupported(
        `${op || 'UNION'}${op === 'UNION' ? ' (it removes duplicates: write UNION ALL)' : '; branches are joined with UNION ALL'}`,
        written,
        at,
      );
    }
  }
  if (branches.length > 1 && !isEventTable(table)) {
    statement.unsupported(
      `UNION ALL into state table ${targetName}; aggregate several types with FROM ${ALL_EVENTS} e WHERE type IN (…)`,
      'UNION ALL',
      unions[0],
    );
  }
  const translated: Translated[] = [];
  for (const [i, branch] of branches.entries()) {
    const start = i === 0 ? span.start : unions[i - 1]!;
    const end = unions[i] ?? span.end;
    const first = translated[0];
    const inherited =
      i > 0 && !columnList
        ? [...first!.located.columns.keys()].map((name) => ({ name, at: undefined }))
        : undefined;
    const target = { table, tableAt, columnList: columnList ?? inherited };
    translated.push(
      new Select(branch, { ...span, start, end }, text, world, target, inherited !== undefined).translate(),
    );
  }
  return translated;
}

/** One SELECT (a branch of a UNION ALL), translated into one mapping. */
export class Select extends FromSelect {
  readonly select: Node;
  readonly target: Target;
  readonly columnList: Target['columnList'];
  /** The column names are the first branch's (a later branch of a UNION ALL). */
  readonly inherited: boolean;

  constructor(select: Node, span: Span, text: SqlText, world: World, target: Target, inherited: boolean) {
    super(span, text, world);
    this.select = select;
    this.target = target;
    this.columnList = target.columnList;
    this.inherited = inherited;
  }

  translate(): Translated {
    const { table, tableAt } = this.target;
    const select = this.select;
    this.checkClauses(select);
    const selectAt = this.locate(keywordPattern('SELECT')) ?? this.span.start;
    const fromAt = this.from(select, selectAt);
    this.fromAt = fromAt;
    this.systemTime(fromAt);
    const eventTable = isEventTable(table);
    this.where(select, fromAt);
    if (eventTable && this.types.length !== 1) {
      const second = this.types[1]!;
      this.fail(
        `a statement into event table ${table.name} reads one event type, not ${this.types.join(', ')}; write one SELECT per type, joined by UNION ALL`,
        second,
        this.locate(stringPattern(second), fromAt, true),
      );
    }
    const items = this.selectList(select, selectAt, eventTable);
    const named = new Map<string, SelectItem>();
    for (const item of items) {
      if (!own(table.columns, item.column)) {
        this.fail(`unknown column ${item.column} of ${table.name}`, item.column, item.at);
      }
      if (named.has(item.column)) this.fail(`column ${item.column} is selected twice`, item.column, item.at);
      named.set(item.column, item);
    }
    if (eventTable && this.window) {
      this.unsupported(
        `a window table function into event table ${table.name} (one row per event); window aggregation writes a state table keyed by window_start or window_end`,
        this.window.kind,
        this.locate(keywordPattern(this.window.kind), this.fromAt, true),
      );
    }
    if (eventTable && groupedExprs(select).length > 0) {
      const at = this.locate(keywordPattern('GROUP', 'BY'));
      this.unsupported(`GROUP BY into event table ${table.name} (one row per event)`, 'GROUP BY', at);
    }
    const mapping = eventTable
      ? this.eventMapping(table, items)
      : this.stateMapping(table, select, items, tableAt);
    return { mapping, located: this.located(items) };
  }

  located(items: SelectItem[]): Located {
    const value = (item: SelectItem): Value | undefined => item.value ?? item.aggregateValue;
    const typeAt = new Map<string, number | undefined>();
    for (const type of this.types) {
      typeAt.set(
        type,
        this.locate(stringPattern(type), this.fromAt, true) ?? this.locate(refPattern([type]), this.fromAt),
      );
    }
    return {
      select: this,
      tableAt: this.target.tableAt,
      columns: new Map(
        items.map((item) => [
          item.column,
          { at: item.at, valueAt: value(item)?.at, text: value(item)?.text },
        ]),
      ),
      whereAt: this.whereAt,
      joinAt: this.joinAt,
      typeAt,
    };
  }

  /** Refuses every clause of the SELECT but FROM, WHERE and GROUP BY. */
  checkClauses(select: Node): void {
    const empty = (v: unknown): boolean =>
      v === null ||
      v === undefined ||
      (Array.isArray(v) && v.length === 0) ||
      (typeof v === 'object' && Object.values(v as object).every((x) => empty(x) || x === ''));
    const clauses: Record<string, [string, string[]]> = {
      with: ['WITH', ['WITH']],
      options: ['SELECT options', ['SELECT']],
      distinct: ['DISTINCT', ['DISTINCT']],
      into: ['SELECT … INTO', ['INTO']],
      having: [
        'HAVING (a condition on aggregated values, which change with every event); filter when reading the table: SELECT … FROM <state table> WHERE <condition>',
        ['HAVING'],
      ],
      orderby: ['ORDER BY', ['ORDER', 'BY']],
      limit: ['LIMIT', ['LIMIT']],
      window: ['WINDOW', ['WINDOW']],
    };
    // UNION ALL's branches (_next, set_op) are split by translateInsert.
    const allowed = new Set(['type', 'columns', 'from', 'where', 'groupby', 'loc', '_next', 'set_op']);
    for (const [key, value] of Object.entries(select)) {
      if (allowed.has(key) || empty(value)) continue;
      const [what, words] = clauses[key] ?? [key.toUpperCase(), [key]];
      const at = this.locate(keywordPattern(...words), this.locate(keywordPattern('SELECT')));
      const written =
        at === undefined ? undefined : keywordPattern(...words).exec(this.text.raw.slice(at))?.[0];
      this.unsupported(what, written ?? what, at);
    }
  }

  // ---------------------------------------------------------------------------- select list

  selectList(select: Node, selectAt: number, isEventTable: boolean): SelectItem[] {
    let cursor = selectAt;
    const items: SelectItem[] = [];
    const columns = asList(select.columns).map(asNode);
    const list = this.columnList;
    if (list && list.length !== columns.length) {
      this.fail(
        this.inherited
          ? `UNION ALL: this SELECT has ${columns.length} column${columns.length === 1 ? '' : 's'} but the first has ${list.length}`
          : `the column list names ${list.length} column${list.length === 1 ? '' : 's'} but the SELECT has ${columns.length}`,
        this.inherited ? 'SELECT' : (list[0]?.name ?? '('),
        this.inherited ? this.span.start : list[0]?.at,
      );
    }
    for (const [i, raw] of columns.entries()) {
      const expr = asNode(raw.expr);
      if (
        raw.type === 'star' ||
        (expr.type === 'column_ref' && referenceParts(expr) === undefined && !expr.array_index)
      ) {
        this.unsupported('SELECT *; name every column', '*', this.locate(/\*/, cursor));
      }
      const at = offsetOf(expr) ?? this.locateExpr(expr, cursor) ?? cursor;
      const end = endOf(expr);
      const alias = asString(raw.as) ?? asString(asNode(raw.as).value);
      const aliasFrom = end ?? at;
      const aliasAt =
        alias === undefined
          ? undefined
          : (this.locate(new RegExp(`${keywordPattern('AS').source}\\s*${word(alias)}`, 'i'), aliasFrom) ??
            this.locate(refPattern([alias]), aliasFrom));
      const named = list?.[i];
      const columnAt = named
        ? (named.at ?? at)
        : aliasAt === undefined
          ? at
          : (this.locate(refPattern([alias!]), aliasAt) ?? aliasAt);
      cursor = Math.max(end ?? at, aliasAt ?? at) + 1;
      const aggregate = this.aggregateOf(expr);
      if (aggregate) {
        if (isEventTable) {
          this.unsupported(`aggregate ${aggregate} into an event table (one row per event)`, aggregate, at);
        }
        const column = named?.name ?? alias;
        if (column === undefined) this.fail(`${aggregate}(…) needs AS <column>`, aggregate, at);
        items.push({ column, at: columnAt, ...this.aggregate(expr, aggregate, at) });
        continue;
      }
      const value = this.value(expr, this.types, at);
      const column = named?.name ?? alias ?? value.name;
      if (column === undefined) this.fail(`${value.text} needs AS <column>`, value.text, at);
      if (!named && value.source && 'event' in value.source && alias === undefined) {
        this.fail(`${value.text} needs AS <column>`, value.text, at);
      }
      items.push({ column, at: columnAt, value });
    }
    return items;
  }

  // ------------------------------------------------------------------------------- mappings

  /** The event mapping; the definitions core (check.ts) checks its columns. */
  eventMapping(table: SqlTable, items: SelectItem[]): EventMapping {
    const columns: Record<string, Source> = {};
    for (const item of items) columns[item.column] = item.value!.source;
    const mapping: EventMapping = {
      type: this.types[0]!,
      into: table.name,
      joins: this.declaredJoins(),
      columns,
    };
    if (this.predicate) mapping.where = this.predicate.expr;
    return mapping;
  }

  /** The state mapping: plain values are the key, the rest aggregates; check.ts checks the merges. */
  stateMapping(
    table: SqlTable,
    select: Node,
    items: SelectItem[],
    tableAt: number | undefined,
  ): StateMapping {
    const key: Record<string, Source> = {};
    const columns: Record<string, Aggregate> = {};
    for (const item of items) {
      const isKey = table.key.includes(item.column);
      if (item.value) {
        if (!isKey) {
          this.fail(
            `column ${item.column} is not in the key of ${table.name} (${table.key.join(', ')}): aggregate it with COUNT, SUM, MIN, MAX, FIRST_VALUE or LAST_VALUE`,
            item.column,
            item.at,
          );
        }
        if ('literal' in item.value.source)
          this.unsupported(`a literal key column`, item.value.text, item.at);
        key[item.column] = item.value.source;
        continue;
      }
      const aggregate = item.aggregate!;
      // Unfiltered LAST_VALUE into a newestBy column: the newest of every type the statement reads.
      const merge = own(table.merge, item.column);
      if ('last' in aggregate && !aggregate.when && typeof merge === 'object' && 'newestBy' in merge)
        aggregate.when = [...this.types];
      columns[item.column] = aggregate;
    }
    this.groupBy(table, select, key, items, tableAt);
    const mapping: StateMapping = {
      into: table.name,
      types: this.types,
      joins: this.declaredJoins(),
      key,
      columns,
    };
    if (this.predicate) mapping.where = this.predicate.expr;
    if (this.window) mapping.window = this.window;
    return mapping;
  }

  groupBy(
    table: SqlTable,
    select: Node,
    key: Record<string, Source>,
    items: SelectItem[],
    tableAt: number | undefined,
  ): void {
    const groupAt = this.locate(keywordPattern('GROUP', 'BY'));
    const grouped = groupedExprs(select);
    if (grouped.length === 0) {
      this.fail(
        `a statement into state table ${table.name} needs GROUP BY the sources of its key (${table.key.join(', ')})`,
        table.name,
        tableAt,
      );
    }
    for (const column of table.key) {
      if (!key[column]) this.fail(`key column ${column} of ${table.name} is not selected`, column, tableAt);
    }
    const same = (a: Source, b: Source) => JSON.stringify(a) === JSON.stringify(b);
    let cursor = groupAt ?? this.span.start;
    const covered = new Set<string>();
    const bounds = new Set<string>();
    for (const expr of grouped) {
      const at = this.locateExpr(expr, cursor) ?? cursor;
      cursor = at + 1;
      const value = this.value(expr, this.types, at);
      if ('window' in value.source) bounds.add(value.source.window);
      const column = Object.keys(key).find((c) => same(key[c]!, value.source));
      // window_start / window_end are grouped by, as Flink requires, whether the table keeps both or not.
      if (!column && 'window' in value.source) continue;
      if (!column) {
        this.fail(
          `GROUP BY ${value.text} is not the source of a key column of ${table.name} (${table.key.join(', ')})`,
          value.text,
          at,
        );
      }
      covered.add(column);
    }
    if (this.window && (!bounds.has('start') || !bounds.has('end'))) {
      this.fail(
        `a window aggregation groups by window_start and window_end (and its keys), as Flink's does; GROUP BY lacks ${bounds.has('start') ? 'window_end' : 'window_start'}`,
        'GROUP BY',
        groupAt,
      );
    }
    for (const column of Object.keys(key)) {
      if (!covered.has(column)) {
        const item = items.find((i) => i.column === column)!;
        this.fail(
          `key column ${column} (${item.value!.text}) is not in GROUP BY`,
          column,
          groupAt ?? item.at,
        );
      }
    }
  }

  declaredJoins(): Join[] {
    return this.joins.map((j) => ({
      dimension: j.dimension.name,
      on: j.on,
      ...(j.inner && { inner: true }),
    }));
  }
}
