/**
 * The WGSL of data-dependent selection through Tint, Chromium's WGSL compiler (the lavapipe
 * tests compile it with Naga, Deno's): the selection shaders (every entry point) and the
 * kernels of select patterns, f32 and, where the adapter has shader-f16, f16. Headless
 * Chromium on SwiftShader, driven by playwright-core (never a downloaded browser); skipped,
 * saying so, when Chromium is not installed.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emitWgsl, wgslModule } from '../../compiler/4-emit/wgsl/emit-wgsl.ts';
import { SELECT_ENTRY_POINTS, SELECT_WGSL } from '../../runtime/webgpu/select-wgsl.ts';
import { chooseTiles, DEFAULT_LIMITS } from '../../runtime/webgpu/tiles.ts';
import { bindText } from '../helpers/compile.ts';
import { CHROMIUM, compileWithTint, type Module } from './tint.ts';

if (!CHROMIUM) console.warn('test/wgsl/select-tint.test.ts skipped: Chromium is not installed (apt-get install chromium, or set ATTNC_CHROMIUM)');

describe.skipIf(!CHROMIUM)('selection WGSL through Tint (headless Chromium)', () => {
  it('compiles the selection shaders and the kernels of select patterns', async () => {
    const fixture = (n: string) => bindText(fs.readFileSync(`test/select/fixtures/${n}.attn`, 'utf8'));
    const modules: Module[] = [{ name: 'selection', code: SELECT_WGSL, entryPoints: [...SELECT_ENTRY_POINTS], f16: false }];
    for (const n of ['moba', 'nsa', 'quest', 'maxpool', 'seer']) {
      const kernel = emitWgsl(fixture(n));
      for (const dtype of ['f32', 'f16'] as const) modules.push({ name: `${n} ${dtype}`, code: wgslModule(kernel, chooseTiles(DEFAULT_LIMITS, 64, dtype)), entryPoints: ['main'], f16: dtype === 'f16' });
    }
    const report = await compileWithTint(modules);
    expect(report.adapter).toBe(true);
    expect(report.errors).toEqual([]);
  }, 120_000);
});
