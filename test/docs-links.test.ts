/**
 * Every relative link in the repository's Markdown (README.md, SECURITY.md, docs/, bench/, the
 * providers' READMEs) resolves inside the repository: the file exists and, for a link to a heading
 * of a Markdown file, the heading does (GitHub's anchor rule).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'dist' || name === 'data') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) markdownFiles(path, out);
    else if (name.endsWith('.md')) out.push(path);
  }
  return out;
}

/** GitHub's heading anchor: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = anchorOf(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The relative links of a Markdown text, code blocks and inline code left out. */
function linksOf(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1]!)
    .filter((href) => !/^[a-z][a-z0-9+.-]*:/i.test(href));
}

const files = markdownFiles(ROOT);

test('the repository has Markdown to check', () => {
  assert.ok(files.some((f) => relative(ROOT, f) === 'README.md'));
  assert.ok(files.filter((f) => relative(ROOT, f).startsWith('docs/')).length >= 5);
});

test('README.md fits on a few screens (at most 200 lines) and names no dated figures', () => {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.ok(text.split('\n').length <= 200, `README.md has ${text.split('\n').length} lines`);
  assert.doesNotMatch(text, /\b20\d\d-\d\d-\d\d\b/);
});

for (const file of files) {
  test(`every relative link of ${relative(ROOT, file)} resolves inside the repository`, () => {
    const broken: string[] = [];
    for (const href of linksOf(readFileSync(file, 'utf8'))) {
      const [path, anchor] = href.split('#', 2) as [string, string | undefined];
      const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
      if (!target.startsWith(ROOT + '/') && target !== ROOT) {
        broken.push(`${href} (outside the repository)`);
        continue;
      }
      if (!existsSync(target)) {
        broken.push(`${href} (no such file)`);
        continue;
      }
      if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor)) broken.push(`${href} (no such heading)`);
    }
    assert.deepEqual(broken, []);
  });
}
