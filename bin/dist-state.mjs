// Whether attnc's built bundle (dist/) can run: it is built and, in a checkout, no source file
// is newer than the build. Used by bin/attnc.mjs and by the test setup (test/helpers/setup.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The newest modification time of the files under `dir`, or 0. */
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

/** The folders whose sources the bundle is built from (the playground embeds templates, profiles and patterns). */
export const SOURCE_DIRS = ['compiler', 'runtime/schedule', 'runtime/webgpu', 'runtime/io', 'playground', 'templates', 'profiles', 'patterns'];

/**
 * Those of the command line and the library: not the playground's page nor the patterns it
 * embeds (a user's own pattern saved under patterns/ does not make the CLI rebuild-stale).
 */
export const CLI_SOURCE_DIRS = SOURCE_DIRS.filter((d) => d !== 'playground' && d !== 'patterns');

/** Whether `root`'s dist/ is built and current for `dirs` (an installed package has no sources). */
export function distIsCurrent(root, dirs = SOURCE_DIRS) {
  let built;
  try {
    built = fs.statSync(path.join(root, 'dist/.stamp')).mtimeMs;
  } catch {
    return false;
  }
  if (!fs.existsSync(path.join(root, 'compiler'))) return true;
  return Math.max(...dirs.map((d) => newest(path.join(root, d)))) <= built;
}
