/**
 * The split between `npm test` and the full run is written once, in
 * jest.fast.config.cjs; this keeps the commands, CI and the development
 * guide in step with it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const base = require('../../jest.config.cjs') as { testPathIgnorePatterns: string[]; coverageThreshold?: unknown };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fast = require('../../jest.fast.config.cjs') as { testPathIgnorePatterns: string[]; coverageThreshold?: unknown; collectCoverage?: boolean };

/** The files the fast configuration leaves to the full run, as paths from the repository root. */
const fullRunOnly = fast.testPathIgnorePatterns
  .filter((pattern) => !base.testPathIgnorePatterns.includes(pattern))
  .map((pattern) => pattern.replace(/^<rootDir>\//, '').replace(/\$$/, '').replace(/\\(.)/g, '$1'));

it('npm test runs the fast configuration; test:full runs every file with coverage; CI runs the full one', () => {
  // Both lint first (Biome), as the CHANGELOG says npm test does.
  expect(scripts.test).toBe('npm run build && npm run lint && jest -c jest.fast.config.cjs');
  expect(scripts['test:full']).toMatch(/^npm run build && npm run lint && jest --coverage\b/);
  expect(fast.collectCoverage).toBe(false);
  expect(base.coverageThreshold).toBeDefined();
  expect(read('.ci/run')).toMatch(/^npm run test:full$/m);
  expect(read('.ci/run')).not.toMatch(/^npm test$/m);
});

it('leaves out only files that exist, each named in docs/development.md', () => {
  const guide = read('docs/development.md');
  expect(fullRunOnly.length).toBeGreaterThan(0);
  for (const file of fullRunOnly) {
    expect([file, existsSync(join(ROOT, file))]).toEqual([file, true]);
    expect([file, guide.includes(file)]).toEqual([file, true]);
  }
});
