/** `npm run resolve-stack`: minified positions in a logged stack back to the sources, offline. */
import { SourceMap } from 'node:module';
import { transformSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { resolveStack } from '../../../scripts/resolve-stack.ts';

const SOURCE = `export function outer(): never {
  return inner();
}
function inner(): never {
  throw new Error('boom');
}
`;

describe('resolveStack', () => {
  it('maps index.mjs positions, in a plain stack or a JSON log line, and leaves the rest alone', () => {
    const out = transformSync(SOURCE, {
      loader: 'ts',
      minify: true,
      sourcemap: 'external',
      sourcefile: '../../shared/example.ts',
    });
    const map = new SourceMap(JSON.parse(out.map));
    // Where `throw` landed in the minified line (1-based, as V8 prints it).
    const column = out.code.indexOf('throw') + 1;
    const stack = `Error: boom\n    at i (file:///var/task/index.mjs:1:${column})\n    at node:internal/x:1:1`;
    expect(resolveStack(stack, map)).toBe(
      'Error: boom\n    at i (shared/example.ts:5:3)\n    at node:internal/x:1:1',
    );
    const logLine = JSON.stringify({ level: 'ERROR', error: { stack } });
    expect(resolveStack(logLine, map)).toContain('at i (shared/example.ts:5:3)\\n');
  });
});
