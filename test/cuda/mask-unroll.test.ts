/**
 * How many column groups of a PARTIAL tile the Hopper kernel evaluates together
 * (Pattern::MASK_UNROLL): all 16 for masks that read input arrays or are small, 2 for large masks,
 * score modifications and runtime divisions (those spill when fully unrolled; nvcc.test.ts
 * holds the bundled patterns to zero spills).
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FULL_MASK_UNROLL_NODES, maskSize, maskUnroll } from '../../compiler/4-emit/cuda/emit-cuda.ts';
import { bindText } from '../helpers/compile.ts';

/** A bundled pattern bound with its defaults, as generated/cuda has it. */
const bundled = (name: string) => bindText(fs.readFileSync(`patterns/${name}.attn`, 'utf8'));

describe('Pattern::MASK_UNROLL', () => {
  it('unrolls small masks and masks with input arrays fully, the rest 2 at a time', () => {
    const unroll = (name: string) => maskUnroll(bundled(name));
    for (const n of ['longformer', 'natten-2d', 'swin', 'sliding-window', 'document', 'global-tokens']) expect(unroll(n), n).toBe(16);
    for (const n of ['bigbird', 'radial', 'natten-3d', 'softcap', 'alibi', 's2-attention']) expect(unroll(n), n).toBe(2);
  });

  it('keeps large masks and runtime divisions at 2, whatever else holds', () => {
    const natten3d = bundled('natten-3d');
    expect(maskSize(natten3d.mask)).toBeGreaterThan(FULL_MASK_UNROLL_NODES);
    // The same small mask, once dividing by a constant and once by a runtime parameter.
    const src = (decl: string) => `pattern p(${decl}) {\n  allow q / w == k / w\n}\n`;
    expect(maskUnroll(bindText(src('w: int in 1.. = 64')))).toBe(16);
    expect(maskUnroll(bindText(src('runtime w: int')))).toBe(2);
  });
});
