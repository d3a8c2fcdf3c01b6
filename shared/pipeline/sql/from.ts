/**
 * FROM, its lookup joins and WHERE of one SELECT (translate.ts translates the rest): the event types
 * read, the dimensions joined on payload fields (left or inner, `FOR SYSTEM_TIME AS OF
 * e.proc_time`), the type filter and the conditions on values, with where each is written.
 */

import { showType } from '../../definitions/types.ts';
import { logical, type Typed } from '../../definitions/typing.ts';
import { AggregateSelect } from './aggregate.ts';
import {
  asList,
  asNode,
  asString,
  conjunctsOf,
  isTypeFilter,
  type Node,
  offsetOf,
  referenceParts,
  show,
} from './syntax.ts';
import { keywordPattern, refPattern, stringPattern, word } from './text.ts';
import { ALL_EVENTS, PROC_TIME } from './values.ts';

/** A SELECT's sources: what FROM, the joins and WHERE say. */
export abstract class FromSelect extends AggregateSelect {
  /** The WHERE's conditions on values, and where the WHERE is. */
  predicate: Typed | undefined;
  whereAt: number | undefined;
  readonly joinAt = new Map<string, number | undefined>();
  fromAt: number | undefined;

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
      const windowed = this.text.windows.find((w) => w.tableAt === at);
      if (windowed && i > 0) {
        this.unsupported(
          `a window table function in a join; it is read in FROM: FROM TABLE(${windowed.window.kind}(TABLE <event type>, …)) e`,
          windowed.window.kind,
          windowed.at,
        );
      }
      if (i === 0) {
        this.window = windowed?.window;
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
}
