/**
 * A mistake in a definition fails `npm run build` and `npm run typecheck` (both run
 * scripts/compile-sql.ts, which loads every domain) — never the first event. Run on a copy of the
 * project with one mistake each.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../..', import.meta.url));
const copy = join(root, '.local', `definition-errors-${process.pid}`);
const product = join(copy, 'shared/domains/product.ts');
let original: string;

beforeAll(() => {
  mkdirSync(join(copy, 'scripts'), { recursive: true });
  cpSync(join(root, 'shared'), join(copy, 'shared'), { recursive: true });
  cpSync(join(root, 'scripts/compile-sql.ts'), join(copy, 'scripts/compile-sql.ts'));
  original = readFileSync(product, 'utf8');
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

/** Runs the build's definition step on the copy with `from` replaced by `to` in product.ts. */
async function compileWith(...edits: string[]): Promise<{ code: number; stderr: string }> {
  let text = original;
  for (let i = 0; i < edits.length; i += 2) {
    expect(text).toContain(edits[i]);
    text = text.replace(edits[i]!, edits[i + 1]!);
  }
  writeFileSync(product, text);
  try {
    await run(process.execPath, ['scripts/compile-sql.ts', '--check'], { cwd: copy });
    return { code: 0, stderr: '' };
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr };
  }
}

describe('definition errors fail the build step', () => {
  it('passes on the definitions as they are', async () => {
    expect(await compileWith('e.referrer', 'e.referrer')).toEqual({ code: 0, stderr: '' });
  });

  it('a SQL mistake: names the statement, the position and the offending name', async () => {
    const { code, stderr } = await compileWith('e.keyword,', 'e.keywrd,');
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /INSERT INTO product_event_wide — line \d+, column \d+, `e\.keywrd`: unknown payload field keywrd of product_search/,
    );
  });

  it('a SQL type mismatch: names the column', async () => {
    const { code, stderr } = await compileWith('e.resultCount AS result_count', 'e.keyword AS result_count');
    expect(code).toBe(1);
    expect(stderr).toMatch(/line \d+, column \d+, `e\.keyword`: .*result_count/);
  });

  it('a declarative mistake: names the mapping and the offending name', async () => {
    const { code, stderr } = await compileWith(
      'import { EVENT_COLUMNS,',
      'import { declared, EVENT_COLUMNS,',
      'processors: sql(PRODUCT_SQL, { tables, events }),',
      "processors: declared([{ type: 'product_view', into: 'product_event_wide', joins: [], columns: { product_id: { payload: 'sku' } } }], { tables, events }),",
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      'event mapping product_view → product_event_wide, column product_id: unknown payload field sku',
    );
  });
});
