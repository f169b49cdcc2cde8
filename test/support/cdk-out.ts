/**
 * One real `npx cdk synth` (every function bundled by local esbuild, the
 * asset metadata `sam local invoke` reads) shared by every test that needs
 * a template with its assets: bundling it is the slowest thing a test can
 * ask for, so it is done once and kept.
 *
 * The cloud assembly is cached under node_modules/.cache, keyed by a hash
 * of what a synth reads (SYNTH_INPUTS: bin, lib, lambdas, cdk.json, the
 * lock file), so a run synthesizes only when the code changed since the
 * last one, and never rewrites the project's own cdk.out. Jest workers and
 * parallel runs that ask at the same time wait for the one that holds the
 * lock instead of bundling again.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT, STACK_NAME, SYNTH_INPUTS } from '../../scripts/invoke/template';

export const CDK_OUT_CACHE = join(PROJECT_ROOT, 'node_modules', '.cache', 'wristband-tests');
const PREFIX = 'cdk-out-';
/** A lock older than this was left by a run that died; a synth never takes this long. */
const STALE_LOCK_MS = 15 * 60_000;
const SYNTH_TIMEOUT_MS = 10 * 60_000;

export interface SharedCdkOut {
  /** The cloud assembly directory (asset.<hash>/ folders beside the template). */
  readonly dir: string;
  readonly templatePath: string;
}

function filesUnder(path: string, out: string[]): void {
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) filesUnder(join(path, entry), out);
  } else {
    out.push(path);
  }
}

/** sha256 of every synth input's path and bytes, so any edit (not just a newer mtime) means a new synth. */
export function synthInputsHash(root: string = PROJECT_ROOT): string {
  const files: string[] = [];
  for (const input of [...SYNTH_INPUTS, 'tsconfig.json']) filesUnder(join(root, input), files);
  const hash = createHash('sha256');
  for (const file of files) hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** A blocking sleep: callers are synchronous (a test's beforeAll), and there is nothing else to do while waiting. */
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function synthInto(outdir: string): void {
  const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', outdir], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: SYNTH_TIMEOUT_MS,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (result.status !== 0) throw new Error(`cdk synth failed (${result.status ?? result.signal ?? result.error?.message}):\n${result.stderr?.slice(-4000)}`);
}

/** Older assemblies: each is a full set of bundles, and only the current sources' one is ever read again. */
function removeOthers(keep: string): void {
  for (const entry of readdirSync(CDK_OUT_CACHE)) {
    if (entry.startsWith(PREFIX) && entry !== keep && !entry.includes('.')) rmSync(join(CDK_OUT_CACHE, entry), { recursive: true, force: true });
  }
}

/** The shared cloud assembly for the current sources, synthesized first if no run made it yet. */
export function sharedCdkOut(): SharedCdkOut {
  const name = `${PREFIX}${synthInputsHash()}`;
  const dir = join(CDK_OUT_CACHE, name);
  const result = { dir, templatePath: join(dir, `${STACK_NAME}.template.json`) };
  const lock = `${dir}.lock`;
  mkdirSync(CDK_OUT_CACHE, { recursive: true });
  for (;;) {
    if (existsSync(result.templatePath)) return result;
    try {
      mkdirSync(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Someone else is synthesizing these sources: wait for their assembly, or take over a lock they abandoned.
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // The lock went away between the two calls: the loop looks again.
      }
      sleep(500);
      continue;
    }
    const staging = `${dir}.tmp-${process.pid}`;
    try {
      if (existsSync(result.templatePath)) return result;
      rmSync(staging, { recursive: true, force: true });
      synthInto(staging);
      renameSync(staging, dir);
      removeOthers(name);
      return result;
    } finally {
      rmSync(staging, { recursive: true, force: true });
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
