/**
 * Jest transformer for the ESM-only packages in node_modules (NestJS 12 and friends):
 * rewrites `import.meta.*` to its CommonJS equivalent and transforms import/export to
 * require/exports with SWC, so Jest's CommonJS loader can run them.
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const swc = require('@swc/core');

const META = [
  [/import\.meta\.url/g, 'require("node:url").pathToFileURL(__filename).href'],
  [/import\.meta\.dirname/g, '__dirname'],
  [/import\.meta\.filename/g, '__filename'],
  [/import\.meta\.resolve/g, '((s) => require("node:url").pathToFileURL(require.resolve(s)).href)'],
  // `const require = createRequire(import.meta.url)` would redeclare the CommonJS `require`.
  [/^(const|let|var) require = /gm, '$1 __esmCreatedRequire = '],
];

const OPTIONS = {
  jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' },
  module: { type: 'commonjs', importInterop: 'swc' },
  sourceMaps: false,
  swcrc: false,
  configFile: false,
};

module.exports = {
  process(source, filename) {
    let code = source;
    for (const [pattern, replacement] of META) code = code.replace(pattern, replacement);
    return { code: swc.transformSync(code, { ...OPTIONS, filename }).code };
  },
  getCacheKey(source, filename) {
    return createHash('sha256').update(readFileSync(__filename)).update(swc.version).update(filename).update(source).digest('hex');
  },
};
