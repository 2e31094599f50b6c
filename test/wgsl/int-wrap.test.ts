/**
 * One integer semantics in WGSL (Deno's WebGPU, lavapipe in CI):
 * - the wrapping reproducer, `allow (q * 10000000 + k) % 7 == 0 || q - k < 3` with
 *   `require k <= q`, runs at 512 tokens and matches the float64 reference, whose mask is the
 *   evaluator's (it failed with relative error 0.54 while the planner and the evaluator
 *   computed in doubles and the kernel wrapped);
 * - random int expressions with large constants (test/helpers/int-exprs.ts), printed as the
 *   kernel prints them (compiler/4-emit/wgsl/print-wgsl-expr.ts, with the kernel's integer
 *   helpers), evaluated in one compute shader on a batch of points, equal the BigInt definition.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { intOpsWgsl } from '../../compiler/4-emit/int-ops.ts';
import { printWgslLets, type WgslLeaves } from '../../compiler/4-emit/wgsl/print-wgsl-expr.ts';
import { findDeno } from '../../runtime/webgpu/deno.ts';
import { bindText } from '../helpers/compile.ts';
import { intCases, P_VALUES, refValue, sharedIntCases } from '../helpers/int-exprs.ts';
import { expectClose, runKernelCases, webgpuUnavailable, type CaseOutcome } from './harness.ts';

const WRAP_SOURCE = `pattern wrap() {\n  allow (q * 10000000 + k) % 7 == 0 || q - k < 3\n  require k <= q\n}\n`;

/** Deno script: runs `shader` (entry `main`, 64 points per workgroup) on the points file, writes `out`. */
const RUNNER = `
const [shaderFile, pointsFile, outFile, nOut] = Deno.args;
const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
if (!adapter) Deno.exit(3);
const device = await adapter.requestDevice();
const points = Deno.readFileSync(pointsFile);
const n = points.byteLength / 16, outBytes = Number(nOut) * 4;
const module = device.createShaderModule({ code: new TextDecoder().decode(Deno.readFileSync(shaderFile)) });
const info = await module.getCompilationInfo();
for (const m of info.messages) if (m.type === 'error') { console.error(m.message); Deno.exit(1); }
const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
const pts = device.createBuffer({ size: points.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(pts, 0, points);
const out = device.createBuffer({ size: outBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
const read = device.createBuffer({ size: outBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
const bind = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: pts } }, { binding: 1, resource: { buffer: out } }] });
const enc = device.createCommandEncoder();
const pass = enc.beginComputePass();
pass.setPipeline(pipeline); pass.setBindGroup(0, bind); pass.dispatchWorkgroups(Math.ceil(n / 64)); pass.end();
enc.copyBufferToBuffer(out, 0, read, 0, outBytes);
device.queue.submit([enc.finish()]);
await read.mapAsync(GPUMapMode.READ);
Deno.writeFileSync(outFile, new Uint8Array(read.getMappedRange().slice(0)));
`;

const leaves: WgslLeaves = { size: (n) => n, param: (n) => `p_${n}`, input: () => { throw new Error('no inputs here'); } };

describe.skipIf(webgpuUnavailable())('WGSL ints wrap at 32 bits', () => {
  let outcome: CaseOutcome;
  beforeAll(() => {
    [outcome] = runKernelCases([{ name: 'wrap 512', bound: bindText(WRAP_SOURCE), batch: 1, heads: 1, kvHeads: 1, qLen: 512, kvLen: 512, headDim: 32, dtype: 'f32' }]);
  }, 600_000);

  it('the reproducer at 512 tokens matches the reference', () => {
    expect(expectClose(outcome, 'f32')).toEqual([]);
    expect(outcome.result.ok && outcome.result.partialTiles).toBeGreaterThan(0);
  });

  it('random expressions with large constants equal the definition', () => {
    // With 24 nested `let`s each using the one before twice: printed once per level (locals).
    const cases = [...intCases(120, 20240611), ...sharedIntCases(12, 20261202)];
    const pts = fc.sample(fc.tuple(fc.nat(299), fc.nat(299)), { numRuns: 16, seed: 7 }).flatMap(([q, k]) => P_VALUES.map((p) => [q, k, p] as const));
    const n = pts.length;
    const shader = [
      intOpsWgsl(),
      '@group(0) @binding(0) var<storage, read> pts: array<vec4<i32>>;',
      '@group(0) @binding(1) var<storage, read_write> outs: array<i32>;',
      ...cases.map((c, i) => {
        const code = printWgslLets([c.expr], leaves);
        return `fn e${i}(q: i32, k: i32, p_p: i32, q_len: i32) -> i32 { ${code.lets.join(' ')} return ${code.exprs[0]}; }`;
      }),
      '@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3<u32>) {',
      `  let j = id.x; if (j >= ${n}u) { return; }`,
      '  let t = pts[j];',
      ...cases.map((_, i) => `  outs[${i * n}u + j] = e${i}(t.x, t.y, t.z, 300i);`),
      '}',
    ].join('\n');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-wgsl-ints-'));
    try {
      const file = (name: string) => path.join(dir, name);
      fs.writeFileSync(file('runner.js'), RUNNER);
      fs.writeFileSync(file('s.wgsl'), shader);
      fs.writeFileSync(file('pts.bin'), new Uint8Array(Int32Array.from(pts.flatMap(([q, k, p]) => [q, k, p, 0])).buffer));
      const r = spawnSync(findDeno()!, ['run', '--quiet', '--allow-read', '--allow-write', '--no-config', '--no-lock', file('runner.js'), file('s.wgsl'), file('pts.bin'), file('out.bin'), String(n * cases.length)], {
        encoding: 'utf8', timeout: 300_000, env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? os.tmpdir(), NO_COLOR: '1' },
      });
      expect(r.status, r.stderr).toBe(0);
      const raw = fs.readFileSync(file('out.bin'));
      const got = new Int32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
      const diffs: string[] = [];
      cases.forEach((c, i) => pts.forEach(([q, k, p], j) => {
        const want = Number(refValue(c.expr, { q, k, p, q_len: 300, kv_len: 300 }));
        if (got[i * n + j] !== want) diffs.push(`${c.source} at q ${q} k ${k} p ${p}: WGSL ${got[i * n + j]}, expected ${want}`);
      }));
      expect(diffs.slice(0, 5)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
