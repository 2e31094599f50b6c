/**
 * Writes the register-tiled WGSL kernel body (`emitWgsl(bound, 'tiled')`) of every bundled
 * pattern, bound with its defaults as in `generated/`, to `bench/webgpu-work/tiled-bodies.json`
 * (pattern name -> body). The generated modules embed only the default kernel's body;
 * `bench/webgpu.ts --kernel tiled|both` reads this file on the GPU machine (no Node there).
 *
 *   npx tsx bench/webgpu-tiled-bodies.ts [FILE]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bindParams } from '../compiler/2-check/bind.ts';
import { Diagnostics } from '../compiler/diagnostics/diagnostic.ts';
import { emitWgsl } from '../compiler/4-emit/wgsl/emit-wgsl.ts';
import { checkSource } from '../compiler/pipeline.ts';

const out = process.argv[2] ?? 'bench/webgpu-work/tiled-bodies.json';
const bodies: Record<string, string> = {};
for (const f of fs.readdirSync('patterns').filter((x) => x.endsWith('.attn')).sort()) {
  const name = `patterns/${f}`;
  const diags = new Diagnostics();
  const prog = checkSource({ name, text: fs.readFileSync(name, 'utf8') }, diags, (n) => {
    try { return fs.readFileSync(n, 'utf8'); } catch { return undefined; }
  });
  if (!prog) throw new Error(`${name} does not check`);
  for (const pattern of prog.patterns) {
    const bound = bindParams(pattern, {}, diags);
    if (!bound) throw new Error(`${name}: ${pattern.name} does not bind with its defaults`);
    bodies[pattern.name] = emitWgsl(bound, 'tiled').body;
  }
}
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(bodies));
console.log(`wrote ${out}: ${Object.keys(bodies).length} tiled kernel bodies`);
