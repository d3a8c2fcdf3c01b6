/**
 * Writes the schema-registry schemas of every event type and payload version — Avro (.avsc),
 * Protobuf (.proto) and JSON Schema — to schemas/, generated from the catalog
 * (shared/events/schema-formats.ts), so the files and the catalog cannot drift.
 *
 *   node scripts/schemas.ts           # write (npm run schemas)
 *   node scripts/schemas.ts --check   # fail if schemas/ is not what the catalog generates (npm run typecheck)
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CATALOG } from '../shared/domains/registry.ts';
import { schemaFiles } from '../shared/events/schema-formats.ts';

const root = fileURLToPath(new URL('../schemas/', import.meta.url));
const wanted = schemaFiles(CATALOG);

function existing(dir: string): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) =>
    e.isDirectory()
      ? existing(join(dir, e.name))
      : e.name === 'README.md'
        ? []
        : [relative(root, join(dir, e.name))],
  );
}

const have = existing(root);
if (process.argv.includes('--check')) {
  const stale = [...wanted].filter(([path, text]) => {
    try {
      return readFileSync(join(root, path), 'utf8') !== text;
    } catch {
      return true;
    }
  });
  const extra = have.filter((path) => !wanted.has(path));
  if (stale.length > 0 || extra.length > 0) {
    for (const [path] of stale) console.error(`schemas: schemas/${path} is missing or out of date`);
    for (const path of extra) console.error(`schemas: schemas/${path} is not generated from the catalog`);
    console.error('schemas: run npm run schemas');
    process.exit(1);
  }
  console.log(`schemas: ${wanted.size} schema file(s) up to date`);
} else {
  for (const path of have) if (!wanted.has(path)) rmSync(join(root, path));
  for (const [path, text] of wanted) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  console.log(`schemas: ${wanted.size} schema file(s) → schemas/`);
}
