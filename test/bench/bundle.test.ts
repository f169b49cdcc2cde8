/**
 * The bench measures what `cdk synth` ships: the authorizer as the stack
 * bundles it (the run's shared assembly, test/support/cdk-out.ts) and as
 * the bench's bundleLambda bundles it must be the same bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleLambda } from '../../bench/bundle';
import { handlerEntry } from '../../lib/constructs/wristband-function';
import { findFunction, handlerFile, lambdaFunctions, readTemplate } from '../../scripts/invoke/template';
import { sharedCdkOut } from '../support/cdk-out';

jest.setTimeout(600_000);

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'wristband-bench-bundle-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

it("bundles the authorizer byte for byte as the stack's construct does", async () => {
  // Prepare: the authorizer's bundle in the synthesized stack.
  const { templatePath } = sharedCdkOut();
  const authorizer = findFunction(lambdaFunctions(readTemplate(templatePath), templatePath), 'authorizer');
  const shippedFile = handlerFile(authorizer.assetDir!, authorizer.handler);
  expect(shippedFile).toMatch(/index\.mjs$/);

  // Act
  const bench = await bundleLambda(handlerEntry('authorizer'), join(root, 'bench'));

  // Assess
  const shipped = readFileSync(shippedFile!);
  expect(bench.bytes).toBe(shipped.length);
  expect(readFileSync(bench.file).equals(shipped)).toBe(true);
});
