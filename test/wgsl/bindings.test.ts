/**
 * The WebGPU launcher and the generated bindings against a mocked GPUDevice: dispatch
 * sizes, bind group layouts, uniform bytes, and what is cached per shape. No GPU needed.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emitWgsl } from '../../compiler/4-emit/wgsl/emit-wgsl.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { createAttention, type Attention, type AttentionConfig } from '../../runtime/webgpu/attention.ts';
import { BufferUsage, type GpuDevice } from '../../runtime/webgpu/gpu.ts';
import type { KernelSpec } from '../../runtime/webgpu/interface.ts';
import { AttentionError } from '../../runtime/webgpu/pipeline.ts';
import { kernelSource } from '../../runtime/webgpu/tiles.ts';
import { bindText } from '../helpers/compile.ts';
import { mockDevice } from './mock-device.ts';

const docs = bindText(fs.readFileSync('test/wgsl/fixtures/docs.attn', 'utf8'));
const kernel = { ...emitWgsl(docs), planner: lowerToPlanner(docs).planner };
const f32 = (n: number) => new Float32Array(n).fill(0.25);

describe('WebGPU launcher (mocked device)', () => {
  it('dispatches one workgroup per (query block, batch * head) with the spec bind group layout', async () => {
    const { device, log } = mockDevice();
    const att = createAttention(device, kernel, { headDim: 64 });
    expect(att.tiles).toMatchObject({ blockQ: 64, blockKv: 64, lanes: 4, workgroupSize: 256 });
    const doc = Int32Array.from({ length: 200 }, (_, i) => i >> 5);
    const res = await att.run(f32(3 * 4 * 130 * 64), f32(3 * 2 * 200 * 64), f32(3 * 2 * 200 * 64), { batch: 3, heads: 4, kvHeads: 2, qLen: 130, kvLen: 200, inputs: { doc } });
    expect(log.dispatches).toEqual([[3, 12, 1]]);
    expect(log.layouts).toHaveLength(1);
    expect(log.layouts[0].map((e) => [e.binding, e.buffer.type])).toEqual([
      [0, 'uniform'], [1, 'read-only-storage'], [2, 'read-only-storage'], [3, 'read-only-storage'],
      [4, 'storage'], [5, 'storage'], [6, 'read-only-storage'], [7, 'read-only-storage'], [8, 'storage'],
    ]);
    expect(log.layouts[0].length).toBeLessThanOrEqual(1 + 8);
    const group = log.bindGroups[0];
    expect(group.map((g) => g.binding)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(group[1].size).toBeGreaterThanOrEqual(3 * 4 * 130 * 64 * 4);
    expect(group[4].size).toBe(3 * 4 * 130 * 64 * 4);
    expect(group[5].size).toBe(3 * 4 * 130 * 4);
    expect(res.o).toBeInstanceOf(Float32Array);
    expect(res.o.length).toBe(3 * 4 * 130 * 64);
    expect(res.lse.length).toBe(3 * 4 * 130);
    // Uniforms in spec order: q_len, kv_len, heads, kv_heads, batch, group_table, scale, in_doc.
    const u = log.writes.find((w) => w.usage & BufferUsage.UNIFORM)!;
    const view = new DataView(u.data.buffer);
    expect([0, 1, 2, 3, 4].map((i) => view.getInt32(i * 4, true))).toEqual([130, 200, 4, 2, 3]);
    // group_table: after groupOf (batch * heads = 12 entries) and the work order (12 * 3 query blocks).
    expect(view.getInt32(5 * 4, true)).toBe(12 + 12 * 3);
    expect(view.getFloat32(6 * 4, true)).toBeCloseTo(1 / 8);
    expect(view.getInt32(7 * 4, true)).toBe(0);
    expect(u.data.byteLength % 16).toBe(0);
  });

  it('caches pipelines per device and schedules per shape', async () => {
    const { device, log } = mockDevice();
    const att = createAttention(device, kernel, { headDim: 32 });
    const doc = Int32Array.from({ length: 100 }, (_, i) => i >> 4);
    const shape = { batch: 1, heads: 2, qLen: 100, inputs: { doc } };
    const s1 = att.schedule(shape);
    await att.run(f32(2 * 100 * 32), f32(2 * 100 * 32), f32(2 * 100 * 32), shape);
    await att.run(f32(2 * 100 * 32), f32(2 * 100 * 32), f32(2 * 100 * 32), shape);
    expect(att.schedule(shape)).toBe(s1);
    const doc2 = Int32Array.from({ length: 50 }, () => 0);
    await att.run(f32(2 * 50 * 32), f32(2 * 50 * 32), f32(2 * 50 * 32), { ...shape, qLen: 50, inputs: { doc: doc2 } });
    expect(att.schedule({ ...shape, qLen: 50, inputs: { doc: doc2 } })).not.toBe(s1);
    expect(log.pipelines).toBe(1);
    expect(log.shaders).toHaveLength(1);
    expect(log.dispatches).toEqual([[2, 2, 1], [2, 2, 1], [1, 2, 1]]);
    expect(log.shaders[0]).toMatch(/^\/\/ Specialisation: f32 d32 q64xkv64/m);
  });

  it('keeps GPU buffers on the GPU and writes into given output buffers', async () => {
    const { device, log } = mockDevice(['shader-f16']);
    const att = createAttention(device, kernel, { headDim: 128, dtype: 'f16' });
    expect(att.tiles.workgroupBytes).toBeLessThanOrEqual(16384);
    const buf = (bytes: number) => device.createBuffer({ size: bytes, usage: BufferUsage.STORAGE });
    const out = buf(2 * 16 * 128 * 2), lse = buf(2 * 16 * 4);
    const res = await att.run(buf(2 * 16 * 128 * 2), buf(16 * 128 * 2), buf(16 * 128 * 2), { batch: 1, heads: 2, kvHeads: 1, qLen: 16, out, lse, inputs: { doc: new Int32Array(16) } });
    expect(res.o).toBe(out);
    expect(res.lse).toBe(lse);
    expect(log.shaders[0]).toMatch(/^enable f16;/);
    expect(log.dispatches).toEqual([[1, 2, 1]]);
  });

  it('takes f16 arithmetic for f16 tensors, except on a fallback (CPU) adapter unless asked', async () => {
    const mod = (await import('../../generated/causal_mask.ts')) as { create(device: GpuDevice, config: AttentionConfig): Attention };
    const gpu = mockDevice(['shader-f16']).device;
    const cpu: GpuDevice = { ...gpu, adapterInfo: { isFallbackAdapter: true } };
    expect(mod.create(gpu, { headDim: 64, dtype: 'f16' }).tiles.math).toBe('f16');
    expect(mod.create(cpu, { headDim: 64, dtype: 'f16' }).tiles.math).toBeUndefined();
    expect(mod.create(cpu, { headDim: 64, dtype: 'f16', tiles: { math: 'f16' } }).tiles.math).toBe('f16');
    expect(mod.create(gpu, { headDim: 64, dtype: 'f16', tiles: { math: 'f32' } }).tiles.math).toBeUndefined();
  });

  it('runs more batch x heads than one dispatch dimension holds with the tiled kernel, and refuses them with the simple one', async () => {
    const mod = (await import('../../generated/causal_mask.ts')) as { create(device: GpuDevice, config: AttentionConfig): Attention };
    const { device, log } = mockDevice();
    const heads = 70000, n = heads * 16 * 16 * 4;
    const buf = () => device.createBuffer({ size: n, usage: BufferUsage.STORAGE });
    const shape = { batch: 1, heads, qLen: 16, out: buf(), lse: device.createBuffer({ size: heads * 16 * 4, usage: BufferUsage.STORAGE }) };
    const res = await mod.create(device, { headDim: 16 }).run(buf(), buf(), buf(), shape);
    expect(res.tiles.kernel).toBe('tiled');
    expect(log.dispatches).toEqual([[65535, 2, 1]]);
    await expect(mod.create(device, { headDim: 16, kernel: 'simple' }).run(buf(), buf(), buf(), shape)).rejects.toThrow(/exceed the device's 65535 workgroups per dimension/);
  });

  it('refuses bad shapes and missing features with coded errors', async () => {
    const { device } = mockDevice();
    expect(() => createAttention(device, kernel, { headDim: 64, dtype: 'f16' })).toThrow(AttentionError);
    expect(() => createAttention(device, kernel, { headDim: 40 })).toThrow(/head dim 40/);
    expect(() => createAttention(device, kernel, { headDim: 272 })).toThrow(/head dim 272/);
    const att = createAttention(device, kernel, { headDim: 32 });
    await expect(att.run(f32(10), f32(10), f32(10), { batch: 1, heads: 3, kvHeads: 2, qLen: 4, inputs: { doc: new Int32Array(4) } })).rejects.toThrow(/must divide/);
    await expect(att.run(f32(10), f32(10), f32(10), { batch: 1, heads: 1, qLen: 4, inputs: { doc: new Int32Array(4) } })).rejects.toThrow(/needs 512/);
    // A tensor past the device's storage binding limit is refused, not dispatched to fail quietly.
    const small: GpuDevice = { ...device, limits: { ...device.limits, maxStorageBufferBindingSize: 1024 } };
    const att2 = createAttention(small, kernel, { headDim: 32 });
    const big = f32(32 * 64);
    const err = await att2.run(big, big, big, { batch: 1, heads: 1, qLen: 64, inputs: { doc: new Int32Array(64) } }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(AttentionError);
    expect((err as AttentionError).code).toBe('bad_size');
    expect((err as Error).message).toContain("q needs a 8192-byte storage buffer, more than this device's limit of 1024 bytes");
  });
});

/** What every generated module exports. */
interface GeneratedModule {
  create(device: GpuDevice, config: AttentionConfig): Attention;
  readonly spec: KernelSpec;
  readonly wgslBody: string;
  readonly wgslTiledBody: string;
}

describe('generated bindings (mocked device)', () => {
  const modules = fs.readdirSync('generated').filter((f) => f.endsWith('.ts')).sort();
  it('exist for the bundled patterns', () => {
    expect(modules.length).toBeGreaterThan(0);
  });
  for (const m of modules) {
    it(`${m} creates and runs`, async () => {
      const mod = (await import(`../../generated/${m}`)) as GeneratedModule;
      const { device, log } = mockDevice();
      const att = mod.create(device, { headDim: 32 });
      // Per token (70), per batch element (2), or a row of 70 per batch element.
      const inputs = Object.fromEntries(mod.spec.inputs.map((a) => [a.name, new Int32Array(a.length === 'batch' ? 2 : a.batched ? 2 * 70 : 70)]));
      const params = Object.fromEntries(mod.spec.runtimeParams.map((p) => [p.name, p.type === 'bool' ? true : 7]));
      const res = await att.run(f32(2 * 2 * 70 * 32), f32(2 * 2 * 70 * 32), f32(2 * 2 * 70 * 32), { batch: 2, heads: 2, qLen: 70, inputs, params });
      // A pattern with a select clause first pools, scores, ranks and merges (5 passes), on the GPU.
      expect(log.dispatches.length).toBe(mod.spec.select ? 6 : 1);
      // The tiled kernel: one workgroup per work entry in a row of them (query blocks x 4
      // batch * heads, no row split at this size; [Note: Split rows]; blocks of 32 rows where
      // those cover at most 0.8 of what blocks of 64 do, [Note: Short rows]); with `select`, (query blocks, batch * heads).
      expect(log.dispatches.at(-1)).toEqual(mod.spec.select ? [2, 4, 1] : [4 * res.schedule.numQBlocks, 1, 1]);
      // The default kernel, the register-tiled one, specialised to the chosen tiles.
      expect(res.tiles.kernel).toBe('tiled');
      expect(log.shaders[0]).toBe(kernelSource(res.tiles, mod.wgslTiledBody));
      expect(res.schedule.pattern).toBe(mod.spec.pattern);
    });
  }
});
