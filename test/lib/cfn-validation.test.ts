/**
 * CDK's built-in CloudFormation validation (schemas, best practices, common
 * misconfigurations), which every `cdk synth` runs and cdk.json's
 * `validateAgainstDefaultRules` turns into errors: the stack passes it
 * with no finding at all. The other test synths skip it
 * (CDK_VALIDATION=false in test/support/setup-env.ts) because it is most
 * of a synth's time; this file turns it back on.
 */
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWristband } from '../../lib/wristband-stack';
import { CDK_JSON_CONTEXT } from './synth';

jest.setTimeout(120_000);

let outdir: string;
const skipped = process.env.CDK_VALIDATION;
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'wristband-cfn-validation-'));
  delete process.env.CDK_VALIDATION;
});
afterAll(() => {
  process.env.CDK_VALIDATION = skipped;
  rmSync(outdir, { recursive: true, force: true });
});

interface Report {
  pluginReports: { pluginName: string; violations?: unknown[] }[];
}

it('finds nothing in the stack the default configuration synthesizes', () => {
  // One synth, as `cdk synth` makes it (without bundling): the validation engine is what takes the time.
  const app = new App({ outdir: join(outdir, 'stack'), context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  buildWristband(app);
  const assembly = app.synth();

  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as Report;
  expect(report.pluginReports.flatMap((r) => (r.violations ?? []).map((v) => `${r.pluginName}: ${JSON.stringify(v)}`))).toEqual([]);
});

it('is live: a resource with a property CloudFormation does not know fails the synth', () => {
  const app = new App({ outdir: join(outdir, 'broken'), context: CDK_JSON_CONTEXT });
  const stack = new Stack(app, 'Broken');
  new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { NoSuchProperty: 1 } });

  expect(() => app.synth()).toThrow(/NoSuchProperty/);
});
