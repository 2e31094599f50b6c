/**
 * Where attnc's own files are: the package root (the folder of attnc's package.json), found
 * from this module's location, so that the same lookups work in a checkout (sources under
 * compiler/ and runtime/) and in the built package (bundles under dist/).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'attnc') return dir;
      } catch {
        // not attnc's: keep looking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`internal error (a bug in attnc): cannot find attnc's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

let root: string | undefined;

/** The absolute path of `rel` (`/`-separated, relative to attnc's package root). */
export function packagePath(rel: string): string {
  root ??= findRoot();
  return path.join(root, ...rel.split('/'));
}
