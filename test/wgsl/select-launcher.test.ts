/**
 * The WebGPU launcher of a pattern with a `select` clause against a mocked device: the
 * selection's dispatches precede the kernel's, the per-shape tables are planned once, and
 * misuse gets coded errors (no GPU needed; test/wgsl/select.test.ts runs it on lavapipe).
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emitWgsl } from '../../compiler/4-emit/wgsl/emit-wgsl.ts';
import { printSelection } from '../../compiler/4-emit/planner/print-selection.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { createAttention } from '../../runtime/webgpu/attention.ts';
import { AttentionError } from '../../runtime/webgpu/pipeline.ts';
import { loadSelection, planSelection } from '../../runtime/webgpu/select.ts';
import { SELECT_WGSL } from '../../runtime/webgpu/select-wgsl.ts';
import { PlanError } from '../../runtime/schedule/types.ts';
import { bindText } from '../helpers/compile.ts';
import { mockDevice } from './mock-device.ts';

const fixture = (name: string, params: Record<string, string | number> = {}) => bindText(fs.readFileSync(`test/select/fixtures/${name}.attn`, 'utf8'), params);
const kernelOf = (bp: ReturnType<typeof fixture>) => ({ ...emitWgsl(bp), planner: lowerToPlanner(bp).planner, select: loadSelection(printSelection(bp)) });
const f32 = (n: number) => new Float32Array(n).fill(0.25);

describe('WebGPU launcher of a select pattern (mocked device)', () => {
  it('dispatches pool, score, top-k and merge before the kernel, and plans each shape once', async () => {
    const { device, log } = mockDevice();
    const att = createAttention(device, kernelOf(fixture('nsa', { topn: 2 })), { headDim: 64 });
    const opts = { batch: 1, heads: 4, kvHeads: 2, qLen: 300, kvLen: 300 };
    await att.run(f32(4 * 300 * 64), f32(2 * 300 * 64), f32(2 * 300 * 64), opts);
    // nQ = 3 (blocks of 128), nK = 5 (blocks of 64); groups = kv heads (per kv_head); kernel query blocks of 64.
    expect(log.dispatches).toEqual([
      [Math.ceil((4 * 3 * 64) / 64), 1, 1], [Math.ceil((2 * 5 * 64) / 64), 1, 1], [1, 1, 1], [3, 2, 1], [1, 1, 1], [5, 4, 1],
    ]);
    expect(log.shaders.filter((s) => s === SELECT_WGSL)).toHaveLength(1);
    const planUploads = log.writes.length;
    await att.run(f32(4 * 300 * 64), f32(2 * 300 * 64), f32(2 * 300 * 64), opts);
    // The second call uploads only the per-call uniforms and tensors, no tables.
    expect(log.writes.length - planUploads).toBeLessThanOrEqual(planUploads - 1);
    expect(log.shaders.filter((s) => s === SELECT_WGSL)).toHaveLength(1);
    // The static part is what `schedule` reports.
    expect(att.schedule(opts).pattern).toBe('nsa_select');
  });

  it('refuses misuse with coded errors', async () => {
    const { device } = mockDevice();
    const seer = kernelOf(fixture('seer'));
    const att = createAttention(device, seer, { headDim: 64 });
    const q = f32(2 * 130 * 64);
    const run = (o: object) => att.run(q, q, q, { batch: 1, heads: 2, qLen: 130, ...o }).then(() => undefined, (e: unknown) => e);
    const missing = await run({});
    expect(missing).toBeInstanceOf(AttentionError);
    expect((missing as AttentionError).code).toBe('bad_input');
    expect((missing as Error).message).toContain('give it as `scores`');
    const short = await run({ scores: new Float32Array(7) });
    expect((short as AttentionError).code).toBe('bad_input');
    expect((short as Error).message).toContain('must hold batch x heads x 3 x 3 = 18 float32 values, got 7');
    expect(await run({ scores: new Float32Array(18) })).toBeUndefined();
    const given = await run({ scores: new Float32Array(18), schedule: att.schedule({ batch: 1, heads: 2, qLen: 130 }) });
    expect((given as AttentionError).code).toBe('bad_input');
    // A kernel of a select pattern without its selection module, and bad values of the clause.
    expect(() => createAttention(device, { ...seer, select: undefined }, { headDim: 64 })).toThrow(AttentionError);
    const maxpool = createAttention(device, kernelOf(fixture('maxpool')), { headDim: 64 });
    const bad = await maxpool.run(q, q, q, { batch: 1, heads: 2, qLen: 130, params: { bq: 0 } }).then(() => undefined, (e: unknown) => e);
    expect(bad).toBeInstanceOf(PlanError);
    expect((bad as PlanError).code).toBe('bad_select');
    // `selection` of a pattern without a select clause.
    const causal = bindText('pattern c() {\n  causal\n}\n');
    const plain = createAttention(device, { ...emitWgsl(causal), planner: lowerToPlanner(causal).planner }, { headDim: 64 });
    const none = await plain.selection(q, q, { batch: 1, heads: 2, qLen: 130 }).then(() => undefined, (e: unknown) => e);
    expect((none as AttentionError).code).toBe('bad_input');
  });

  it('sizes each row of the merged schedule by what the selection can reach, not by the dense grid', () => {
    // MoBA at 64k tokens and 32 heads, 64 x 64 tiles: 2^15 rows of 1024 key blocks would take
    // 128 MiB as dense slots, past the default storage buffer binding; a row lists at most its
    // own block's tiles and 3 selected blocks'.
    const bp = fixture('moba', { block: 512, topk: 3 });
    const k = kernelOf(bp);
    const plan = planSelection(k.select, k.planner, { qLen: 65536, kvLen: 65536, heads: 32, batch: 1, kvHeads: 8, headDim: 64, blockQ: 64, blockKv: 64 });
    const l = plan.layout;
    expect(l.nq * l.nkv * 32).toBe(2 ** 25);
    // Per row: the causal own block (at most 8 tiles) plus 3 blocks of 512 keys (8 tiles, 9 when unaligned).
    expect(l.dyn.size).toBeLessThan(32 * 1024 * (8 + 3 * 9) + 4 * 32 * 1024 + 32 * 128 * 4 + 1);
    expect(l.dyn.size * 4).toBeLessThan(2 ** 27);
  }, 60_000);
});
