/**
 * The layering of src/, checked on every `npm run lint` (docs/architecture.md says why).
 *
 *   cli ─► api (the library: runScenario = engine + gate, report files; src/index.ts exports it)
 *    │      │
 *    ├──────┴─► engine ─► targets ─► transports ─► wire (formats both ends share: WebSocket frames,
 *    │            │         └──────► server ──────────┘      the poll batch)
 *    │            └───► metrics, results, config, redis, process
 *    ├─► ui (Ink) ─► reporters, console's pure formatting; engine and results as types only
 *    └─► gate, reporters (pure: no I/O), doctor
 *   engine, cli ─► distributed (the control protocol over Redis Streams, for remote agents)
 *                     └─► metrics, redis, process; engine's worker messages as types only
 *
 * Type-only imports count for cycles (a reader follows them too) but not for the "types only"
 * rules, which exist to keep runtime code out.
 */
const IO_BUILTINS = '^(node:)?(fs|fs/promises|net|http|https|http2|tls|dgram|child_process|cluster|worker_threads|readline|dns)$';

/** A rule that `from` must not import `to` (runtime imports; type-only imports allowed when typesOk). */
function layer(name, comment, from, to, typesOk = false) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from },
    to: typesOk ? { path: to, dependencyTypesNot: ['type-only'] } : { path: to },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles under src/, type-only ones included.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    layer(
      'pure-core',
      'metrics/, gate/ and results/ are pure: no I/O, no engine or CLI; engine events may be imported as types.',
      '^src/(metrics|gate|results)/',
      '^src/(cli|console|doctor|engine|process|redis|server|targets|transports|ui|reporters|config|distributed)/',
      true,
    ),
    {
      name: 'pure-core-no-io',
      comment: 'metrics/, gate/, results/ and reporters/ do no I/O (reporters build strings; cli/ writes them).',
      severity: 'error',
      from: { path: '^src/(metrics|gate|results|reporters)/' },
      to: { path: IO_BUILTINS },
    },
    layer(
      'reporters-are-pure',
      'reporters/ turn results into text; they do not run or watch anything.',
      '^src/reporters/',
      '^src/(cli|console|doctor|engine|process|redis|server|targets|transports|ui|distributed)/',
      true,
    ),
    layer(
      'ui-runtime',
      'ui/ renders what it is given: engine, results and config only as types; no I/O layers.',
      '^src/ui/',
      '^src/(cli|doctor|engine|process|redis|server|targets|transports|gate|config|results|distributed)/',
      true,
    ),
    layer(
      'ui-console-pure',
      "ui/console uses the console's pure formatting and line editing, not its sessions.",
      '^src/ui/',
      '^src/console/(?!(format|line-editor|events|json-pretty)\\.ts$)',
      true,
    ),
    layer('only-cli-uses-ui', 'Only the CLI chooses and drives a UI.', '^src/(?!cli/|ui/)', '^src/ui/'),
    layer('nothing-imports-cli', 'cli/ is the top: nothing under src/ imports it (the public API included).', '^src/(?!cli/)', '^src/cli/'),
    layer(
      'api-under-cli-only',
      'api/ is the library the CLI is built on: only cli/ and the package entry (src/index.ts) import it.',
      '^src/(?!cli/|api/|index\\.ts$)',
      '^src/api/',
    ),
    layer(
      'api-is-no-terminal',
      'api/ composes the engine, the gate and report files; it knows no terminal, UI or machine probe (callers pass a preflight).',
      '^src/api/',
      '^src/(ui|doctor|console)/',
    ),
    layer(
      'engine-below-cli',
      'The engine knows nothing of the terminal, the gate, reporters or the doctor.',
      '^src/engine/',
      '^src/(cli|ui|reporters|gate|doctor|console)/',
      true,
    ),
    layer(
      'targets-below-engine',
      'A target describes a stack; it does not import the engine that drives it.',
      '^src/targets/',
      '^src/(cli|ui|reporters|gate|doctor|engine|console|distributed)/',
    ),
    {
      name: 'adapters-through-the-registry',
      comment:
        'A target adapter is reached through targets/registry.ts (a map by kind), never imported by name: adding one touches its module and the registry only.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/targets/registry\\.ts$' },
      to: {
        path: '^src/targets/',
        pathNot: '^src/targets/(registry|target|client-protocol|injector|readiness|refusals|template|upstream)\\.ts$',
      },
    },
    layer(
      'transports-are-leaves',
      'A transport moves bytes: it knows no engine, target, server or config.',
      '^src/transports/',
      '^src/(cli|ui|reporters|gate|doctor|engine|targets|server|config|console|distributed)/',
    ),
    layer(
      'server-standalone',
      'The reference server runs without the tool: no engine, targets, transports or UI.',
      '^src/server/',
      '^src/(cli|ui|reporters|gate|doctor|engine|targets|transports|console|distributed)/',
    ),
    layer(
      'wire-is-a-leaf',
      'wire/ holds byte formats shared by the clients and the reference server; it imports neither.',
      '^src/wire/',
      '^src/(?!wire/|errors\\.ts$)',
    ),
    layer(
      'infrastructure',
      'process/ and redis/ are infrastructure under everything else.',
      '^src/(process|redis)/',
      '^src/(cli|ui|reporters|gate|doctor|engine|targets|transports|server|config|console|distributed)/',
    ),
    layer(
      'distributed-below-engine',
      'distributed/ is the coordination layer the engine and the CLI use for remote agents: it knows no terminal, gate, target, transport, server or scenario.',
      '^src/distributed/',
      '^src/(cli|ui|reporters|gate|doctor|console|targets|transports|server|config)/',
    ),
    layer(
      'distributed-engine-types',
      "distributed/ carries the engine's worker messages as they are: it imports them (and results) as types only.",
      '^src/distributed/',
      '^src/(engine|results)/',
      true,
    ),
    {
      name: 'distributed-pure-by-default',
      comment:
        'In distributed/ only the named modules touch Redis, files or the network directly (the others go through control-channel.ts); the protocol and the clock domain stay pure and table-tested.',
      severity: 'error',
      from: { path: '^src/distributed/', pathNot: '^src/distributed/(control-channel|redis-time|host-identity)\\.ts$' },
      to: { path: [IO_BUILTINS, '^src/(redis|process)/', '^(node:)?os$'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Node's I/O builtins are kept in the graph so the no-I/O rules can see them.
    includeOnly: ['^src/', IO_BUILTINS, '^(node:)?os$'],
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.tsx', '.js'],
    },
  },
};
