/**
 * A synthesized template with real bundles, as `npx cdk synth` writes it
 * (the CLI, so the asset metadata SAM reads is there): the run's shared
 * assembly (test/support/cdk-out.ts), synthesized once for the current
 * sources and never written into the project's own cdk.out.
 */
import { sharedCdkOut } from '../support/cdk-out';

export interface SynthesizedTemplate {
  readonly templatePath: string;
  /** Nothing to remove: the shared assembly outlives the test that asked for it. */
  cleanup(): void;
}

export function synthesizedTemplate(): SynthesizedTemplate {
  return { templatePath: sharedCdkOut().templatePath, cleanup: () => undefined };
}
