/**
 * A synthesized template with real bundles, as `npx cdk synth` writes it
 * (the CLI, so the asset metadata SAM reads is there): cdk.out's when it is
 * fresh, otherwise a synth into a temporary directory (~10 s of bundling),
 * so that a test never rewrites cdk.out under someone else's feet.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TEMPLATE, PROJECT_ROOT, STACK_NAME, staleReason } from '../../scripts/invoke/template';

export interface SynthesizedTemplate {
  readonly templatePath: string;
  /** Why it was synthesized for the test; undefined when cdk.out was fresh and is used as it is. */
  readonly synthesizedBecause: string | undefined;
  cleanup(): void;
}

export function synthesizedTemplate(): SynthesizedTemplate {
  const reason = staleReason(PROJECT_ROOT, DEFAULT_TEMPLATE);
  if (!reason) return { templatePath: DEFAULT_TEMPLATE, synthesizedBecause: undefined, cleanup: () => undefined };
  const outdir = mkdtempSync(join(tmpdir(), 'wristband-invoke-synth-'));
  const result = spawnSync('npx', ['cdk', 'synth', '--quiet', '--output', outdir], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 170_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0) {
    rmSync(outdir, { recursive: true, force: true });
    throw new Error(`cdk synth failed (${result.status ?? result.signal ?? result.error?.message}):\n${result.stderr}`);
  }
  return {
    templatePath: join(outdir, `${STACK_NAME}.template.json`),
    synthesizedBecause: reason,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}
