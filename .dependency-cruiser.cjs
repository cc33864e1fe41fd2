/**
 * The layers of nexus-relay (docs/ARCHITECTURE.md → Layers), checked by `npm run lint` (and so by CI):
 * functions/ → lib/ only; the domain never speaks HTTP (a slice's *-routes.ts are its HTTP edge); nothing at run time imports infra/; no cycles. Any violation
 * fails the check (there are none to tolerate).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules import each other: split the shared part out.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'runtime-not-infra',
      severity: 'error',
      comment: 'Lambda code (functions/, lib/) must not import the deployment or local tooling (infra/).',
      from: { path: '^(functions|lib)/' },
      to: { path: '^infra/' },
    },
    {
      name: 'functions-only-lib',
      severity: 'error',
      comment: 'A function entry imports lib/ (and packages) only.',
      from: { path: '^functions/' },
      to: { path: '^(functions|infra|cli|scripts|bench|test|sim|clients|console)/' },
    },
    {
      name: 'lib-not-tooling',
      severity: 'error',
      comment: 'lib/ is what runs in Lambda: no CLI, scripts, benchmarks or tests in it.',
      from: { path: '^lib/' },
      to: { path: '^(functions|cli|scripts|bench|test|sim|clients|console)/' },
    },
    {
      name: 'infra-only-from-tooling',
      severity: 'error',
      comment: 'infra/ is imported by infra/ itself and by local tooling (CLI, scripts, benchmarks, tests) only.',
      from: { pathNot: '^(infra|cli|scripts|bench|test|sim/test)/' },
      to: { path: '^infra/' },
    },
    {
      name: 'tooling-not-tests',
      severity: 'error',
      comment:
        'Benchmarks, scripts, the CLI and infra/ run without the tests: they never import test/ (what both need lives in infra/local/).',
      from: { path: '^(bench|scripts|cli|infra)/' },
      to: { path: '^test/' },
    },
    {
      name: 'sim-stands-alone',
      severity: 'error',
      comment: 'The MX simulator is its own package: it shares no code with the relay (a shared bug would hide itself).',
      from: { path: '^sim/', pathNot: '^sim/test/' },
      to: { path: '^(functions|lib|infra|cli|scripts|bench|test|clients)/' },
    },
    {
      name: 'client-kit-stands-alone',
      severity: 'error',
      comment:
        'The client kit (clients/typescript) is a package of its own that client apps install: it imports nothing of the repository.',
      from: { path: '^clients/typescript/(src|scripts)/' },
      to: { path: '^(functions|lib|infra|cli|scripts|bench|test|sim)/' },
    },
    {
      name: 'console-only-public-api',
      severity: 'error',
      comment:
        'The operator console (console/) runs in a browser as a client of the public API only: it imports the client kit and nothing else of the repository.',
      from: { path: '^console/' },
      to: { path: '^(functions|lib|infra|cli|scripts|bench|test|sim)/' },
    },
    {
      name: 'domain-not-http',
      severity: 'error',
      comment:
        "A slice's domain (everything but its *-routes.ts) throws its own errors and never speaks HTTP; its routes and lib/http map them.",
      from: {
        path: '^lib/(aggregation|api-docs|connect|mx|mx-events|notify|store|reads|queue|transactions)/',
        pathNot: '-routes\\.ts$',
      },
      to: { path: '^lib/http/' },
    },
    {
      name: 'pipeline-not-slices',
      severity: 'error',
      comment:
        'The shared HTTP pipeline (lib/http/*.ts) knows no slice: their errors reach it by their stable codes (error-mapper.ts).',
      from: { path: '^lib/http/[^/]+\\.ts$' },
      to: { path: '^lib/(aggregation|api-docs|connect|mx-events|notify|reads|transactions)/' },
    },
    {
      name: 'routes-are-the-edge',
      severity: 'error',
      comment:
        "A slice's routes (*-routes.ts) are imported by the Lambdas' compositions (lib/compositions/), the route table and tooling only: nothing of the domain or lib/http depends on them.",
      from: { path: '^lib/', pathNot: '(^lib/route-table\\.ts|-routes\\.ts|^lib/compositions/.*)$' },
      to: { path: '-routes\\.ts$' },
    },
    {
      name: 'caches-through-bounded-cache',
      severity: 'error',
      comment:
        'A per-container cache is made by lib/bounded-cache.ts alone: bounded by size rather than a pre-allocated `max`, its age read from the injected clock.',
      from: { pathNot: '^(lib/bounded-cache\\.ts|node_modules/.*)$' },
      to: { path: 'node_modules/lru-cache/' },
    },
    {
      name: 'stack-files-named',
      severity: 'error',
      comment:
        'An integration file that loads the functions as Lambda does (the local stack, a function module) is a *.stack.test.ts: vitest gives each its own modules (vitest.config.ts).',
      from: { path: '^test/integration/', pathNot: '\\.stack\\.test\\.ts$' },
      to: { path: '^(functions/|infra/local/local-stack\\.ts$|test/support/local-stack\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Installed packages stay in the graph as leaves (not followed): the rules on which file may import a package
    // (caches-through-bounded-cache) match nothing once they are excluded.
    exclude: { path: '(^|/)(cdk\\.out|\\.local)/' },
    tsPreCompilationDeps: true,
    // TypeScript 7 has no JavaScript compiler API for dependency-cruiser to parse with: Babel's TypeScript preset
    // reads the .ts files instead (pure JavaScript; swc's native packages are not all on every registry mirror).
    // The preset drops type-only imports: .dependency-cruiser-type-imports.cjs turns each into a bare import first, so
    // the rules and the cycle check hold for types too. The npm scripts name the files by glob: a directory is scanned
    // only for the extensions of an installed TypeScript parser.
    babelConfig: { fileName: '.babelrc.dependency-cruiser.json' },
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
