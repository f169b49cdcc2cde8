/**
 * `npm run openapi`: writes docs/openapi.json from the route table and the
 * request bodies (lambdas/contract/openapi.ts). test/docs/openapi.test.ts
 * fails when the checked-in file differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { openApiDocument } from '../lambdas/contract/openapi';

export const OPENAPI_FILE = join(__dirname, '..', 'docs', 'openapi.json');

export function renderOpenApi(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(OPENAPI_FILE, renderOpenApi());
  console.log(`wrote ${relative(process.cwd(), OPENAPI_FILE)}`);
}
