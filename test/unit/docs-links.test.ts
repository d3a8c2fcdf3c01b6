/**
 * Every relative link in the project's Markdown resolves: the file it names exists, and a
 * `#fragment` into a Markdown file names one of its headings or explicit anchors (GitHub's slugs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The project's own Markdown: the tree, less what tools install or generate (no git needed: a copy works). */
const SKIP = new Set(['node_modules', '.git', '.tools', 'dist', 'cdk.out', 'coverage', '.local', '.ci']);
function markdownFiles(dir = ''): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory())
      return SKIP.has(entry.name) || entry.name.startsWith('.services') ? [] : markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}
const markdown = markdownFiles();

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of text.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = slug(heading!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const [, id] of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(id!);
  return anchors;
}

describe('documentation links', () => {
  it('finds the Markdown files', () => {
    expect(markdown).toContain('README.md');
  });

  it.each(markdown)('%s: every relative link resolves', (file) => {
    const text = readFileSync(join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z]+:/i.test(target!) || target!.startsWith('mailto:')) continue;
      const [path, fragment] = target!.split('#', 2) as [string, string | undefined];
      const absolute = path === '' ? join(root, file) : resolve(root, dirname(file), decodeURI(path));
      if (!existsSync(absolute)) {
        broken.push(`${target} (no such file)`);
        continue;
      }
      if (fragment && absolute.endsWith('.md') && !anchorsOf(absolute).has(fragment)) {
        broken.push(`${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
