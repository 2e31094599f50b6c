/**
 * Builds the playground (`attnc playground`, docs/playground.md): a static page, bundled with
 * esbuild into `OUT` (scripts/build.ts puts it in dist/playground/):
 *   index.html, style.css   the page,
 *   main.js                 the editor and the compiler, running in the browser,
 *   chunks/                 parts loaded on first use (the TypeScript target's printer).
 * The compiler runs as it is: the few Node.js modules it reads package files through are
 * replaced by browser stand-ins (playground/shims/), which serve the templates and GPU
 * profiles embedded at build time, so the browser bundle holds no Node.js module.
 * Run: `npx tsx scripts/build-playground.ts [OUT]` (default dist/playground).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build, type Plugin } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..');
const SHIMS = path.join(ROOT, 'playground/shims');

/** Package files the compiler reads at run time, and the pattern gallery, embedded as `attnc:assets` (relative path -> text). */
const ASSET_DIRS = ['templates', 'profiles', 'patterns'];

function assets(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out[r] = fs.readFileSync(path.join(ROOT, r), 'utf8');
    }
  };
  ASSET_DIRS.forEach(walk);
  return out;
}

/** Node.js modules and package-file readers, by import specifier or resolved file, mapped to their browser stand-ins. */
const BY_SPECIFIER: Readonly<Record<string, string>> = {
  'node:fs': 'fs.ts', fs: 'fs.ts', 'node:path': 'path.ts', path: 'path.ts', prettier: 'prettier.ts',
};
const BY_FILE: Readonly<Record<string, string>> = {
  [path.join(ROOT, 'runtime/io/package-root.ts')]: 'package-root.ts',
  [path.join(ROOT, 'runtime/io/files.ts')]: 'files.ts',
};

const browserShims: Plugin = {
  name: 'attnc-browser-shims',
  setup(b) {
    b.onResolve({ filter: /^attnc:assets$/ }, () => ({ path: 'assets', namespace: 'attnc-assets' }));
    b.onLoad({ filter: /.*/, namespace: 'attnc-assets' }, () => ({ contents: `export default ${JSON.stringify(assets())};`, loader: 'js' }));
    b.onResolve({ filter: /^(node:)?(fs|path)$|^prettier$/ }, (a) => ({ path: path.join(SHIMS, BY_SPECIFIER[a.path]) }));
    b.onResolve({ filter: /\/(package-root|files)\.ts$/ }, (a) => {
      const shim = BY_FILE[path.resolve(a.resolveDir, a.path)];
      return shim ? { path: path.join(SHIMS, shim) } : undefined;
    });
    // ts-morph imports Node.js modules its in-memory file system does not use.
    b.onResolve({ filter: /^(node:)?(fs\/promises|os)$/ }, (a) => (a.importer.includes(`${path.sep}node_modules${path.sep}@ts-morph${path.sep}`) ? { path: path.join(SHIMS, 'unavailable.ts') } : undefined));
    // Whatever else asks for Node.js is a mistake: fail the build rather than the page.
    b.onResolve({ filter: /^node:/ }, (a) => ({ errors: [{ text: `${a.path} (imported by ${path.relative(ROOT, a.importer)}) has no browser stand-in in playground/shims/` }] }));
  },
};

/** Builds the playground into `out` (replaced). */
export async function buildPlayground(out: string): Promise<void> {
  fs.rmSync(out, { recursive: true, force: true });
  await build({
    absWorkingDir: ROOT,
    entryPoints: { main: 'playground/src/main.ts' },
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [browserShims],
    // The compiler's debug log (3-lower/lower.ts) reads the environment: the browser has none.
    define: { 'process.env.NODE_ENV': '"production"', 'process.env.ATTNC_LOG': 'undefined' },
    logLevel: 'warning',
  });
  for (const f of ['index.html', 'style.css']) fs.copyFileSync(path.join(ROOT, 'playground', f), path.join(out, f));
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  await buildPlayground(path.resolve(process.argv[2] ?? path.join(ROOT, 'dist/playground')));
}
