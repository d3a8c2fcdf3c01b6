/**
 * The Flink SQL conformance suite: every case of cases/ run by this project (scripts/sql.ts, the
 * code of `npm run sql -- run`, with the suite's own tables: tables.ts) and by Apache Flink 1.20 on
 * a local MiniCluster (scripts/flink: all statements in one job, one JVM), on fixtures/events.jsonl
 * and fixtures/dimensions.json, their rows compared column by column (DECIMALs by value, JSON by
 * structure): event-table rows as multisets, state rows (GROUP BY, windows) row by row — the
 * project's after its merges, Flink's final row per key (the sink declares the table's key as its
 * PRIMARY KEY and applies the changelog). Needs Java and Maven (Flink's jars come from Maven
 * Central, cached in .services/flink); without them it fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile, type DimensionFile, run, scope } from '../../scripts/sql.ts';
import { isStateMapping, type Mapping } from '../../shared/definitions/mapping.ts';
import { sqlContext } from '../../shared/domains/common.ts';
import { compileSql } from '../../shared/pipeline/sql.ts';
import type { Column, Table } from '../../shared/tables/table.ts';
import { CASES, type Case, type Difference } from './cases/index.ts';
import { sourceDdl } from './flink-tables.ts';
import { CONFORMANCE_TABLES, conformanceEvents } from './tables.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EVENTS = join(ROOT, 'test/conformance/fixtures/events.jsonl');
const DIMENSIONS = join(ROOT, 'test/conformance/fixtures/dimensions.json');

type Values = Record<string, unknown>;
interface ProjectSide {
  problem?: string;
  table?: Table;
  columns?: string[];
  /** A state table's key columns (the GROUP BY); none for an event table. */
  key?: string[];
  rows?: Values[];
}

const OPTIONS = { tables: CONFORMANCE_TABLES };

const project = new Map<string, ProjectSide>();
const flinkRows = new Map<string, Values[]>();
const flinkVerdicts = new Map<string, { accepted?: boolean; error?: string }>();
let flinkMillis = 0;

const sinkName = (c: Case, table: string) => `${table}__${c.id}`;

/** A project column's Flink type (the sink's declaration). */
function flinkType(column: Column): string {
  switch (column.kind) {
    case 'int':
      return 'INT';
    case 'bigint':
      return 'BIGINT';
    case 'decimal':
      return column.sqlType.toUpperCase();
    case 'datetime':
      return 'TIMESTAMP(3)';
    default:
      return 'STRING';
  }
}

const targetOf = (sql: string) => /INSERT\s+INTO\s+(\w+)/i.exec(sql)![1]!;

/**
 * The project's side of a case: its rows after the merges, or its problem. A state statement's
 * types each get an event-table statement into conformance_events (unless the case has one): the
 * event row is what merges the state exactly once (docs/sql.md, "Exactly once with several rows").
 */
function projectSide(c: Case, events: readonly string[], dimensions: DimensionFile): ProjectSide {
  const into = targetOf(c.sql);
  const compiled = compile([c.sql, ...anchors(c.sql)].join(';\n'), OPTIONS);
  if ('problem' in compiled) {
    const { line, column, message } = compiled.problem;
    return { problem: `${line}:${column}: ${message}` };
  }
  const mapping = compiled.mappings.find((m) => m.into === into)!;
  const table = scope(OPTIONS).tables.find((t) => t.name === into)!;
  const result = run(compiled.processors, events, dimensions);
  const rows = result.rows.filter((r) => r.table === into).map((r) => r.row);
  if (!isStateMapping(mapping)) return { table, columns: Object.keys(mapping.columns), rows };
  const key = Object.keys(mapping.key);
  return { table, key, columns: [...key, ...Object.keys(mapping.columns)], rows };
}

/** An event-table statement for each type the statements aggregate and write no event row of. */
function anchors(sql: string): string[] {
  let mappings: Mapping[];
  try {
    mappings = compileSql(sql, sqlContext(scope(OPTIONS)));
  } catch {
    return []; // compile() reports the problem
  }
  const written = new Set(mappings.flatMap((m) => (isStateMapping(m) ? [] : [m.type])));
  const aggregated = new Set(mappings.flatMap((m) => (isStateMapping(m) ? m.types : [])));
  return [...aggregated]
    .filter((type) => !written.has(type))
    .map((type) => `INSERT INTO ${conformanceEvents.name} SELECT event_type() AS seen_type FROM ${type} e`);
}

beforeAll(() => {
  const events = readFileSync(EVENTS, 'utf8').split('\n');
  const dimensions = JSON.parse(readFileSync(DIMENSIONS, 'utf8')) as DimensionFile;
  const ddl = sourceDdl();
  const inserts: Array<{ id: string; sql: string }> = [];
  for (const c of CASES) {
    const into = targetOf(c.sql);
    const side = projectSide(c, events, dimensions);
    project.set(c.id, side);
    const declared = side.columns?.map(
      (col) => `${col} ${c.flinkTypes?.[col] ?? flinkType(side.table!.columns[col]!)}`,
    );
    const sink = side.problem
      ? (c.flinkSink ?? 'not_compiled STRING')
      : [...declared!, ...(side.key ? [`PRIMARY KEY (${side.key.join(', ')}) NOT ENFORCED`] : [])].join(', ');
    ddl.push(`CREATE TABLE ${sinkName(c, into)} (${sink}) WITH ('connector' = 'lrt')`);
    inserts.push({
      id: c.id,
      sql: (c.flink ?? c.sql).replace(
        /INSERT\s+INTO\s+(\w+)/i,
        (_, t: string) => `INSERT INTO ${sinkName(c, t)}`,
      ),
    });
  }
  const dir = mkdtempSync(join(tmpdir(), 'lrt-conformance-'));
  const spec = join(dir, 'spec.json');
  writeFileSync(spec, JSON.stringify({ events: EVENTS, dimensions: DIMENSIONS, ddl, inserts }, null, 2));
  const flink = spawnSync(join(ROOT, 'scripts/flink/run.sh'), [spec], {
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (flink.status !== 0) {
    throw new Error(
      `the Flink side failed (exit ${flink.status}${flink.error ? `, ${flink.error.message}` : ''}; spec ${spec}):\n${(
        flink.stderr ?? ''
      )
        .split('\n')
        .filter((l) => !/^\s+at |^\[.*\] WARN /.test(l))
        .slice(0, 40)
        .join('\n')}`,
    );
  }
  for (const line of flink.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const out = JSON.parse(line) as { id?: string; table?: string; row?: Values; millis?: number };
    if (out.id) flinkVerdicts.set(out.id, out as { accepted?: boolean; error?: string });
    if (out.table && out.row) flinkRows.set(out.table, [...(flinkRows.get(out.table) ?? []), out.row]);
    if (out.millis !== undefined) flinkMillis = out.millis;
  }
}, 900_000);

/** A DECIMAL as its canonical text: no trailing zeros, no trailing point. */
function decimalText(value: unknown): string {
  const text = String(value);
  if (!/^-?\d+(\.\d+)?$/.test(text)) return text;
  const [int, frac = ''] = text.split('.');
  const trimmed = frac.replace(/0+$/, '');
  const result = trimmed ? `${int}.${trimmed}` : int!;
  return result === '-0' ? '0' : result;
}

function jsonValue(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** A row's compared columns as one comparable text. */
function normalised(table: Table, columns: readonly string[], row: Values): string {
  const out: Values = {};
  for (const column of columns) {
    const value = row[column];
    const kind = table.columns[column]!.kind;
    out[column] =
      value === null || value === undefined
        ? null
        : kind === 'decimal'
          ? decimalText(value)
          : kind === 'json'
            ? jsonValue(value)
            : kind === 'int' || kind === 'bigint'
              ? Number(value)
              : value;
  }
  return JSON.stringify(out);
}

const sorted = (rows: string[]) => [...rows].sort();

/**
 * `rows` without the rows of `differs` (by their key values), each checked first: one row with the
 * listed values on this side, or none where the side has none.
 */
function withoutDifferences(
  table: Table,
  rows: readonly Values[],
  differs: readonly Difference[],
  side: 'project' | 'flink',
): Values[] {
  let rest = [...rows];
  for (const d of differs) {
    const keys = Object.keys(d.key);
    const at = (r: Values) => normalised(table, keys, r) === normalised(table, keys, d.key);
    const found = rest.filter(at);
    const expected = d[side];
    const what = `${side}'s row ${JSON.stringify(d.key)}`;
    if (expected === null) {
      expect(found, `${what}: expected none`).toEqual([]);
    } else {
      expect(found.length, `${what}: expected one`).toBe(1);
      const listed = Object.keys(expected);
      expect(normalised(table, listed, found[0]!), what).toBe(normalised(table, listed, expected));
    }
    rest = rest.filter((r) => !at(r));
  }
  return rest;
}

describe('Flink SQL conformance (Apache Flink 1.20 MiniCluster)', () => {
  it(`runs at least 60 statements on both sides, in one Flink job`, () => {
    const compared = CASES.filter((c) => !c.refused);
    expect(compared.length).toBeGreaterThanOrEqual(60);
    expect(flinkVerdicts.size).toBe(CASES.length);
    console.log(
      `conformance: ${compared.length} statements compared, ${CASES.length - compared.length} refused here and accepted by Flink; Flink's run took ${flinkMillis} ms`,
    );
  });

  for (const c of CASES) {
    const title = `${c.id}: ${c.construct}${c.why ? ` (differs on purpose: ${c.why})` : ''}`;
    if (c.refused) {
      it(`refused here, accepted by Flink — ${title}`, () => {
        expect(project.get(c.id)?.problem, 'the project accepted it').toMatch(c.refused!);
        expect(flinkVerdicts.get(c.id)?.error).toBeUndefined();
        expect(flinkVerdicts.get(c.id)?.accepted).toBe(true);
      });
      continue;
    }
    it(title, () => {
      const side = project.get(c.id)!;
      expect(side.problem, 'the project refused it').toBeUndefined();
      expect(flinkVerdicts.get(c.id)?.error, 'Flink refused it').toBeUndefined();
      const table = side.table!;
      const columns = side.columns!;
      expect(side.rows!.length, 'the case writes no row: it proves nothing').toBeGreaterThan(0);
      const differs = c.differs ?? [];
      const comparable = (rows: Values[], which: 'project' | 'flink') =>
        sorted(withoutDifferences(table, rows, differs, which).map((r) => normalised(table, columns, r)));
      const mine = comparable(side.rows!, 'project');
      const theirs = comparable(flinkRows.get(sinkName(c, table.name)) ?? [], 'flink');
      if (c.extraFlinkRows) {
        // Flink wrote the redelivered events again; the project absorbed them.
        expect(theirs.length).toBe(mine.length + c.extraFlinkRows);
        expect([...new Set(theirs)].sort()).toEqual([...new Set(mine)].sort());
        expect(new Set(mine).size).toBe(mine.length);
      } else {
        expect(mine).toEqual(theirs);
      }
    });
  }
});
