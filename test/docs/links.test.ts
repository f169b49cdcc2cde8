/**
 * Every relative link in the user-facing docs leads to a file of this
 * repository: a reader of a fresh clone has nothing else (a link to a file
 * outside it, such as a sibling folder where the project was written, is a
 * dead end for every user).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const DOCS = ['README.md', 'CHANGELOG.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

/** `[text](target)` and `[text]: target`, outside code spans and fenced blocks. */
function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const targets = [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g), ...prose.matchAll(/^\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1] as string);
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'));
}

it('finds the docs it checks', () => {
  expect(DOCS).toEqual(expect.arrayContaining(['README.md', join('docs', 'security.md'), join('docs', 'local-invocation.md')]));
});

it.each(DOCS)('every relative link in %s resolves to a file inside the repository', (doc) => {
  const broken = relativeLinks(readFileSync(join(ROOT, doc), 'utf8'))
    .map((target) => ({ target, path: resolve(dirname(join(ROOT, doc)), decodeURIComponent(target.split('#')[0] as string)) }))
    .filter(({ path }) => !path.startsWith(ROOT + sep) || !existsSync(path))
    .map(({ target, path }) => `${target} (${relative(ROOT, path)})`);

  expect(broken).toEqual([]);
});
