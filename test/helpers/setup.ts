/**
 * Runs once before the tests: builds dist/ when a source is newer than it, so that every test
 * that starts the CLI (bin/attnc.mjs) runs the current code from the bundle, and the package
 * test packs it as built, without rebuilding while other tests run.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
// @ts-expect-error: a JavaScript module without declarations
import { distIsCurrent } from '../../bin/dist-state.mjs';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '../..');
  if (!(distIsCurrent as (root: string) => boolean)(root)) {
    execFileSync(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), path.join(root, 'scripts/build.ts')], { cwd: root, stdio: 'inherit' });
  }
}
