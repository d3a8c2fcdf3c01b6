/**
 * What the functions' bundles get for shared/pipeline/sql.ts (infra/lib/function-code.ts,
 * sqlCompilerLeftOut): a function loads its SQL processors precompiled (shared/domains/
 * sql.compiled.json, written by `npm run build`), and the SQL parser is never installed beside it,
 * so the SQL compiler (about 45 KiB of every bundle, parsed at every cold start) could only fail
 * there. This fails the same way, at once, naming the fix.
 */
import type { Mapping } from '../definitions/mapping.ts';

export function compileSql(): Mapping[] {
  throw new Error(
    'compileSql: a SQL definition is not in shared/domains/sql.compiled.json and the SQL compiler is not in the function bundles; run npm run build (scripts/compile-sql.ts) before bundling',
  );
}
