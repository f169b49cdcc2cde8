// Jest transformer: TypeScript and ESM-only packages (jose 6) go through the
// same esbuild the Lambda bundles use, emitted as CommonJS for jest's module
// system. Type-checking is `npm run build`'s job, so this stays fast.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { transformSync, version } = require('esbuild');

// The cache key covers this file too, so changing the options below invalidates jest's cache.
const SELF = createHash('sha256').update(readFileSync(__filename)).digest('hex');

module.exports = {
  getCacheKey(source, filename) {
    return createHash('sha256').update(SELF).update(version).update('\0').update(filename).update('\0').update(source).digest('hex');
  },
  process(source, filename) {
    const result = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      // jest's module registry runs on require: turn import() into require() so mocks and isolation apply.
      supported: { 'dynamic-import': false },
      sourcemap: 'external',
      sourcefile: filename,
    });
    return { code: result.code, map: result.map };
  },
};
