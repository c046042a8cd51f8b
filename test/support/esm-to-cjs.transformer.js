/**
 * Jest transformer for the ESM-only packages in node_modules (NestJS 12 and friends):
 * rewrites `import.meta.*` to its CommonJS equivalent and transpiles import/export to
 * require/exports with TypeScript, so Jest's CommonJS loader can run them on Node 20.
 */
const { createHash } = require('node:crypto');
const ts = require('typescript');

const META = [
  [/import\.meta\.url/g, 'require("node:url").pathToFileURL(__filename).href'],
  [/import\.meta\.dirname/g, '__dirname'],
  [/import\.meta\.filename/g, '__filename'],
  [/import\.meta\.resolve/g, '((s) => require("node:url").pathToFileURL(require.resolve(s)).href)'],
  // `const require = createRequire(import.meta.url)` would redeclare the CommonJS `require`.
  [/^(const|let|var) require = /gm, '$1 __esmCreatedRequire = '],
];

module.exports = {
  process(source, filename) {
    let code = source;
    for (const [pattern, replacement] of META) code = code.replace(pattern, replacement);
    const out = ts.transpileModule(code, {
      fileName: filename,
      compilerOptions: {
        allowJs: true,
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        inlineSourceMap: false,
      },
    });
    return { code: out.outputText };
  },
  getCacheKey(source, filename) {
    return createHash('sha256').update(require('node:fs').readFileSync(__filename)).update(ts.version).update(filename).update(source).digest('hex');
  },
};
