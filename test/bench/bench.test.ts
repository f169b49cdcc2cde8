/**
 * `npm run bench` runs: the whole bench with tiny counts (--quick), in a
 * child process as a user runs it. Nothing here looks at a timing: the
 * bench reports figures, the suite only checks that every one of them is
 * produced, for wristband and for every baseline.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCS_END, DOCS_FILE, DOCS_START, parseOptions, SCRATCH_RESULTS, updateDocs } from '../../bench/main';
import { renderMarkdown, type BenchResults } from '../../bench/report';

jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
const AUTHORIZERS = ['wristband', 'wristband-metrics-off', 'aws-jwt-verify', 'jsonwebtoken', 'jose', 'node-crypto'];

let dir: string;
let results: BenchResults;
let stdout: string;
let stderr: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wristband-bench-test-'));
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', '--quick', `--out=${join(dir, 'results.json')}`], {
    cwd: ROOT,
    // A clean environment, as in a fresh shell: nothing from the jest run leaks into the bench.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR },
    encoding: 'utf8',
    timeout: 280_000,
  });
  if (run.status !== 0) throw new Error(`bench exited with ${run.status ?? run.signal}:\n${run.stderr.slice(-4000)}`);
  stdout = run.stdout;
  stderr = run.stderr;
  results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchResults;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const finite = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

describe('npm run bench -- --quick', () => {
  it('measures every authorizer warm (both workloads) and cold, with one key read per cold process', () => {
    expect(results.quick).toBe(true);
    for (const id of AUTHORIZERS) {
      const warm = results.warm?.[id as keyof NonNullable<BenchResults['warm']>];
      const cold = results.cold?.authorizers[id as keyof NonNullable<BenchResults['cold']>['authorizers']];
      expect([id, finite(warm?.realisticMeanUs), finite(warm?.distinctMeanUs), finite(cold?.addedMs)]).toEqual([id, true, true, true]);
      expect([id, cold?.keyReadsPerProcess]).toEqual([id, 1]);
    }
    expect(finite(results.cold?.empty.medianMs)).toBe(true);
  });

  it('sizes every function bundle and every authorizer bundle', () => {
    expect(Object.keys(results.bundles.functions).sort()).toEqual(expect.arrayContaining(['authorizer', 'login', 'register', 'rotate-keys']));
    for (const b of [...Object.values(results.bundles.functions), ...Object.values(results.bundles.authorizers)]) {
      expect(b.bytes).toBeGreaterThan(1000);
      expect(b.gzipBytes).toBeLessThan(b.bytes);
    }
    expect(results.bundles.authorizers.wristband).toEqual(results.bundles.functions.authorizer);
  });

  it('times login against bcrypt and loads the local stack with no errors', () => {
    expect(results.login?.map((f) => f.cost)).toEqual([4]);
    expect(finite(results.login?.[0]?.overheadMs)).toBe(true);
    expect(results.load?.runs.length).toBeGreaterThan(0);
    expect(results.load?.runs.every((run) => run.requests > 0 && run.non2xx === 0 && run.errors === 0)).toBe(true);
  });

  it('states every target, and prints the tables', () => {
    expect(results.targets.map((t) => t.figure.slice(0, 2))).toEqual(['1.', '2.', '2b', '3.', '4.', '5.']);
    expect(stdout).toContain('Targets\n');
    // Users see no tracker: the tables speak of the project alone.
    expect(stdout).not.toMatch(/\bissue\b/i);
    // Nor the AWS SDK's warning about Node 20, which npm start hides as well.
    expect(stderr).not.toContain('NodeVersionSupportWarning');
    expect(stdout).toContain('QUICK RUN');
    const markdown = renderMarkdown(results);
    // wristband both ways: as deployed (a metric line per decision) and with metrics off, like the baselines.
    expect(markdown).toMatch(/^\| wristband \(metrics on, as deployed\) \| .* \|$/m);
    expect(markdown).toMatch(/^\| wristband, metrics off \| .* \|$/m);
    expect(markdown).toContain('| figure | target | measured | met |');
  });
});

describe('bench options and docs', () => {
  it('parses its options and refuses unknown ones', () => {
    expect(parseOptions(['--quick', '--only=warm,cold', '--out', 'x.json'])).toMatchObject({ quick: true, out: 'x.json', only: new Set(['warm', 'cold']) });
    expect(() => parseOptions(['--fast'])).toThrow(/unknown option --fast/);
  });

  it('writes its results outside the repository, unless asked to update the docs (which the committed results back)', () => {
    expect(parseOptions([]).out).toBe(SCRATCH_RESULTS);
    expect(SCRATCH_RESULTS.startsWith(`${ROOT}/`)).toBe(false);
    expect(parseOptions(['--update-docs']).out).toBe(join(ROOT, 'bench', 'results.json'));
    expect(() => parseOptions(['--only=warm,nap'])).toThrow(/unknown section nap/);
  });

  it('rewrites only the generated section of the performance doc', () => {
    const file = join(dir, 'performance.md');
    writeFileSync(file, `# Before\n\n${DOCS_START}\nold table\n${DOCS_END}\n\nAfter.\n`);

    updateDocs(results, file);

    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(`# Before\n\n${DOCS_START}\nMeasured `)).toBe(true);
    expect(text).not.toContain('old table');
    expect(text.endsWith(`${DOCS_END}\n\nAfter.\n`)).toBe(true);
  });

  it('docs/performance.md has the section the bench rewrites', () => {
    const text = readFileSync(DOCS_FILE, 'utf8');
    expect(text.indexOf(DOCS_START)).toBeGreaterThan(0);
    expect(text.indexOf(DOCS_END)).toBeGreaterThan(text.indexOf(DOCS_START));
  });
});
