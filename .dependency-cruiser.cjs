// The layer rule of DESIGN.md, enforced by `npm test` (npm run layers).
// Each layer may import only the layers listed for it; nothing may form a cycle.
const allowed = {
  errors: [],
  platform: [],
  protocol: [],
  ports: ['protocol', 'errors'],
  core: ['ports', 'protocol', 'errors'],
  adapters: ['ports', 'protocol', 'errors'],
  node: ['core', 'adapters', 'ports', 'protocol', 'errors'],
  contract: ['errors'],
  api: ['node', 'core', 'ports', 'protocol', 'errors', 'contract'],
  daemon: ['api', 'node', 'errors', 'contract', 'platform'],
  client: ['contract', 'errors'],
  cli: ['client', 'contract', 'errors', 'platform'],
};

const layerRules = Object.entries(allowed).map(([layer, deps]) => ({
  name: `layer-${layer}`,
  comment: `${layer} may import only: ${deps.join(', ') || 'nothing of ours'}`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: `^src/(${[layer, ...deps].join('|')})/` },
}));

// The web app runs in the browser and talks to its node only through the public API.
const webRules = [
  {
    name: 'web-only-contract-client',
    comment: 'the web app may import only src/contract and the browser-safe typed client',
    severity: 'error',
    from: { path: '^web/' },
    to: { path: '^src/', pathNot: '^src/(contract/|client/http-client\\.ts$)' },
  },
  {
    name: 'web-no-node',
    comment: 'the web app runs in a browser: no Node built-ins',
    severity: 'error',
    from: { path: '^web/src/' },
    to: { dependencyTypes: ['core'] },
  },
];

module.exports = {
  forbidden: [
    ...layerRules,
    ...webRules,
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-no-io',
      comment: 'core and protocol do no I/O of their own: they reach disk and network through ports',
      severity: 'error',
      from: { path: '^src/(core|protocol|ports)/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|net|http|https|http2|dgram|child_process|tls)$' },
    },
    {
      name: 'core-no-adapter-packages',
      comment: 'core never touches storage or transport packages directly',
      severity: 'error',
      from: { path: '^src/(core|protocol|ports)/' },
      to: { path: 'node_modules/(better-sqlite3|hyperswarm|hyperdht|@hyperswarm|fastify|@fastify|ws|multicast-dns|@parcel)' },
    },
    {
      name: 'hash-worker-lean',
      comment:
        'a hash worker is an isolate of its own: loading the protocol barrel (every wire codec and its packages) costs ~12 MB per worker',
      severity: 'error',
      from: { path: '^src/adapters/hasher-worker/hash-worker\\.ts$' },
      to: { path: '^src/protocol/index\\.ts$', reachable: true },
    },
    {
      name: 'cli-no-store',
      comment: 'the CLI speaks the API like any other client',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: 'node_modules/(better-sqlite3|hyperswarm|hyperdht|protomux)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
