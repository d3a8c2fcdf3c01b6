/**
 * Statement building, measured (issue 20, client CPU): what mysql2 does with every multi-row upsert
 * the sink sends — `format(sql, params)`: scan the SQL for `?` and escape each value — against a
 * precomputed formatter that escapes each value straight into the VALUES list (no placeholder
 * scan, numbers and NULLs without a call into the escaper). Both must build the same bytes: the
 * bench checks it on every statement before timing anything.
 *
 * The rows are the ones the handlers really write: each domain's handler runs on a demo batch with
 * a sink that keeps the writes (dimension lookups against the real database), then the sink's own
 * VALUES building (shared/sink/sink.ts, #upsert) is replayed for every table.
 *
 *   eval "$(scripts/services.sh env)" && scripts/node.sh node bench/statements.ts [-- --events 1000 --rounds 200]
 */
import { parseArgs } from 'node:util';
import { createConnection, format } from 'mysql2/promise';
import { migrate, seed } from '../db/migrate.ts';
import { findServices } from '../scripts/services/find-services.ts';
import { createDimensionCaches } from '../shared/dimensions/dimension.ts';
import { DIMENSIONS, DOMAINS } from '../shared/domains/registry.ts';
import type { BatchSink, BatchWrites } from '../shared/pipeline/ports.ts';
import { tlsFromEnv } from '../shared/runtime/config.ts';
import { StaticCredentials } from '../shared/sink/credentials.ts';
import { Database } from '../shared/sink/database.ts';
import { valuesList } from '../shared/sink/values-list.ts';
import { MARIADB_10_11 } from '../shared/tables/dialect.ts';
import type { Row, SqlValue, Table } from '../shared/tables/table.ts';
import { functionDbEnv } from './compare.ts';
import { domainEvents, invoke, spread } from './handler.ts';

const { values: args } = parseArgs({
  options: { events: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '200' } },
});
const events = Number(args.events);
const rounds = Number(args.rounds);

/** mysql2's path: placeholders, then `format` (what conn.query does before sending). */
function viaMysql2(table: Table, rows: Row[]): string {
  const params: SqlValue[] = [];
  let values = '';
  for (const row of rows) {
    values += values ? ', (' : '(';
    table.written.forEach((column, i) => {
      const value = row[column];
      if (i > 0) values += ', ';
      if (value === undefined) values += 'DEFAULT';
      else {
        values += '?';
        params.push(typeof value === 'boolean' ? (value ? 1 : 0) : value);
      }
    });
    values += ')';
  }
  return format(MARIADB_10_11.upsert(table, values), params, false, 'Z');
}

/** The precomputed formatter the sink uses (shared/sink/values-list.ts). */
function precomputed(table: Table, rows: Row[]): string {
  return MARIADB_10_11.upsert(table, valuesList(table.written, rows));
}

function cpuMs(work: () => void): number {
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < rounds; i++) work();
  const used = process.cpuUsage(cpu0);
  return (used.user + used.system) / 1_000 / rounds;
}

const services = await findServices();
const { db, dbTls } = services.endpoints;
const schema = `lrt_bench_${Date.now().toString(36)}`;
const conn = await createConnection({ ...db });
await conn.query(`CREATE DATABASE ${schema} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
try {
  await conn.changeUser({ database: schema });
  await migrate(conn);
  await seed(conn);
  const { ssl: _, ...login } = db;
  process.stdout.write(
    `statement building per ${events}-event batch, CPU ms (median of 5 × ${rounds} rounds, alternating): mysql2 format · precomputed · ratio\n`,
  );
  for (const domain of DOMAINS) {
    let captured: BatchWrites | undefined;
    const sink: BatchSink = {
      async apply(writes) {
        captured = writes;
        return { applied: writes.events.length, duplicates: 0, deadLettered: writes.deadLetters.length };
      },
    };
    const database = new Database({
      credentials: new StaticCredentials({ ...login, database: schema }),
      tls: tlsFromEnv(dbTls),
    });
    const runtime = { database, dimensions: createDimensionCaches(database, DIMENSIONS, {}), sink };
    await invoke(
      domain,
      runtime,
      domainEvents(domain, events, 'statements'),
      functionDbEnv(db, dbTls, schema),
    );
    await database.close();
    const byTable = new Map<Table, Row[]>();
    for (const write of captured?.events ?? []) {
      for (const { table, row } of [write.event, ...write.state]) {
        byTable.set(table, [...(byTable.get(table) ?? []), row]);
      }
    }
    for (const [table, rows] of byTable) {
      if (viaMysql2(table, rows) !== precomputed(table, rows)) {
        throw new Error(`the precomputed formatter built a different ${table.name} statement`);
      }
    }
    const all = (build: (table: Table, rows: Row[]) => string) => () => {
      for (const [table, rows] of byTable) build(table, rows);
    };
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 5; i++) {
      a.push(cpuMs(all(viaMysql2)));
      b.push(cpuMs(all(precomputed)));
    }
    const [ma, mb] = [spread(a).median, spread(b).median];
    process.stdout.write(
      `  ${domain.name.padEnd(8)} ${[...byTable.keys()].map((t) => t.name).join(' + ')}: ${ma.toFixed(2)} · ${mb.toFixed(2)} · ${(mb / ma).toFixed(2)}×\n`,
    );
  }
} finally {
  await conn.query(`DROP DATABASE ${schema}`);
  await conn.end();
  await services.stop();
}
