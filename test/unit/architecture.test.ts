/**
 * The layering, checked on the imports themselves (type imports included): no import circles
 * anywhere, and layers that point one way —
 *   events, tables → pipeline → sink, dimensions → domains → runtime → functions → infra;
 * the pipeline core knows no MySQL; shared code never imports tooling; infra never imports scripts;
 * the local event source mapping (local-esm/) stands alone beside them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE_DIRS = ['shared', 'functions', 'infra', 'local-esm', 'scripts', 'db', 'bench', 'test'];

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT =
  /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** file → the project files and packages it imports. */
const graph = new Map<string, { files: string[]; packages: string[] }>();
for (const file of SOURCE_DIRS.flatMap(sources)) {
  const text = readFileSync(join(root, file), 'utf8');
  const files: string[] = [];
  const packages: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? match[3]!;
    if (spec.startsWith('.')) files.push(relative(root, resolve(root, dirname(file), spec)));
    else packages.push(spec);
  }
  graph.set(file, { files, packages });
}

/** Strongly connected components with more than one file (or a file importing itself). */
function cycles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.files ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)!.files.includes(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** Imports from files under `from` into files under any of `into` (or packages matching). */
function violations(from: string, into: string[], packages: RegExp[] = []): string[] {
  const out: string[] = [];
  for (const [file, deps] of graph) {
    if (!file.startsWith(`${from}/`)) continue;
    for (const dep of deps.files)
      if (into.some((dir) => dep.startsWith(`${dir}/`))) out.push(`${file} → ${dep}`);
    for (const dep of deps.packages) if (packages.some((p) => p.test(dep))) out.push(`${file} → ${dep}`);
  }
  return out;
}

describe('architecture', () => {
  it('reads every source file', () => {
    expect(graph.size).toBeGreaterThan(80);
  });

  it('has no import circles', () => {
    expect(cycles()).toEqual([]);
  });

  it('events and tables import nothing else of the project', () => {
    const above = ['shared/pipeline', 'shared/sink', 'shared/dimensions', 'shared/domains', 'shared/runtime'];
    expect(violations('shared/events', [...above, 'shared/tables'])).toEqual([]);
    expect(violations('shared/tables', [...above, 'shared/events'])).toEqual([]);
  });

  it('definitions (SQL types, checks, the expression interpreter) read only events and tables', () => {
    expect(
      violations(
        'shared/definitions',
        ['shared/pipeline', 'shared/sink', 'shared/dimensions', 'shared/domains', 'shared/runtime'],
        [/^mysql2/, /^@aws-sdk\//],
      ),
    ).toEqual([]);
  });

  it('the pipeline core knows no MySQL, no cache, no domain and no runtime', () => {
    expect(
      violations(
        'shared/pipeline',
        ['shared/sink', 'shared/dimensions', 'shared/domains', 'shared/runtime'],
        [/^mysql2/, /^@aws-sdk\//],
      ),
    ).toEqual([]);
  });

  it('sink and dimensions know no domain and no runtime; domains know no runtime', () => {
    expect(violations('shared/sink', ['shared/domains', 'shared/runtime', 'shared/dimensions'])).toEqual([]);
    expect(violations('shared/dimensions', ['shared/domains', 'shared/runtime'])).toEqual([]);
    expect(violations('shared/domains', ['shared/runtime'])).toEqual([]);
  });

  it('product code never imports tooling, and infra never imports scripts', () => {
    for (const dir of ['shared', 'functions']) {
      expect(violations(dir, ['infra', 'local-esm', 'scripts', 'test', 'bench', 'db'])).toEqual([]);
    }
    expect(violations('infra', ['local-esm', 'scripts', 'test', 'bench'])).toEqual([]);
  });

  it('local-esm imports no tooling, tests or infra code: only the settings type and the Lambda event contract', () => {
    expect(violations('local-esm', ['scripts', 'test', 'infra/lib', 'bench', 'db', 'functions'])).toEqual([]);
    const outside = new Set<string>();
    for (const [file, deps] of graph) {
      if (!file.startsWith('local-esm/')) continue;
      for (const dep of deps.files) if (!dep.startsWith('local-esm/')) outside.add(dep);
    }
    expect([...outside].sort()).toEqual(['infra/config/event-sources.ts', 'shared/pipeline/lambda-event.ts']);
  });

  it('recognises the project errors by their brand, never by instanceof (bundles carry their own copies)', () => {
    const classes =
      /instanceof\s+(PermanentEventError|TransientError|DatabaseConfigError|DataRejectedError|ConcurrentWriteError)\b/;
    const offenders = [...graph.keys()]
      .filter((file) => !file.startsWith('test/'))
      .filter((file) => classes.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

/** A source file longer than this does more than one job, unless it says why it must be long. */
const MAX_LINES = 500;
/**
 * Files over the limit without a "long because" comment: being split (by their owners), so the
 * list only shrinks. A file that is short enough again must leave it.
 */
const BEING_SPLIT = new Set<string>();

describe('file size', () => {
  const lengths = new Map(
    [...graph.keys()]
      .filter((file) => !file.endsWith('.test.ts'))
      .map((file) => {
        const text = readFileSync(join(root, file), 'utf8');
        return [file, { lines: text.split('\n').length - 1, says: /long because/i.test(text) }] as const;
      }),
  );

  it(`keeps every source file under ${MAX_LINES} lines, or says why it is long`, () => {
    const over = [...lengths]
      .filter(([file, { lines, says }]) => lines > MAX_LINES && !says && !BEING_SPLIT.has(file))
      .map(([file, { lines }]) => `${file}: ${lines} lines`);
    expect(over).toEqual([]);
  });

  it('lists only files still over the limit as being split', () => {
    const done = [...BEING_SPLIT].filter((file) => {
      const length = lengths.get(file);
      return !length || length.lines <= MAX_LINES || length.says;
    });
    expect(done).toEqual([]);
  });
});
