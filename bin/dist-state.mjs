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
const SOURCE_DIRS = ['compiler', 'runtime/schedule', 'runtime/webgpu', 'runtime/io', 'playground', 'templates', 'profiles', 'patterns'];

/** Whether `root`'s dist/ is built and current (an installed package has no sources). */
export function distIsCurrent(root) {
  let built;
  try {
    built = fs.statSync(path.join(root, 'dist/.stamp')).mtimeMs;
  } catch {
    return false;
  }
  if (!fs.existsSync(path.join(root, 'compiler'))) return true;
  return Math.max(...SOURCE_DIRS.map((d) => newest(path.join(root, d)))) <= built;
}
