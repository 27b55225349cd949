// `npm run build`: bundles src/ into dist/ with esbuild. Each command stays its own chunk
// (they are imported lazily), and zod is tree-shaken into the bundle: loaded file by file it
// is over 200 modules and most of print-env's start-up time. Packages that load native
// modules or CommonJS (the AWS SDK, commander, prompts, listr2, lock and atomic-write
// helpers) stay external and resolve from node_modules as before. Type checking is
// `npm run typecheck` (tsc), not this.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const BUNDLED = new Set(['zod', 'commander']);
const external = Object.keys(pkg.dependencies).filter((name) => !BUNDLED.has(name));

/**
 * commander loads child_process (and with it net, dgram, …: ~5 ms of every start) only to
 * spawn executable subcommands, which this CLI does not have; inside commander it is replaced
 * by a module that says so if it is ever called.
 */
const noExecutableSubcommands = {
  name: 'no-executable-subcommands',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      args.importer.includes('/node_modules/commander/') ? { path: 'child_process', namespace: 'hm-stub' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'hm-stub' }, () => ({
      contents: "module.exports = { spawn() { throw new Error('hm-infra has no executable subcommands'); } };",
      loader: 'js',
    }));
  },
};

rmSync(new URL('dist', root), { recursive: true, force: true });
const result = await build({
  absWorkingDir: new URL('.', root).pathname,
  entryPoints: ['src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: [...external, ...external.map((name) => `${name}/*`)],
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  logLevel: 'warning',
  minify: true,
  plugins: [noExecutableSubcommands],
  metafile: true,
  // Bundled CommonJS (commander) requires Node's built-ins; ESM output has no `require` of its own.
  banner: {
    js: "import { createRequire as __hmCreateRequire } from 'node:module'; const require = __hmCreateRequire(import.meta.url);",
  },
});

/**
 * The bundle keeps only the parts of zod the schemas use (zod/mini, built from named exports).
 * Classic zod, or the whole of zod/mini (a module namespace passed around as a value keeps every
 * export, JSON Schema included), would put some 400 KB on the start-up path of every command.
 */
const bundled = Object.values(result.metafile.outputs).flatMap((output) =>
  Object.entries(output.inputs)
    .filter(([, use]) => use.bytesInOutput > 0)
    .map(([input]) => input),
);
const bloat = bundled.filter((input) =>
  /node_modules\/zod\/v4\/(classic\/|core\/(to-json-schema|json-schema))/.test(input),
);
if (bloat.length > 0) {
  console.error(
    `build: the bundle includes parts of zod no schema uses (${bloat.slice(0, 3).join(', ')}${bloat.length > 3 ? ', …' : ''}).\n` +
      "Import schemas from 'zod/mini' by name (or `import * as z from 'zod/mini'` used only as z.string() …), never pass the module itself.",
  );
  process.exit(1);
}
