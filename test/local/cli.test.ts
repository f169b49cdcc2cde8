/**
 * The package's command, `wristband`: `start` is the local stack (the
 * tarball test, test/package/run.ts, runs it from an installed package);
 * anything else is a usage line and exit code 2, never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = join(__dirname, '..', '..');

function wristband(...args: string[]) {
  const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  return spawnSync(process.execPath, ['--import', tsx, join(ROOT, 'local', 'cli.ts'), ...args], { encoding: 'utf8', timeout: 60_000 });
}

it('an unknown command, or none: what it got and the usage, exit code 2', () => {
  const unknown = wristband('deploy');
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toMatch(/^wristband: unknown command "deploy"\nusage: wristband <command>\n/);
  expect(unknown.stderr).toContain('  start    the local stack for the CDK app in this directory');
  const none = wristband();
  expect(none.status).toBe(2);
  expect(none.stderr).toMatch(/^wristband: no command\nusage: /);
});

it('help: the usage on stdout, exit code 0', () => {
  const help = wristband('--help');
  expect(help.status).toBe(0);
  expect(help.stdout).toMatch(/^usage: wristband <command>\n/);
});
