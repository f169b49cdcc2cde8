// Jest transformer: TypeScript and ESM-only packages (jose 6) go through the
// same esbuild the Lambda bundles use, emitted as CommonJS for jest's module
// system. Type-checking is `npm run build`'s job, so this stays fast.
const { createHash } = require('node:crypto');
const { transformSync, version } = require('esbuild');

module.exports = {
  getCacheKey(source, filename) {
    return createHash('sha256').update(version).update('\0').update(filename).update('\0').update(source).digest('hex');
  },
  process(source, filename) {
    const result = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: filename,
    });
    return { code: result.code, map: result.map };
  },
};
