/**
 * `npm run resolve-stack` — a function's stack trace, as it is logged (minified positions in
 * index.mjs), back in terms of the sources: every `index.mjs:LINE:COLUMN` in the input becomes
 * `<source>:<line>:<column>` (function names stay minified; the positions name them). The functions run
 * without `--enable-source-maps` (it costs their INIT; docs/operations.md), so the mapping
 * happens here, offline, with the map of the very build that was deployed.
 *
 *   npm run resolve-stack -- [--map dist/functions/user/index.mjs.map] [file]   (or the text on stdin)
 *
 * The map: `npm run build` writes dist/functions/<name>/index.mjs.map beside each bundle, and the
 * deployed package carries it too (fetch it with `aws lambda get-function`, README). The input may
 * be a plain stack, a Powertools JSON log line (its `\n` escapes are kept) or a whole log export.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Rewrites every `index.mjs:LINE:COLUMN` (1-based, as in V8's stacks) in `text` through `map`. */
export function resolveStack(text: string, map: SourceMap): string {
  return text.replace(/(?:[\w./:-]*\/)?index\.mjs:(\d+):(\d+)/g, (whole, line: string, column: string) => {
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1);
    if (!('originalSource' in entry) || !entry.originalSource) return whole;
    const source = entry.originalSource.startsWith('file:')
      ? relative(root, fileURLToPath(entry.originalSource))
      : entry.originalSource.replace(/^(\.\.\/)+/, '');
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    options: { map: { type: 'string', default: join(root, 'dist', 'functions', 'user', 'index.mjs.map') } },
    allowPositionals: true,
  });
  const map = new SourceMap(JSON.parse(readFileSync(values.map, 'utf8')));
  const input = readFileSync(positionals[0] ?? 0, 'utf8');
  process.stdout.write(resolveStack(input, map));
}
