/**
 * Write throughput of the MySQL sink against a real database: our batch path (one transaction of
 * multi-row upserts with the exactly-once protocol) side by side with a baseline that sends one
 * upsert per event in one transaction — what a JDBC sink does without statement rewriting. Rounds
 * alternate between the two so both see the same machine and database state.
 *
 *   eval "$(scripts/services.sh env)" && npm run bench:sink [-- --events 1000 --rounds 5]
 */
import { parseArgs } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { migrate } from '../db/migrate.ts';
import { endpointsFromEnv } from '../scripts/services/find-services.ts';
import { userLogin } from '../shared/domains/user.ts';
import type { DimensionView, EventWrite } from '../shared/pipeline/processor.ts';
import { tlsFromEnv } from '../shared/runtime/config.ts';
import { StaticCredentials } from '../shared/sink/credentials.ts';
import { Database } from '../shared/sink/database.ts';
import { MySqlSink } from '../shared/sink/sink.ts';
import { MARIADB_10_11 } from '../shared/tables/dialect.ts';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '5' } },
});
const events = Number(values.events);
const rounds = Number(values.rounds);
const { db } = endpointsFromEnv(process.env);
const schema = `lrt_bench_${Date.now().toString(36)}`;
const admin = await createConnection({ ...db });
await admin.query(`CREATE DATABASE ${schema}`);
await admin.changeUser({ database: schema });
await migrate(admin);

const { ssl: _, ...login } = db;
const database = new Database({
  credentials: new StaticCredentials({ ...login, database: schema }),
  tls: tlsFromEnv(process.env),
});
const sink = new MySqlSink(database);
const noDims: DimensionView = { get: () => null };

function batch(round: number, variant: string): EventWrite[] {
  return Array.from({ length: events }, (_, i) =>
    userLogin.toWrite(
      {
        domain: 'user',
        type: 'user_login',
        timestamp: 1_790_000_000_000 + i,
        eventId: `${variant}-${round}-${i}`,
        version: '1.0',
        source: 'bench',
        payload: { userId: `u${i % 200}`, loginTime: 1_790_000_000_000 + i, device: 'ios', ip: '10.0.0.1' },
      },
      noDims,
      { topic: 'bench', partition: 0, offset: i, timestamp: 0, timestampType: 'CREATE_TIME' as const },
    ),
  );
}

/** Baseline: one upsert per event (and per state row), in one transaction. */
async function perRecord(writes: EventWrite[]): Promise<void> {
  await database.transaction(async (conn) => {
    for (const w of writes) {
      for (const { table, row } of [w.event, ...w.state]) {
        const cols = table.written;
        await conn.query(
          // The local MariaDB's dialect: the baseline runs on the local services only.
          MARIADB_10_11.upsert(table, `(${cols.map(() => '?').join(', ')})`),
          cols.map((c) => row[c] ?? null),
        );
      }
    }
  });
}

const results = { batched: [] as number[], perRecord: [] as number[] };
for (let round = 0; round < rounds; round++) {
  let t = performance.now();
  await sink.apply({ events: batch(round, 'b'), deadLetters: [] });
  results.batched.push(performance.now() - t);
  t = performance.now();
  await perRecord(batch(round, 'p'));
  results.perRecord.push(performance.now() - t);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [b, p] = [median(results.batched), median(results.perRecord)];
console.log(`${events}-event user_login batches, median of ${rounds} rounds, ${db.host}:${db.port}`);
console.log(
  `  batched sink (exactly-once)   ${b.toFixed(0).padStart(6)} ms  ${((events / b) * 1000).toFixed(0).padStart(7)} events/s`,
);
console.log(
  `  baseline: upsert per record   ${p.toFixed(0).padStart(6)} ms  ${((events / p) * 1000).toFixed(0).padStart(7)} events/s`,
);
console.log(`  ratio                         ${(p / b).toFixed(1)}x`);
await database.close();
await admin.query(`DROP DATABASE ${schema}`);
await admin.end();
