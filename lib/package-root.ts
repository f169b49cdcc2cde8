/**
 * Where wristband's own files are, in the repository and when installed
 * from the package. The compiled code runs from `dist/` while the Lambda
 * entry points stay TypeScript sources under `lambdas/` (esbuild bundles
 * them exactly as in the repository: a compiled CommonJS entry would lose
 * its named `handler` export in an ESM bundle, and tree shaking with it).
 * So paths start from the folder that holds package.json, not from this
 * file's folder, which differs between the two.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

/** The lock files NodejsFunction knows, in the order it looks for them. */
export const LOCK_FILES = ['pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb', 'package-lock.json'] as const;

/** The nearest folder at or above `from` that holds a package.json. */
export function findPackageRoot(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`wristband: no package.json at or above ${from}`);
  }
}

/** The repository root, or `node_modules/wristband` when installed. */
export const PACKAGE_ROOT = findPackageRoot(__dirname);

export interface BundlingRoot {
  /** esbuild runs here, through the package manager of the lock file: its `node_modules/.bin` has esbuild. */
  readonly projectRoot: string;
  readonly depsLockFilePath: string;
}

/**
 * The project root and lock file NodejsFunction bundles from. In the
 * repository: its own. Installed: `npm pack` never ships a lock file, so
 * the app that installed wristband provides both: the folder that holds
 * the outermost `node_modules` above the package (npm, yarn and pnpm
 * layouts alike), and its lock file (its package.json when it has none,
 * which NodejsFunction treats as npm).
 */
export function bundlingRoot(packageRoot: string = PACKAGE_ROOT): BundlingRoot {
  const parts = packageRoot.split(sep);
  const nodeModules = parts.indexOf('node_modules');
  const root = nodeModules > 0 ? parts.slice(0, nodeModules).join(sep) || sep : packageRoot;
  const lockFile = LOCK_FILES.map((name) => join(root, name)).find((path) => existsSync(path));
  return { projectRoot: root, depsLockFilePath: lockFile ?? join(root, 'package.json') };
}
