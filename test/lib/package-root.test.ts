/**
 * Where NodejsFunction bundles from, in the repository and when wristband
 * is installed in a team's app (npm, pnpm, or no lock file at all). The
 * whole path, from `npm pack` to `cdk synth` in a new app, is
 * `npm run test:package` (test/package/run.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../lib/constructs/wristband-function';
import { bundlingRoot, findPackageRoot, PACKAGE_ROOT } from '../../lib/package-root';

const REPO = join(__dirname, '..', '..');
let work: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'wristband-package-root-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function file(path: string, text = '{}'): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

describe('bundlingRoot', () => {
  it('in the repository: the repository and its own lock file', () => {
    expect(PACKAGE_ROOT).toBe(REPO);
    expect(PROJECT_ROOT).toBe(REPO);
    expect(bundlingRoot()).toEqual({ projectRoot: REPO, depsLockFilePath: join(REPO, 'package-lock.json') });
  });

  it('installed with npm: the app that installed it, and its package-lock.json (the package ships none)', () => {
    const app = join(work, 'app');
    const lock = file(join(app, 'package-lock.json'));
    const pkg = join(app, 'node_modules', 'wristband');
    file(join(pkg, 'package.json'));
    expect(bundlingRoot(pkg)).toEqual({ projectRoot: app, depsLockFilePath: lock });
  });

  it("installed with pnpm: the app above pnpm's store, and its pnpm-lock.yaml", () => {
    const app = join(work, 'app');
    const lock = file(join(app, 'pnpm-lock.yaml'), '');
    const pkg = join(app, 'node_modules', '.pnpm', 'wristband@0.1.0', 'node_modules', 'wristband');
    expect(bundlingRoot(pkg)).toEqual({ projectRoot: app, depsLockFilePath: lock });
  });

  it("an app without a lock file: its package.json, which NodejsFunction takes for npm's", () => {
    const app = join(work, 'app');
    expect(bundlingRoot(join(app, 'node_modules', 'wristband'))).toEqual({ projectRoot: app, depsLockFilePath: join(app, 'package.json') });
  });
});

describe('findPackageRoot', () => {
  it('from compiled code under dist/: the folder with package.json, where lambdas/ and tsconfig.json ship', () => {
    const pkg = join(work, 'node_modules', 'wristband');
    file(join(pkg, 'package.json'));
    mkdirSync(join(pkg, 'dist', 'lib', 'constructs'), { recursive: true });
    expect(findPackageRoot(join(pkg, 'dist', 'lib', 'constructs'))).toBe(pkg);
  });
});
