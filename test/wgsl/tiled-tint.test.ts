/**
 * The tiled WGSL kernel through Tint, Chromium's WGSL compiler, as a browser gets it (the
 * lavapipe tests compile every bundled pattern's with Naga): the bundled patterns whose
 * kernels differ in structure (a plain mask, bias, soft-cap, input arrays, 2-D and 3-D box
 * tiles, select), bound with their defaults as in generated/, f32 and f16 at head dim 64
 * within WebGPU's default limits and f16 at 128 (SwiftShader takes a second or more per
 * pipeline, so not all 31 patterns).
 * Skipped, saying so, when Chromium is not installed.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bindParams } from '../../compiler/2-check/bind.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { emitWgsl, wgslModule } from '../../compiler/4-emit/wgsl/emit-wgsl.ts';
import { checkSource } from '../../compiler/pipeline.ts';
import { chooseTiledTiles, DEFAULT_LIMITS } from '../../runtime/webgpu/tiles.ts';
import { bundledFiles } from './bundled.ts';
import { CHROMIUM, compileWithTint, type Module } from './tint.ts';

if (!CHROMIUM) console.warn('test/wgsl/tiled-tint.test.ts skipped: Chromium is not installed (apt-get install chromium, or set ATTNC_CHROMIUM)');

/** The patterns compiled. */
const PATTERNS = new Set(['causal_mask', 'alibi', 'sliding_window_softcap', 'document', 'natten_2d', 'natten_3d', 'moba']);

describe.skipIf(!CHROMIUM)('tiled WGSL kernel through Tint (headless Chromium)', () => {
  it('compiles the tiled kernels of representative bundled patterns', async () => {
    const modules: Module[] = [];
    for (const f of bundledFiles()) {
      const name = `patterns/${f}`;
      const prog = checkSource({ name, text: fs.readFileSync(name, 'utf8') }, new Diagnostics());
      if (!prog) throw new Error(`${name} does not check`);
      for (const pat of prog.patterns) {
        if (!PATTERNS.has(pat.name)) continue;
        const bound = bindParams(pat, {}, new Diagnostics());
        if (!bound) throw new Error(`${pat.name} does not bind`);
        const kernel = emitWgsl(bound, 'tiled');
        for (const [dtype, d] of [['f32', 64], ['f16', 64], ['f16', 128]] as const) {
          modules.push({ name: `${pat.name} ${dtype} d${d}`, code: wgslModule(kernel, chooseTiledTiles(DEFAULT_LIMITS, d, dtype)!), entryPoints: ['main'], f16: dtype === 'f16' });
        }
      }
    }
    expect(modules.length).toBe(3 * PATTERNS.size);
    const report = await compileWithTint(modules);
    expect(report.adapter).toBe(true);
    expect(report.errors).toEqual([]);
  }, 300_000);
});
