/**
 * Builds the package's JavaScript into `dist/` (run by `npm ci` through `prepare`, and by
 * `npm pack`): esbuild bundles, with the code they share split into chunks,
 *   dist/cli.mjs           the command line (bin/attnc.mjs loads it),
 *   dist/index.mjs         the library API (compiler/index.ts),
 *   dist/webgpu.mjs        the WebGPU runtime for browsers (runtime/webgpu/index.ts),
 *   dist/deno-runner.mjs   the script `attnc run --backend webgpu` hands to Deno,
 *   dist/playground/       the playground page `attnc playground` serves (scripts/build-playground.ts),
 * and tsc writes the type declarations under dist/types/. The parser's libraries are bundled
 * (the CLI starts in a fraction of the time their hundreds of modules take to load); packages
 * with native code or loaded on first use stay dependencies. The build goes to a temporary
 * folder that replaces dist/ at the end, and `dist/.stamp` is written last: bin/attnc.mjs uses
 * dist/ only when the stamp is newer than every source file.
 * Run: `npx tsx scripts/build.ts`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { buildPlayground } from './build-playground.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = path.join(ROOT, 'dist');
const TMP = path.join(ROOT, `.dist-${process.pid}`);

/** Dependencies left to Node's resolution: native code, or large and loaded on first use. */
const EXTERNAL = ['@resvg/resvg-js', 'ts-morph', 'prettier', 'handlebars'];

async function main() {
  fs.rmSync(TMP, { recursive: true, force: true });
  try {
    await build({
      absWorkingDir: ROOT,
      entryPoints: { cli: 'compiler/cli/main.ts', index: 'compiler/index.ts' },
      outdir: TMP,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: EXTERNAL,
      chunkNames: 'chunks/[name]-[hash]',
      // Bundled CommonJS (commander) calls require for Node's built-ins.
      banner: { js: "import { createRequire as __attncRequire } from 'node:module'; const require = __attncRequire(import.meta.url);" },
      logLevel: 'warning',
    });
    for (const [name, entry, platform] of [['webgpu', 'runtime/webgpu/index.ts', 'browser'], ['deno-runner', 'runtime/webgpu/deno-runner.ts', 'neutral']] as const) {
      await build({ absWorkingDir: ROOT, entryPoints: [entry], outfile: path.join(TMP, `${name}.mjs`), bundle: true, format: 'esm', platform, target: 'es2022', logLevel: 'warning' });
    }
    await buildPlayground(path.join(TMP, 'playground'));
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--emitDeclarationOnly', '--outDir', path.join(TMP, 'types')], { cwd: ROOT, stdio: 'inherit' });
    fs.rmSync(DIST, { recursive: true, force: true });
    fs.renameSync(TMP, DIST);
    fs.writeFileSync(path.join(DIST, '.stamp'), `${new Date().toISOString()}\n`);
  } finally {
    fs.rmSync(TMP, { recursive: true, force: true });
  }
}

await main();
