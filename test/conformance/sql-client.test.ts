/**
 * `npm run sql` (scripts/sql.ts) as a user runs it: check's FILE:LINE:COLUMN lines and exit code,
 * run's rows after the sink's merges (a redelivered event absorbed, its state not merged twice),
 * --tables (tables of one's own beside the registry's).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = join(ROOT, 'test/conformance/fixtures');

const sql = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'scripts/sql.ts'), ...args], { encoding: 'utf8', cwd: ROOT });

describe('npm run sql', () => {
  it('check: prints FILE:LINE:COLUMN: message for each file in error and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lrt-sql-'));
    const good = join(dir, 'good.sql');
    const bad = join(dir, 'bad.sql');
    writeFileSync(
      good,
      'INSERT INTO product_event_wide\nSELECT e.productId AS product_id FROM product_view e\n',
    );
    writeFileSync(
      bad,
      '\n  INSERT INTO product_event_wide\n  SELECT e.productIdd AS product_id\n  FROM product_view e\n',
    );
    const out = sql('check', good, bad);
    expect(out.status).toBe(1);
    expect(out.stdout).toContain(`${good}: ok (1 statement(s))`);
    expect(out.stdout).toMatch(
      new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:10: .*e\\.productIdd`, 'm'),
    );
    expect(sql('check', good).status).toBe(0);
  });

  it('run: event rows once per event id, state merged once, counters add', () => {
    const out = sql(
      'run',
      join(FIXTURES, 'profile.sql'),
      '--events',
      join(FIXTURES, 'events.jsonl'),
      '--dimensions',
      join(FIXTURES, 'dimensions.json'),
    );
    expect(out.status, out.stderr).toBe(0);
    const rows = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { table: string; row: Record<string, unknown> });
    expect(rows.filter((r) => r.table === 'user_event_wide')).toHaveLength(3);
    const profiles = rows.filter((r) => r.table === 'user_profile_wide').map((r) => r.row);
    expect(profiles.map((p) => [p.user_id, p.view_count, p.login_count, p.user_name])).toEqual([
      ['u1', 1, 1500, 'Ann Lee'],
      ['u2', 1, 0, 'bob'],
      ['u3', 1, 0, null],
    ]);
    expect(out.stderr).toContain('1 duplicate(s) absorbed');
  });

  it('an aggregate alone: the event rows of its types come from their domains, as sqlState beside code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lrt-sql-'));
    const file = join(dir, 'views.sql');
    writeFileSync(
      file,
      'INSERT INTO user_profile_wide\nSELECT e.userId AS user_id, COUNT(*) AS view_count\nFROM user_view e\nGROUP BY e.userId;\n',
    );
    const check = sql('check', file);
    expect(check.status, check.stdout).toBe(0);
    const out = sql('run', file, '--events', join(FIXTURES, 'events.jsonl'));
    expect(out.status, out.stderr).toBe(0);
    const rows = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { table: string; row: Record<string, unknown> });
    // Only the file's table is printed; the redelivered view is absorbed by its anchor row.
    expect(rows.map((r) => [r.table, r.row.user_id, r.row.view_count, r.row.login_count])).toEqual([
      ['user_profile_wide', 'u1', 1, 0],
      ['user_profile_wide', 'u2', 1, 0],
      ['user_profile_wide', 'u3', 1, 0],
    ]);
    expect(out.stderr).toContain('1 duplicate(s) absorbed');
  });

  it('--tables TABLES.ts: statements also compile against the tables the module exports', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lrt-sql-'));
    const file = join(dir, 'own.sql');
    writeFileSync(
      file,
      `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) AS n FROM order_pay e GROUP BY e.userId;
INSERT INTO conformance_events SELECT event_type() AS seen_type FROM order_pay e
`,
    );
    expect(sql('check', file).stdout).toMatch(/unknown table conformance_sums/);
    const tables = join(ROOT, 'test/conformance/tables.ts');
    const out = sql('check', file, '--tables', tables);
    expect(out.status, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toContain(`${file}: ok (2 statement(s))`);
    const explained = sql('explain', file, '--tables', tables);
    expect(explained.stdout).toContain('n ← COUNT(*); merge "add"');
  });

  it('explain: what fills each column and which merges apply', () => {
    const out = sql('explain', join(FIXTURES, 'profile.sql'));
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain('statement 2: state table user_profile_wide, from user_view');
    expect(out.stdout).toContain('view_count ← COUNT(*); merge "add"');
    expect(out.stdout).toContain('merge: written once per event_id');
  });
});
