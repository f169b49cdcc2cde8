/**
 * The bench measures what `cdk synth` ships: one function bundled by the
 * stack's own construct (WristbandFunction, local esbuild) and by the
 * bench's bundleLambda must be the same bytes.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleLambda } from '../../bench/bundle';
import { resolveConfig } from '../../lib/config';
import { handlerEntry, WristbandFunction } from '../../lib/constructs/wristband-function';

jest.setTimeout(120_000);

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'wristband-bench-bundle-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

it("bundles the authorizer byte for byte as the stack's construct does", async () => {
  // Prepare: the construct alone, in a stack that bundles for real.
  const outdir = join(root, 'cdk.out');
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': ['**'] } });
  const stack = new Stack(app, 'BenchBundle');
  new WristbandFunction(stack, 'Authorizer', {
    name: 'authorizer',
    config: resolveConfig(),
    resources: {
      table: Table.fromTableName(stack, 'Table', 'bench-table'),
      publicKeys: StringParameter.fromStringParameterName(stack, 'PublicKeys', '/bench/public-keys'),
      signingKey: Secret.fromSecretNameV2(stack, 'SigningKey', 'bench-signing-key'),
      totpKey: Secret.fromSecretNameV2(stack, 'TotpKey', 'bench-totp-key'),
    },
  });
  app.synth();
  const assets = readdirSync(outdir).filter((d) => d.startsWith('asset.') && existsSync(join(outdir, d, 'index.mjs')));
  expect(assets).toHaveLength(1);

  // Act
  const bench = await bundleLambda(handlerEntry('authorizer'), join(root, 'bench'));

  // Assess
  const shipped = readFileSync(join(outdir, assets[0]!, 'index.mjs'));
  expect(bench.bytes).toBe(shipped.length);
  expect(readFileSync(bench.file).equals(shipped)).toBe(true);
});
