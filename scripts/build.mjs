// `npm run build` (run by `npm start`): bundles the TypeScript entry points into dist/ with esbuild, dependencies
// left as imports. Production runs plain JavaScript: no TypeScript loader in the process (about 45 MB less memory).
import { build } from 'esbuild'

await build({
  entryPoints: { cli: 'src/cli.ts', 'bench-bare': 'bench/servers/bare.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
})
