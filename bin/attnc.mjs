#!/usr/bin/env node
// attnc command-line entry. Runs the built bundle (dist/cli.mjs, made by `npm ci` or
// `npx tsx scripts/build.ts`); in a checkout whose sources changed since that build, runs the
// TypeScript sources through tsx instead, so the command never runs stale code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The newest modification time under `dir` (files only), or 0. */
function newest(dir) {
  let t = 0;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.isFile()) t = Math.max(t, fs.statSync(p).mtimeMs);
  }
  return t;
}

/** Whether dist/ is built and no source is newer than the build (a package has no sources). */
function distIsCurrent() {
  let built;
  try {
    built = fs.statSync(path.join(root, 'dist/.stamp')).mtimeMs;
  } catch {
    return false;
  }
  if (!fs.existsSync(path.join(root, 'compiler'))) return true;
  const sources = ['compiler', 'runtime/schedule', 'runtime/webgpu', 'runtime/io'].map((d) => newest(path.join(root, d)));
  return Math.max(...sources) <= built;
}

// A reader that stops early (`attnc schedule ... | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

let main;
if (distIsCurrent()) {
  ({ main } = await import('../dist/cli.mjs'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../compiler/cli/main.ts'));
}
process.exitCode = await main(process.argv);
