/**
 * The WGSL pattern modules of an earlier commit, for timing two builds in one run:
 *
 *   npx tsx bench/webgpu-ab.ts REV DIR
 *   # then, on the GPU machine: deno run -A bench/webgpu.ts --generated DIR ...
 *
 * Writes `generated/*.ts` as of git revision REV into DIR (under bench/webgpu-work/, which git
 * ignores), with their imports of `../runtime/` rewritten to resolve from DIR. The runtime is
 * today's: an A/B of kernel templates, not of the runtime. Modules from before the tiled
 * kernel's work entries ([Note: Split rows], bd9f638) do not run with a later runtime (no
 * `combine` entry point, another dispatch), nor do modules from before the resolved work entries
 * ([Note: Resolved entries] in runtime/webgpu/schedule-buffer.ts: another entry layout): this
 * script refuses such a revision; A/B runs across those changes compare builds in separate
 * runs (each tree's own runtime), not modules.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const [rev, dir] = process.argv.slice(2);
if (!rev || !dir) {
  console.error('usage: npx tsx bench/webgpu-ab.ts REV DIR');
  process.exit(2);
}
const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
// The work entries' kernels have a `combine` entry point; earlier ones do not run with this runtime.
const template = (() => { try { return git('show', `${rev}:templates/wgsl/attention-tiled.wgsl.hbs`); } catch { return ''; } })();
if (!template.includes('fn combine(')) {
  console.error(`error: the tiled kernel at ${rev} predates its work entries (bd9f638): its modules do not run with this runtime; compare such builds in separate runs of bench/webgpu.ts`);
  process.exit(1);
}
if (!template.includes('[Note: Resolved entries]')) {
  console.error(`error: the tiled kernel at ${rev} reads unresolved work entries: its modules do not run with this runtime ([Note: Resolved entries]); compare such builds in separate runs of bench/webgpu.ts`);
  process.exit(1);
}
const files = git('ls-tree', '--name-only', `${rev}:generated`).split('\n').filter((f) => f.endsWith('.ts'));
if (!files.length) throw new Error(`no generated/*.ts at ${rev}`);
const up = path.relative(path.resolve(dir), path.resolve('runtime')).split(path.sep).join('/');
fs.mkdirSync(dir, { recursive: true });
for (const f of files) {
  const text = git('show', `${rev}:generated/${f}`).replaceAll("from '../runtime/", `from '${up}/`);
  fs.writeFileSync(path.join(dir, f), text);
}
console.log(`wrote ${files.length} modules of ${git('rev-parse', '--short', rev).trim()} to ${dir}`);
