import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { bindParams } from '../../compiler/2-check/bind.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { emitWgsl } from '../../compiler/4-emit/wgsl/emit-wgsl.ts';
import { checkSource } from '../../compiler/pipeline.ts';
import { loopBounds, chooseTiledTiles, DEFAULT_LIMITS, kernelSource } from '../../runtime/webgpu/tiles.ts';
import { selectSections } from '../../runtime/webgpu/sections.ts';
import { unrollLoops } from '../../runtime/webgpu/unroll.ts';

describe('selectSections', () => {
  const src = 'a\n  /*#if subgroups*/\nsg\n/*#else*/\nwg\n/*#endif*/\nb\n/*#if subgroups*/\nonly\n/*#endif*/\nc';
  it('keeps the branch its flag picks and drops the marker lines', () => {
    expect(selectSections(src, { subgroups: true })).toBe('a\nsg\nb\nonly\nc');
    expect(selectSections(src, { subgroups: false })).toBe('a\nwg\nb\nc');
  });
  it('refuses nested, unclosed, stray or unknown sections as internal errors', () => {
    expect(() => selectSections('/*#if subgroups*/\n/*#if subgroups*/\n/*#endif*/\n/*#endif*/', { subgroups: true })).toThrow(/a bug in attnc/);
    expect(() => selectSections('/*#if subgroups*/\nx', { subgroups: true })).toThrow(/not closed/);
    expect(() => selectSections('/*#endif*/', { subgroups: true })).toThrow(/outside a section/);
    expect(() => selectSections('/*#if other*/\n/*#endif*/', { subgroups: true })).toThrow(/has no value/);
  });
});

describe('unrollLoops', () => {
  it('writes a marked loop out once per iteration, each copy in its own block', () => {
    const src = 'a(); /*unroll*/ for (var t = 0u; t < KC; t++) { x[t] += 1.0; } b();';
    expect(unrollLoops(src, { KC: 3 })).toBe('a(); { let t = 0u; x[t] += 1.0; } { let t = 1u; x[t] += 1.0; } { let t = 2u; x[t] += 1.0; } b();');
  });

  it('unrolls nested loops and literal bounds, and leaves unmarked loops alone', () => {
    const src = '/*unroll*/ for (var r = 0u; r < 2u; r++) { /*unroll*/ for (var t = 0u; t < N; t++) { s[r * 2u + t] = 0.0; } } for (var d = 0u; d < D4; d++) { }';
    const out = unrollLoops(src, { N: 2 });
    expect(out).not.toContain('/*unroll*/');
    expect(out.match(/let t = /g)).toHaveLength(4);
    expect(out.match(/let r = /g)).toHaveLength(2);
    expect(out).toContain('for (var d = 0u; d < D4; d++) { }');
  });

  it('refuses a marked loop it cannot unroll as an internal error', () => {
    expect(() => unrollLoops('/*unroll*/ for (var t = 0u; t < KC; t++) { if (x) { break; } }', { KC: 2 })).toThrow(/a bug in attnc/);
    expect(() => unrollLoops('/*unroll*/ for (var t = 0u; t < KC; t++) { t += 1u; }', { KC: 2 })).toThrow(/assigns its counter/);
    expect(() => unrollLoops('/*unroll*/ for (var t = 0u; t < MISSING; t++) { }', {})).toThrow(/has no value/);
    expect(() => unrollLoops('/*unroll*/ while (true) { }', {})).toThrow(/not of the form/);
  });

  it('leaves no marked loop in the tiled kernel of a bundled pattern, for every tile shape', () => {
    const name = 'patterns/natten-2d.attn';
    const diags = new Diagnostics();
    const prog = checkSource({ name, text: fs.readFileSync(name, 'utf8') }, diags, () => undefined)!;
    const body = emitWgsl(bindParams(prog.patterns[0], {}, diags)!, 'tiled').body;
    expect(body).toContain('/*unroll*/');
    for (const headDim of [16, 64, 128, 256]) {
      for (const dtype of ['f32', 'f16'] as const) {
        const t = chooseTiledTiles({ ...DEFAULT_LIMITS, maxComputeWorkgroupStorageSize: 49152 }, headDim, dtype);
        if (!t) continue;
        const out = unrollLoops(body, loopBounds(t));
        expect(out).not.toContain('/*unroll*/');
        expect(out).not.toMatch(/for \(var (r|t|i|n|l) = 0u; \1 < (ROWS|KC|ACC|NL|LANES|RKC|RACC)/);
      }
    }
  });

  it('specialises the subgroup variant: no red words, no marker, shuffles unrolled', () => {
    const name = 'patterns/natten-2d.attn';
    const diags = new Diagnostics();
    const prog = checkSource({ name, text: fs.readFileSync(name, 'utf8') }, diags, () => undefined)!;
    const body = emitWgsl(bindParams(prog.patterns[0], {}, diags)!, 'tiled').body;
    const sg = chooseTiledTiles(DEFAULT_LIMITS, 64, 'f32', {}, 32)!;
    expect(sg.subgroups).toBe(true);
    const on = kernelSource(sg, body), off = kernelSource(chooseTiledTiles(DEFAULT_LIMITS, 64, 'f32')!, body);
    expect(on).toMatch(/^enable subgroups;/);
    expect(on.match(/subgroupShuffleXor\(/g)).toHaveLength(3 * 3 * sg.rows!);  // the max in FULL and PARTIAL tiles and the sum: log2(8) steps per row
    for (const s of [on, off]) expect(s).not.toMatch(/\/\*#|\/\*unroll\*\//);
    expect(on).not.toMatch(/\bred\[|workgroup> red/);
    expect(off).not.toMatch(/subgroupShuffleXor\(|enable subgroups/);
    expect(off).toContain('var<workgroup> red');
  });
});
