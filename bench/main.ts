/**
 * `npm run bench`: how fast wristband is, side by side with what people
 * would use instead, every comparison measured in the same run on the same
 * machine, every figure a median over repeated runs.
 *
 *   npm run bench                       the tables on stdout, every figure in $TMPDIR/wristband-bench/results.json
 *   npm run bench -- --update-docs      also rewrites the results section of docs/performance.md and the
 *                                       committed bench/results.json (a plain run leaves the tree clean)
 *   npm run -s bench -- --markdown      the tables as Markdown on stdout
 *   npm run bench -- --quick            every code path, tiny counts (the test suite's run)
 *   npm run bench -- --only=warm,cold   some sections (bundles, warm, cold, login, load)
 *   npm run bench -- --out=<file>       results somewhere else
 *
 * Progress goes to stderr. Nothing here asserts a timing: the bench
 * reports, and exits 0 unless something failed to run (or an authorizer
 * decided a check token wrongly, which would void the comparison).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { resolveConfig } from '../lib/config';
import { handlerEntry, PROJECT_ROOT, settingsEnvironment } from '../lib/constructs/wristband-function';
import { FUNCTION_SPECS } from '../lib/function-specs';
import type { FunctionName } from '../lambdas/contract/routes';
import { AUTHORIZERS, versionOf, type AuthorizerId } from './authorizers';
import { bundleLambda, bundleScript, type Bundle } from './bundle';
import { progress } from './children';
import { startKeyServer } from './key-server';
import { evaluateTargets, renderMarkdown, renderText, type BenchResults } from './report';
import { benchCold } from './sections/cold';
import { FULL_SETTINGS, QUICK_SETTINGS, type BenchContext } from './sections/context';
import { benchLoad } from './sections/load';
import { benchLogin } from './sections/login';
import { benchWarm } from './sections/warm';
import { createBenchKeys } from './tokens';

const SECTIONS = ['bundles', 'warm', 'cold', 'login', 'load'] as const;
type Section = (typeof SECTIONS)[number];

export const DOCS_FILE = join(PROJECT_ROOT, 'docs', 'performance.md');
export const DOCS_START = '<!-- bench:results:start -->';
export const DOCS_END = '<!-- bench:results:end -->';

export interface BenchOptions {
  readonly quick: boolean;
  readonly markdown: boolean;
  readonly updateDocs: boolean;
  readonly out: string;
  readonly only: ReadonlySet<Section>;
}

export function parseOptions(args: readonly string[]): BenchOptions {
  let quick = false;
  let markdown = false;
  let updateDocs = false;
  let out: string | undefined;
  let only = new Set<Section>(SECTIONS);
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = (args[i] as string).split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? args[++i] ?? fail(`${flag} needs a value`);
    if (flag === '--quick') quick = true;
    else if (flag === '--markdown') markdown = true;
    else if (flag === '--update-docs') updateDocs = true;
    else if (flag === '--out') out = value();
    else if (flag === '--only') {
      const names = value().split(',');
      for (const name of names) if (!(SECTIONS as readonly string[]).includes(name)) fail(`unknown section ${name}; sections: ${SECTIONS.join(', ')}`);
      only = new Set(names as Section[]);
    } else fail(`unknown option ${flag}`);
  }
  return { quick, markdown, updateDocs, out: out ?? defaultOut(updateDocs), only };
}

/** The committed results file goes with the docs it backs; a plain run writes outside the repository. */
export const COMMITTED_RESULTS = join(PROJECT_ROOT, 'bench', 'results.json');
export const SCRATCH_RESULTS = join(tmpdir(), 'wristband-bench', 'results.json');

function defaultOut(updateDocs: boolean): string {
  return updateDocs ? COMMITTED_RESULTS : SCRATCH_RESULTS;
}

function fail(message: string): never {
  throw new Error(`${message}\nusage: npm run bench -- [--quick] [--markdown] [--update-docs] [--out=<file>] [--only=${SECTIONS.join(',')}]`);
}

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const started = Date.now();
  const loadAverageAtStart = loadavg();
  const settings = options.quick ? QUICK_SETTINGS : FULL_SETTINGS;
  const workDir = mkdtempSync(join(tmpdir(), 'wristband-bench-'));
  try {
    progress(`bundling every function and baseline with the stack's esbuild options (${workDir})`);
    const names = Object.keys(FUNCTION_SPECS) as FunctionName[];
    const built = await Promise.all(names.map((name) => bundleLambda(handlerEntry(name), join(workDir, 'functions', name))));
    const functionBundles: Record<string, Bundle> = Object.fromEntries(names.map((name, i) => [name, built[i] as Bundle]));
    const baselines = await Promise.all(
      AUTHORIZERS.filter((a) => !a.id.startsWith('wristband')).map(async (a) => [a.id, await bundleLambda(join(PROJECT_ROOT, a.entry), join(workDir, 'authorizers', a.id))] as const),
    );
    const wristband = functionBundles.authorizer as Bundle;
    const authorizerBundles = { wristband, 'wristband-metrics-off': wristband, ...Object.fromEntries(baselines) } as Record<AuthorizerId, Bundle>;
    const script = (name: string) => bundleScript(join(PROJECT_ROOT, 'bench', 'workers', `${name}.ts`), join(workDir, 'workers', `${name}.mjs`));
    const [warm, cold, login] = await Promise.all([script('warm'), script('cold'), script('login')]);

    const keys = await createBenchKeys(workDir);
    const keyServer = await startKeyServer(keys.publicKeys);
    const ctx: BenchContext = {
      settings,
      workDir,
      keys,
      keyServer,
      authorizerBundles,
      functionBundles,
      scripts: { warm, cold, login },
      functionEnv: { ...settingsEnvironment(resolveConfig()), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    };
    let sections: Pick<BenchResults, 'warm' | 'cold' | 'login' | 'load'> = {};
    try {
      if (options.only.has('warm')) sections = { ...sections, warm: await benchWarm(ctx) };
      if (options.only.has('cold')) sections = { ...sections, cold: await benchCold(ctx) };
      if (options.only.has('login')) sections = { ...sections, login: await benchLogin(ctx) };
      if (options.only.has('load')) sections = { ...sections, load: await benchLoad(ctx) };
    } finally {
      await keyServer.close();
    }

    const strip = (b: Bundle) => ({ bytes: b.bytes, gzipBytes: b.gzipBytes });
    const partial: Omit<BenchResults, 'targets'> = {
      date: new Date().toISOString(),
      command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
      quick: options.quick,
      durationSeconds: (Date.now() - started) / 1000,
      machine: { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, platform: `${process.platform} ${process.arch}`, node: process.version, loadAverageAtStart },
      libraries: Object.fromEntries(['jose', 'aws-jwt-verify', 'jsonwebtoken', 'bcryptjs', 'esbuild', 'autocannon', 'dynalite'].map((p) => [p, versionOf(p)])),
      settings,
      bundles: {
        functions: Object.fromEntries(Object.entries(functionBundles).map(([name, b]) => [name, strip(b)])),
        authorizers: Object.fromEntries(Object.entries(authorizerBundles).map(([id, b]) => [id, strip(b)])) as Record<AuthorizerId, { bytes: number; gzipBytes: number }>,
        authorizerBreakdown: authorizerBundles.wristband.inputs,
      },
      ...sections,
    };
    return { ...partial, targets: evaluateTargets(partial) };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Replaces the generated section of docs/performance.md (between its markers) with this run's tables. */
export function updateDocs(results: BenchResults, file: string = DOCS_FILE): void {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(DOCS_START);
  const end = text.indexOf(DOCS_END);
  if (start < 0 || end < start) throw new Error(`${file} has no ${DOCS_START} ... ${DOCS_END} section`);
  writeFileSync(file, `${text.slice(0, start + DOCS_START.length)}\n${renderMarkdown(results)}${text.slice(end)}`);
}

async function main(): Promise<void> {
  // The AWS SDK warns on Node 20 that future releases need Node 22 (the functions run on nodejs22.x); npm start hides it too.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const options = parseOptions(process.argv.slice(2));
  const results = await runBench(options);
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(options.markdown ? renderMarkdown(results) : renderText(results));
  progress(`results written to ${options.out}`);
  if (options.updateDocs) {
    updateDocs(results);
    progress(`results section of ${DOCS_FILE} rewritten`);
  }
}

if (process.argv[1] && /bench[\\/]main\.ts$/.test(process.argv[1])) {
  main().catch((error: unknown) => {
    process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
