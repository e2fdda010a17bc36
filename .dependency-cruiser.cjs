// Keeps the arrows of STYLE.md honest: core depends on nothing; adapters never import each other.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'core imports no other folder of src and no ssh2, SQL or HTTP library',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { pathNot: ['^src/core/', '^node_modules/zod/', '^node:', '^(crypto|path|fs|events|util)$'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'adapters-do-not-import-each-other',
      severity: 'error',
      from: { path: '^src/(gateway|store|api|cli|recording|vault)/' },
      to: { path: '^src/(gateway|store|api|cli|recording|vault)/', pathNot: '^src/$1/' },
    },
    {
      name: 'only-main-builds-everything',
      comment: 'nothing imports the composition root except the CLI entry and tests',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/cli/', '\\.test\\.ts$'] },
      to: { path: '^src/main\\.ts$' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '\\.test\\.ts$' },
  },
};
