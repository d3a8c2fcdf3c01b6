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
import { showType } from '../../definitions/types.ts';
import { logical, type Typed } from '../../definitions/typing.ts';
import { AggregateSelect } from './aggregate.ts';
import {
  ALL_EVENTS,
  PROC_TIME,
  Resolver,
  type SelectItem,
  type SqlTable,
  type Value,
  type World,
} from './resolve.ts';
import {
  asList,
  asNode,
  asString,
  conjunctsOf,
  endOf,
  groupedExprs,
  isTypeFilter,
  type Node,
  offsetOf,
  own,
  referenceParts,
  show,
} from './syntax.ts';
import { keywordPattern, refPattern, type Span, type SqlText, stringPattern, word } from './text.ts';

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
export class Select extends AggregateSelect {
  readonly select: Node;
  readonly target: Target;
  readonly columnList: Target['columnList'];
  /** The column names are the first branch's (a later branch of a UNION ALL). */
  readonly inherited: boolean;
  /** The WHERE's conditions on values, and where the WHERE is. */
  predicate: Typed | undefined;
  whereAt: number | undefined;
  readonly joinAt = new Map<string, number | undefined>();
  fromAt: number | undefined;

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

  // ------------------------------------------------------------------------------- FROM, WHERE

  /** Reads FROM and its joins; returns where FROM is. */
  from(select: Node, selectAt: number): number {
    const entries = asList(select.from).map(asNode);
    if (entries.length === 0) this.unsupported('a SELECT without FROM', 'SELECT', selectAt);
    const fromAt =
      this.locate(
        new RegExp(`${keywordPattern('FROM').source}\\s*${word(asString(entries[0]!.table) ?? '')}`, 'i'),
        selectAt,
      ) ??
      this.locate(keywordPattern('FROM'), selectAt) ??
      selectAt;
    let cursor = fromAt;
    for (const [i, entry] of entries.entries()) {
      const name = asString(entry.table);
      const at = name === undefined ? cursor : (this.locate(refPattern([name]), cursor) ?? cursor);
      cursor = at + 1;
      if (!name || entry.expr) this.unsupported('a subquery or expression in FROM', name ?? '(', at);
      if (entry.db || entry.schema)
        this.unsupported('a qualified table name in FROM', `${String(entry.db ?? entry.schema)}.${name}`, at);
      const alias = asString(entry.as) ?? name;
      if (i === 0) {
        if (entry.join) this.unsupported('FROM starting with a join', name, at);
        this.eventName = alias;
        if (name === ALL_EVENTS) continue;
        if (!this.world.payloads.has(name)) this.unknownType(name, at);
        this.types = [name];
        continue;
      }
      if (!entry.join) {
        this.unsupported(
          `several tables in FROM; read several event types with FROM ${ALL_EVENTS} e WHERE type IN (…)`,
          name,
          at,
        );
      }
      const kind = String(entry.join).toUpperCase();
      const inner = kind === 'JOIN' || kind === 'INNER JOIN';
      if (!inner && kind !== 'LEFT JOIN' && kind !== 'LEFT OUTER JOIN') {
        this.unsupported(
          `${String(entry.join)}; dimensions are joined with LEFT JOIN or (inner) JOIN`,
          name,
          at,
        );
      }
      this.join(entry, name, alias, at, inner);
    }
    return fromAt;
  }

  unknownType(name: string, at: number | undefined): never {
    this.fail(`unknown event type ${name} (known: ${[...this.world.payloads.keys()].join(', ')})`, name, at);
  }

  join(entry: Node, name: string, alias: string, at: number, inner: boolean): void {
    const dimension = this.world.dimensionsByTable.get(name);
    if (!dimension) {
      const known = [...this.world.dimensionsByTable.keys()].join(', ');
      this.fail(`unknown dimension table ${name} (known: ${known})`, name, at);
    }
    if (this.joins.some((j) => j.dimension === dimension)) this.fail(`${name} is joined twice`, name, at);
    if (alias === this.eventName || this.joins.some((j) => j.alias === alias)) {
      this.fail(`alias ${alias} is used twice`, alias, at);
    }
    const on = asNode(entry.on);
    const onAt = offsetOf(on) ?? this.locate(keywordPattern('ON'), at);
    if (entry.using || on.type !== 'binary_expr' || on.operator !== '=') {
      this.unsupported(
        `a join condition other than ${alias}.${dimension.key} = ${this.eventName}.<payload field>`,
        entry.using ? 'USING' : 'ON',
        onAt,
      );
    }
    const sides = [asNode(on.left), asNode(on.right)].map((side) => ({ side, parts: referenceParts(side) }));
    const mine = sides.find((s) => s.parts?.[0] === alias && s.parts.length === 2);
    const other = sides.find((s) => s !== mine);
    if (!mine || !other?.parts || other.parts[0] !== this.eventName || other.parts.length < 2) {
      const offender = sides.find((s) => !s.parts) ?? sides[1]!;
      this.unsupported(
        `a join condition other than ${alias}.${dimension.key} = ${this.eventName}.<payload field>`,
        show(offender.side),
        this.locateExpr(offender.side, onAt ?? at) ?? onAt,
      );
    }
    const column = mine.parts![1]!;
    if (column !== dimension.key) {
      this.unsupported(
        `a join not on the key of ${name} (${dimension.key})`,
        `${alias}.${column}`,
        this.locate(refPattern(mine.parts!), onAt ?? at),
      );
    }
    this.joins.push({ dimension, alias, on: other.parts.slice(1).join('.'), inner });
    this.joinAt.set(dimension.name, at);
    // The join's payload field is checked once the statement's types are known.
  }

  /** `FOR SYSTEM_TIME AS OF e.proc_time` after a lookup join's table: the current row. */
  systemTime(fromAt: number): void {
    for (const clause of this.text.systemTime) {
      if (clause.at < this.span.start || clause.at >= this.span.end) continue;
      const [qualifier, field, ...rest] = clause.parts;
      if (clause.at < fromAt || qualifier !== this.eventName || field !== PROC_TIME || rest.length > 0) {
        this.unsupported(
          `FOR SYSTEM_TIME AS OF ${clause.parts.join('.')}; a lookup join reads the dimension's current row (through the warm cache), written FOR SYSTEM_TIME AS OF ${this.eventName}.${PROC_TIME}`,
          clause.parts.join('.'),
          clause.refAt,
        );
      }
    }
  }

  /**
   * WHERE: the event types (`type = '…'`, `type IN (…)`, after FROM events) and, for an event
   * table, conditions on payload values and dimension columns, ANDed: an event they do not hold for
   * is not written to the table.
   */
  where(select: Node, fromAt: number): void {
    const where = asNode(select.where);
    const whereAt = this.locate(keywordPattern('WHERE'), fromAt);
    const conjuncts = select.where ? conjunctsOf(where) : [];
    const typeFilters = conjuncts.filter(isTypeFilter);
    const conditions = conjuncts.filter((c) => !isTypeFilter(c));
    if (this.types.length === 0) {
      if (!select.where) {
        this.fail(
          `FROM ${ALL_EVENTS} needs WHERE type IN ('…', …)`,
          ALL_EVENTS,
          this.locate(refPattern([ALL_EVENTS]), fromAt),
        );
      }
      // No type filter among the conditions: typeFilter says what is wrong with the WHERE.
      if (typeFilters.length === 0) this.typeFilter(where, offsetOf(where) ?? whereAt ?? fromAt, 'WHERE');
      if (typeFilters.length > 1) {
        const second = typeFilters[1]!;
        this.unsupported(
          'two type filters in one WHERE',
          'type',
          this.locateExpr(second, (whereAt ?? fromAt) + 1),
        );
      }
      const filter = typeFilters[0]!;
      this.types = this.typeFilter(filter, this.locateExpr(filter, whereAt ?? fromAt) ?? whereAt, 'WHERE');
      for (const type of this.types) {
        if (!this.world.payloads.has(type))
          this.unknownType(type, this.locate(stringPattern(type), whereAt, true));
      }
    } else if (typeFilters.length > 0) {
      this.unsupported(
        `a type filter after FROM <event type>; the statement reads ${this.types.join(', ')} (FROM ${ALL_EVENTS} e WHERE type IN (…) reads several)`,
        'type',
        this.locateExpr(typeFilters[0]!, whereAt ?? fromAt),
      );
    }
    for (const join of this.joins) {
      const at = this.locate(refPattern([this.eventName, ...join.on.split('.')]), fromAt);
      this.payload(join.on.split('.'), this.types, at, `${this.eventName}.${join.on}`);
    }
    if (conditions.length === 0) return;
    this.whereAt = whereAt;
    const first = this.locateExpr(conditions[0]!, whereAt ?? fromAt) ?? whereAt;
    const values = conditions.map((c) =>
      this.value(c, this.types, this.locateExpr(c, whereAt ?? fromAt) ?? first),
    );
    for (const v of values) {
      if (v.typed.expr.t.type !== 'BOOLEAN' && v.typed.expr.t.type !== 'NULL') {
        this.fail(`WHERE needs a condition (BOOLEAN), not ${showType(v.typed.expr.t)}`, v.text, v.at);
      }
    }
    this.predicate =
      values.length === 1
        ? values[0]!.typed
        : logical(
            'AND',
            values.map((v) => v.typed),
          );
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
    for (const expr of grouped) {
      const at = this.locateExpr(expr, cursor) ?? cursor;
      cursor = at + 1;
      const value = this.value(expr, this.types, at);
      const column = Object.keys(key).find((c) => same(key[c]!, value.source));
      if (!column) {
        this.fail(
          `GROUP BY ${value.text} is not the source of a key column of ${table.name} (${table.key.join(', ')})`,
          value.text,
          at,
        );
      }
      covered.add(column);
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
