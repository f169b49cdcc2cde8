/**
 * The contract (lambdas/contract/) is plain data and pure functions: it
 * loads no package and no module outside its folder, so the CDK app reads
 * it at synth without building a Logger, a Tracer or an SDK client, and the
 * authorizer's bundle stays small. lib/ reaches lambdas/ only through it.
 * Measured with esbuild's resolver (the one the bundles use), so every form
 * of import counts and type-only imports, which load nothing, do not.
 */
import { buildSync, type Metafile } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const CONTRACT = 'lambdas/contract/';

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => `${dir}${file.split('\\').join('/')}`);
}

/** Every module the entry points load, by repository path, with what each imports. */
function loads(entryPoints: string[]): Metafile['inputs'] {
  const { metafile } = buildSync({
    absWorkingDir: ROOT,
    entryPoints,
    bundle: true,
    write: false,
    outdir: 'unused',
    platform: 'node',
    format: 'cjs',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  return metafile.inputs;
}

describe('lambdas/contract/', () => {
  it('loads no package and no module outside its own folder', () => {
    const files = tsFiles(CONTRACT);
    expect(files).toEqual(expect.arrayContaining([`${CONTRACT}routes.ts`, `${CONTRACT}settings.ts`, `${CONTRACT}errors.ts`]));
    const inputs = loads(files);
    const outside = Object.keys(inputs).filter((path) => !path.startsWith(CONTRACT));
    const packages = Object.entries(inputs).flatMap(([path, input]) => input.imports.filter((i) => i.external).map((i) => `${path} -> ${i.path}`));
    expect({ outside, packages }).toEqual({ outside: [], packages: [] });
  });
});

describe('lib/', () => {
  it('loads nothing from lambdas/ but the contract: synth builds no Logger, Tracer or SDK client of the functions', () => {
    const inputs = Object.keys(loads(tsFiles('lib/')));
    expect(inputs).toEqual(expect.arrayContaining([`${CONTRACT}routes.ts`]));
    const runtime = inputs.filter((path) => path.startsWith('lambdas/') && !path.startsWith(CONTRACT));
    expect(runtime).toEqual([]);
  });
});
