/**
 * The SQL form of declarative processors, for engineers who come from Flink SQL: INSERT … SELECT
 * statements compiled — when the domain is defined, in Node, never at the first event — into the
 * definitions core's mappings (shared/definitions/mapping.ts), which check.ts checks for both front
 * ends. node-sql-parser parses (its PostgreSQL grammar: the one that reads the aggregate
 * `FILTER (WHERE …)` clause). This front end only parses, resolves names and positions, and
 * translates, in files by job:
 *   sql/text.ts       the text: parser loading, statements' spans, positions, Flink syntax rewritten;
 *   sql/resolve.ts    names and types: payload fields, dimension columns, the envelope, expressions;
 *   sql/operators.ts  its function calls, CAST, EXTRACT, CASE and operators; sql/values.ts the
 *                     context (World), the envelope's functions and the shape of a resolved value;
 *   sql/translate.ts  an INSERT (each branch of a UNION ALL) into a mapping, with where its parts are;
 *   sql/from.ts       its FROM, lookup joins and WHERE; sql/aggregate.ts its aggregates.
 * A problem the core finds is put at the line and column of the part it names.
 *
 * The dialect
 *
 * Event rows — one statement per event type, into an event table (keyed by event_id):
 *
 *   INSERT INTO product_event_wide
 *   SELECT e.productId AS product_id, e.userId AS user_id, e.referrer,
 *          p.product_name, p.category, p.brand, u.user_name, u.user_level, u.region
 *   FROM product_view e
 *   LEFT JOIN dim_product p ON p.product_id = e.productId
 *   LEFT JOIN dim_user u ON u.user_id = e.userId
 *
 * State rows — aggregated over one or more event types into a state table, grouped by its key:
 *
 *   INSERT INTO user_profile_wide
 *   SELECT e.userId AS user_id,
 *          COUNT(*) FILTER (WHERE type = 'user_login') AS login_count,
 *          COUNT(*) FILTER (WHERE type = 'user_view') AS view_count,
 *          COUNT(*) FILTER (WHERE type = 'user_purchase') AS purchase_count,
 *          SUM(e.amount) FILTER (WHERE type = 'user_purchase') AS purchase_amount,
 *          LAST_VALUE(CASE WHEN type = 'user_login' THEN TO_TIMESTAMP_LTZ(e.loginTime, 3) END) AS last_login_at,
 *          LAST_VALUE(CASE WHEN type = 'user_login' THEN e.device END) AS last_device,
 *          LAST_VALUE(u.user_name) AS user_name,
 *          LAST_VALUE(u.user_level) AS user_level,
 *          LAST_VALUE(u.region) AS region
 *   FROM events e
 *   LEFT JOIN dim_user u ON u.user_id = e.userId
 *   WHERE type IN ('user_login', 'user_purchase', 'user_view')
 *   GROUP BY e.userId
 *
 * docs/sql.md is the reference (what is supported, what is refused and why, the guide from Flink
 * SQL); in short:
 * - FROM names the event type (`FROM product_view e`). Several types: `FROM events e` with
 *   `WHERE type IN ('…', …)` (or `type = '…'`). An event table's SELECT reads exactly one type;
 *   several types go into one event table with UNION ALL (one SELECT per type, the columns named
 *   by the first), and one type into several tables with several statements (Flink's statement
 *   set, `EXECUTE STATEMENT SET BEGIN … END;` accepted around them). A type writes one row per
 *   event table. A type a state table aggregates needs an event-table statement with no WHERE and
 *   no inner join (its row is what merges the state exactly once).
 *   and its WHERE may also hold conditions on payload values and dimension columns (ANDed with
 *   the type filter): an event they do not hold for is not written (it is done, not retried).
 * - `e.<field>` is a payload field (`e.address.city` a nested one, `e.items[1]` an array element,
 *   1-based, `e.attributes['k']` a map entry), `e` being the FROM alias (or, with no alias, the
 *   type's name). A field must exist in every event type it is read from. The envelope is read
 *   through functions, so it never collides with a payload field: event_id(), event_type(),
 *   event_time() (TIMESTAMP(3)), event_version(), event_source(), event_domain(). In a type filter,
 *   the bare word `type` is the event type.
 * - Dimensions: `LEFT JOIN <dimension table> [FOR SYSTEM_TIME AS OF e.proc_time] <alias> ON
 *   <alias>.<its key> = e.<payload field>` and nothing else in ON; `<alias>.<column>` reads one of
 *   the columns its lookup returns (NULL when the row is missing): the current row, through the
 *   warm cache. `JOIN` (inner) instead: an event whose dimension row is missing writes no row to
 *   that table (as Flink drops it), counted per table (BatchStats.rowsSkipped).
 * - Values are typed scalar expressions (shared/definitions/typing.ts: CAST, arithmetic,
 *   comparisons, CASE, COALESCE, string, time and JSON functions) compiled to plain data and
 *   evaluated per event (shared/definitions/evaluate.ts); functions whose result changes on replay
 *   (NOW(), RAND(), UUID(), …) are refused.
 * - A column without AS takes the name of its source column (`e.referrer` → referrer, `p.brand` →
 *   brand); other values need AS, or a column list: `INSERT INTO t (a, b) SELECT …`. Identifiers
 *   are case-sensitive and written as they are named (`e.productId`); keywords and function names
 *   are not.
 * - Columns not selected stay NULL (or take their default; a state table's counters add 0); a NOT
 *   NULL column without a default must be selected, and so must a state column merged newest. A
 *   value that may be NULL (an optional field, a dimension column, NULL) cannot fill a NOT NULL
 *   column. Columns filled automatically — event tables' event_id, event_type, event_time,
 *   event_version, source, kafka_topic, kafka_partition, kafka_offset; state tables'
 *   last_event_time, last_event_key and every `newestBy` order-key column (SqlContext.automatic
 *   sets the lists) — must not be selected, nor may columns the database fills.
 * - Types are checked against the column: a DECIMAL(p, s) column takes exact numbers whose scale
 *   and integer digits fit (else CAST), a VARCHAR(n) strings no longer than n when their length is
 *   known (else CAST(… AS VARCHAR(n))), a DATETIME a TIMESTAMP(3) (epoch milliseconds through
 *   TO_TIMESTAMP_LTZ(x, 3)), a JSON column anything (a string literal is the JSON text it spells).
 * - State statements select the table's key columns as plain values and GROUP BY exactly their
 *   sources; every other column is an aggregate, checked against the column's merge:
 *     COUNT(*) / COUNT(src) [FILTER (WHERE …)]   → { count: true | src, … }   merge 'add'
 *     SUM(src) [FILTER (WHERE …)]                → { sum: src, … }            merge 'add'
 *     MIN(src) / MAX(src) [FILTER (WHERE …)]     → { min | max: src, … }      merge 'min' / 'max'
 *     FIRST_VALUE(src)                           → { first: src }             merge { firstValue: k }
 *     LAST_VALUE(src [IGNORE NULLS])             → { last: src }              merge { lastValue: k }
 *     LAST_VALUE(CASE WHEN type … THEN src END)  → { last: src, when }        merge { lastValue: k }
 *   (sql/aggregate.ts; a LAST_VALUE never NULL may also merge 'newest' or { newestBy: k } shared by
 *   the columns of its types). FILTER (WHERE …) takes one type filter and conditions on values,
 *   ANDed; the parser reads FILTER after the aggregate functions but not after FIRST_VALUE and
 *   LAST_VALUE, which take the CASE form; COUNT(CASE WHEN type … THEN 1 END) and SUM(CASE WHEN
 *   type … THEN src END) are accepted too. A CASE has one WHEN and no ELSE (ELSE NULL, or ELSE 0 in
 *   SUM). Columns ordered by one shared order key must be filtered to the same types. A WHERE on
 *   values leaves the events it does not hold for out of the table. AVG, COUNT(DISTINCT …), HAVING
 *   and windows are refused, each naming what to write instead.
 * - Several statements are separated by `;`; `--` and `/* … *\/` comments are allowed.
 * Anything else — subqueries, other joins, ORDER BY, DISTINCT, UNION without ALL, windows, UPDATE, DELETE, … —
 * is refused. Every mistake is a SqlDefinitionError naming the statement (its first line), a line
 * and column, and the offending identifier.
 *
 * The parser (node-sql-parser) is needed only to compile, and loaded only when compileSql first
 * runs — never by importing this module — so a bundle that imports it but loads precompiled mappings
 * (plain data) neither carries nor starts the parser.
 */
import { checkMappings, type DefinitionProblem } from '../definitions/check.ts';
import type { Mapping } from '../definitions/mapping.ts';
import { asNode } from './sql/syntax.ts';
import { PARSE_OPTIONS, SqlDefinitionError, SqlText, sqlParser } from './sql/text.ts';
import { type Located, type Translated, translateInsert } from './sql/translate.ts';
import { type SqlContext, World } from './sql/values.ts';

export type { EventMapping, StateMapping } from '../definitions/mapping.ts';
export { type SqlContext, SqlDefinitionError };

/**
 * Compiles `;`-separated INSERT … SELECT statements into mappings, in order (a UNION ALL gives one
 * per branch). `complete`: the statements are all of a domain's (its `sql(…)` call), so a type a
 * state statement aggregates needs its event-table statement among them; without it (the default,
 * `npm run sql -- check`) a state statement may be checked alone.
 */
export function compileSql(
  sql: string,
  context: SqlContext,
  options: { complete?: boolean } = {},
): Mapping[] {
  const text = new SqlText(sql);
  const windowed = text.windowError();
  if (windowed) throw windowed;
  let parsed: unknown;
  try {
    parsed = sqlParser().astify(text.parsed, PARSE_OPTIONS);
  } catch (error) {
    throw text.parseError(error);
  }
  const asts = Array.isArray(parsed) ? parsed : [parsed];
  const statements = text.statements(asts.length);
  const world = new World(context);
  const translated: Translated[] = [];
  const check = (from: number, across: boolean) => {
    const mappings = translated.map((t) => t.mapping);
    try {
      checkMappings(mappings, context, (i, column) => translated[i]?.located.columns.get(column)?.text, {
        from,
        across,
        complete: across && (options.complete ?? false),
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'DefinitionProblem') {
        const problem = error as DefinitionProblem;
        fail(problem, translated[problem.mapping]!.located);
      }
      throw error;
    }
  };
  for (const [i, ast] of asts.entries()) {
    const from = translated.length;
    translated.push(...translateInsert(asNode(ast), statements[i]!, text, world));
    // Each statement is checked as it is translated, so the first mistake in the text is reported.
    check(from, false);
  }
  check(translated.length, true);
  return translated.map((t) => t.mapping);
}

/** Puts a problem the definitions core found at the part of the statement it names. */
function fail(problem: DefinitionProblem, at: Located): never {
  const { place } = problem;
  const select = at.select;
  switch (place.part) {
    case 'column': {
      const column = at.columns.get(place.column);
      return select.fail(problem.message, problem.identifier, column?.at ?? at.tableAt);
    }
    case 'value': {
      const column = at.columns.get(place.column);
      return select.fail(
        problem.message,
        column?.text ?? problem.identifier,
        column?.valueAt ?? column?.at ?? at.tableAt,
      );
    }
    case 'where':
      return select.fail(problem.message, 'WHERE', at.whereAt);
    case 'join':
      return select.fail(problem.message, problem.identifier, at.joinAt.get(place.dimension));
    case 'type':
      return select.fail(problem.message, problem.identifier, at.typeAt.get(place.type));
    default:
      return select.fail(problem.message, problem.identifier, at.tableAt);
  }
}
