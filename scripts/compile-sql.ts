/**
 * Compiles every domain's SQL processors (the `sql` calls of shared/domains/) with the SQL parser
 * and writes the mappings to shared/domains/sql.compiled.json, which the functions load instead of
 * parsing at cold start. A mistake fails with the statement, the position and the offending name.
 *
 *   node scripts/compile-sql.ts           # write (npm run build)
 *   node scripts/compile-sql.ts --check   # fail if the file is not what the SQL compiles to (npm run typecheck)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = fileURLToPath(new URL('../shared/domains/sql.compiled.json', import.meta.url));
process.env.LRT_SQL_RECOMPILE = '1';
let compiled: Map<string, unknown>;
try {
  await import('../shared/domains/registry.ts');
  ({ COMPILED_SQL: compiled } = await import('../shared/domains/common.ts'));
} catch (error) {
  console.error(`compile-sql: ${(error as Error).message}`);
  process.exit(1);
}
const text = `${JSON.stringify(Object.fromEntries([...compiled].sort(([a], [b]) => (a < b ? -1 : 1))), null, 2)}\n`;
if (process.argv.includes('--check')) {
  if (readFileSync(file, 'utf8') !== text) {
    console.error('compile-sql: shared/domains/sql.compiled.json is out of date; run npm run build');
    process.exit(1);
  }
  console.log(`compile-sql: ${compiled.size} SQL definition(s) up to date`);
} else {
  writeFileSync(file, text);
  console.log(`compile-sql: ${compiled.size} SQL definition(s) → shared/domains/sql.compiled.json`);
}
