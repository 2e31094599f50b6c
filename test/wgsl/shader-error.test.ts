/** A kernel that does not compile fails with the compiler's message and the WGSL line shown. */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emitWgsl } from '../../compiler/4-emit/wgsl/emit-wgsl.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { runInDeno, tensorDir } from '../../runtime/webgpu/deno.ts';
import { formatShaderMessages } from '../../runtime/webgpu/pipeline.ts';
import { bindText } from '../helpers/compile.ts';
import { webgpuUnavailable } from './harness.ts';

describe('shader compilation errors', () => {
  it('are formatted with the offending line', () => {
    const text = formatShaderMessages('fn a() {\n  let x = y;\n}', [{ type: 'error', message: 'unknown identifier `y`', lineNum: 2, linePos: 11 }]);
    expect(text).toContain('error: unknown identifier `y`');
    expect(text).toContain('--> wgsl:2:11');
    expect(text).toContain('2 |   let x = y;');
  });

  it.skipIf(webgpuUnavailable())('fail a run with the WGSL line shown', () => {
    const bound = bindText(fs.readFileSync('test/wgsl/fixtures/holes.attn', 'utf8'));
    const { spec, body } = emitWgsl(bound);
    const broken = body.replace('s *= u.scale;', 's *= u.scael;');
    expect(broken).not.toBe(body);
    const files = tensorDir();
    try {
      const t = files.file('t', new Float32Array(2 * 40 * 32).fill(0.5));
      const [r] = runInDeno({ kernels: [{ spec, body: broken, plannerSource: lowerToPlanner(bound).plannerSource, runs: [
        { id: 'x', config: { headDim: 32 }, options: { batch: 1, heads: 2, qLen: 40 }, q: t, k: t, v: t, out: files.file('o'), lseOut: files.file('l') },
      ] }] });
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.code).toBe('shader_error');
      expect(r.message).toMatch(/does not compile/);
      expect(r.message).toMatch(/\d+ \|\s+s \*= u\.scael;/);
    } finally {
      files.dispose();
    }
  }, 60_000);
});
