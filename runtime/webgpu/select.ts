/**
 * The host half of data-dependent selection on WebGPU (`select` clauses; `docs/language.md`,
 * "Data-dependent selection"). Once per shape it plans, as every backend does, the static
 * part S = A && R and the restriction R at the kernel's tiles and the candidates C = R && !A
 * at the clause's blocks, and uploads them as tables (`planSelection`). Per call it encodes
 * the selection shaders of `select-wgsl.ts` (pool, score, top-k, merge) before the attention
 * kernel, on the GPU: q and k are never read back. The kernel then reads the merged schedule
 * and, in PARTIAL tiles, the selected cells from the same buffer.
 *
 * Browser-safe: no Node.js modules.
 */
import * as ops from '../schedule/ops.ts';
import { planSchedule, validateParams } from '../schedule/plan.ts';
import type { PlannerModule, PlannerSizes } from '../schedule/planner.ts';
import { blockCandidates } from '../schedule/select-candidates.ts';
import { tileStates } from '../schedule/select-merge.ts';
import { selectionBlocks, validateSelection, type PoolScore, type SelectionShape } from '../schedule/select-scores.ts';
import type { PlanConfig, Schedule } from '../schedule/types.ts';
import { BufferUsage, SHADER_STAGE_COMPUTE, type GpuBindGroupLayout, type GpuBuffer, type GpuCommandEncoder, type GpuComputePipeline, type GpuDevice } from './gpu.ts';
import { AttentionError, formatShaderMessages } from './pipeline.ts';
import { ROW_WORDS, SCORE_KIND, SELECT_ENTRY_POINTS, SELECT_UNIFORMS, SELECT_WG, SELECT_WGSL } from './select-wgsl.ts';

/** The clause's count and block sizes for one call. */
export interface SelectionValues {
  readonly k: number;
  readonly blockQ: number;
  readonly blockKv: number;
}

/**
 * The host half of a pattern's `select` clause, as `compiler/4-emit/planner/print-selection.ts`
 * prints it: the planners of R and C, the score and the clause's values.
 */
export interface SelectionModule {
  readonly score: PoolScore;
  readonly perKvHead: boolean;
  readonly restriction: PlannerModule;
  readonly candidates: PlannerModule;
  values(sizes: PlannerSizes, params: Record<string, number | boolean>): SelectionValues;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
/** A printed selection module as the type checker sees its untyped JavaScript (generated bindings embed it). */
export interface EmbeddedSelection {
  readonly score: { readonly kind: string; readonly kPool?: string; readonly name?: string };
  readonly perKvHead: boolean;
  readonly restriction: any;
  readonly candidates: any;
  values(sizes: PlannerSizes, params: any): { k: any; blockQ: any; blockKv: any };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Accepts an embedded selection module as the `SelectionModule` the runtime takes. */
export const asSelectionModule = (s: EmbeddedSelection): SelectionModule => s as SelectionModule;

/** Instantiates a selection module from printed source (the body of `function (rt) { ... }`). */
export function loadSelection(source: string): SelectionModule {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('rt', source)(ops) as SelectionModule;
}

/** Where things are in the three buffers of a shape (u32 word offsets), and the sizes. */
export interface SelectionLayout {
  readonly shape: SelectionShape;
  readonly values: SelectionValues;
  readonly headDim: number;
  readonly nQ: number;
  readonly nK: number;
  /** u32 words per row of cell bits: ceil(nK / 32). */
  readonly words: number;
  /** The kernel's query and key blocks. */
  readonly nq: number;
  readonly nkv: number;
  readonly groups: number;
  readonly work: { readonly qbar: number; readonly ka: number; readonly kb: number; readonly scores: number; readonly keys: number; readonly size: number };
  /** rowSlot: per row (b, h, kernel query block) the start of its slot, prefix sums (rows + 1 words). */
  readonly plan: { readonly sGroup: number; readonly rGroup: number; readonly sTab: number; readonly rTab: number; readonly cBits: number; readonly rowSlot: number; readonly size: number };
  readonly dyn: { readonly cells: number; readonly slots: number; readonly size: number };
}

/** One shape's plan: the static part's schedule, the layout and the plan's words. */
export interface SelectionPlan {
  readonly layout: SelectionLayout;
  /** The static part S = A && R at the kernel's tiles (what every call attends to). */
  readonly static: Schedule;
  readonly restriction: Schedule;
  readonly planWords: Uint32Array;
}

/** The sizes of one call. */
export interface SelectionCall extends PlanConfig {
  readonly batch: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

/** Packs 2-bit tile states (per group [nq][nkv]) into words. */
function packStates(states: readonly Uint8Array[], into: Uint32Array, at: number): void {
  states.forEach((st, gi) => {
    for (let t = 0; t < st.length; t++) {
      const idx = gi * st.length + t;
      into[at + (idx >>> 4)] |= st[t] << ((idx & 15) * 2);
    }
  });
}

/** Non-EMPTY tiles per query block of every group's states. */
function rowCounts(states: readonly Uint8Array[], nq: number, nkv: number): Int32Array[] {
  return states.map((st) => {
    const out = new Int32Array(nq);
    for (let t = 0; t < st.length; t++) if (st[t]) out[Math.floor(t / nkv)]++;
    return out;
  });
}

/**
 * Plans the selection of one shape on the host (once per shape; cached by the caller).
 * Throws `PlanError` for bad values or sizes (`bad_select`, `bad_size`, ...).
 */
export function planSelection(sel: SelectionModule, staticPlanner: PlannerModule, call: SelectionCall): SelectionPlan {
  const params = validateParams(staticPlanner, call);
  const sizes = { qLen: call.qLen, kvLen: call.kvLen, heads: call.heads };
  const values = sel.values(sizes, params);
  const shape: SelectionShape = { batch: call.batch, heads: call.heads, kvHeads: call.kvHeads, qLen: call.qLen, kvLen: call.kvLen, blockQ: values.blockQ, blockKv: values.blockKv };
  validateSelection(shape, values.k);
  const stat = planSchedule(staticPlanner, call);
  const restriction = planSchedule(sel.restriction, call);
  const cand = blockCandidates(sel.candidates, shape, params, call.inputs ?? {});
  const { nQ, nK } = selectionBlocks(shape);
  const words = Math.ceil(nK / 32);
  const bh = call.batch * call.heads, bkv = call.batch * call.kvHeads, d = call.headDim;
  const nq = stat.numQBlocks, nkv = stat.numKvBlocks;
  const groups = sel.perKvHead ? bkv : bh;
  const tableWords = (s: Schedule) => Math.ceil((s.groups.length * nq * nkv) / 16);
  const rows = bh * nq;
  let at = 0;
  const take = (n: number) => ((at += n), at - n);
  const plan = { sGroup: take(bh), rGroup: take(bh), sTab: take(tableWords(stat)), rTab: take(tableWords(restriction)), cBits: take(bh * nQ * words), rowSlot: take(rows + 1), size: 0 };
  plan.size = at;
  at = 0;
  const pooled = sel.score.kind !== 'input';
  const work = { qbar: take(pooled ? bh * nQ * d : 0), ka: take(pooled ? bkv * nK * d : 0), kb: take(sel.score.kind === 'bound' ? bkv * nK * d : 0), scores: take(bh * nQ * nK), keys: take(groups * nQ * nK), size: 0 };
  work.size = at;
  at = 0;
  const planWords = new Uint32Array(Math.max(plan.size, 1));
  for (let b = 0; b < call.batch; b++) {
    for (let h = 0; h < call.heads; h++) {
      planWords[plan.sGroup + b * call.heads + h] = stat.groupOf[(stat.batch > 1 ? b : 0) * call.heads + h];
      planWords[plan.rGroup + b * call.heads + h] = restriction.groupOf[(restriction.batch > 1 ? b : 0) * call.heads + h];
    }
  }
  const sStates = stat.groups.map((g) => tileStates(stat, g)), rStates = restriction.groups.map((g) => tileStates(restriction, g));
  packStates(sStates, planWords, plan.sTab);
  packStates(rStates, planWords, plan.rTab);
  // Each row's slot holds the tiles it can list: a merged tile is non-EMPTY only where R's is,
  // and differs from S's only where it overlaps a selected cell; each of the row's selection
  // rows selects at most min(K, nK) cells, each overlapping at most `span` kernel key blocks.
  const sRows = rowCounts(sStates, nq, nkv), rRows = rowCounts(rStates, nq, nkv);
  const span = Math.min(nkv, Math.floor((values.blockKv - 1) / call.blockKv) + 2);
  const perCellRow = Math.min(values.k, nK) * span;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const qb = r % nq, bhIdx = Math.floor(r / nq);
    const i0 = Math.floor((qb * call.blockQ) / values.blockQ), i1 = Math.floor((Math.min(call.qLen, (qb + 1) * call.blockQ) - 1) / values.blockQ);
    const sn = sRows[planWords[plan.sGroup + bhIdx]][qb], rn = rRows[planWords[plan.rGroup + bhIdx]][qb];
    planWords[plan.rowSlot + r] = total;
    total += Math.min(rn, sn + (i1 - i0 + 1) * perCellRow);
  }
  planWords[plan.rowSlot + rows] = total;
  at = 0;
  take(ROW_WORDS * rows);
  const dyn = { slots: take(total), cells: take(bh * nQ * words), size: 0 };
  dyn.size = at;
  for (let row = 0; row < bh * nQ; row++) {
    for (let j = 0; j < nK; j++) if (cand[row * nK + j]) planWords[plan.cBits + row * words + (j >>> 5)] |= 1 << (j & 31);
  }
  return { layout: { shape, values, headDim: d, nQ, nK, words, nq, nkv, groups, work, plan, dyn }, static: stat, restriction, planWords };
}

/** The selection pipelines of a device. */
export interface SelectionPipelines {
  readonly layout: GpuBindGroupLayout;
  readonly pipelines: Readonly<Record<(typeof SELECT_ENTRY_POINTS)[number], GpuComputePipeline>>;
}

/** Compiles the selection shaders; throws `AttentionError('shader_error')` with the lines shown. */
export async function compileSelection(device: GpuDevice): Promise<SelectionPipelines> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: SELECT_WGSL, label: 'attnc selection' });
  const info = module.getCompilationInfo ? await module.getCompilationInfo() : { messages: [] };
  const errors = info.messages.filter((m) => m.type === 'error');
  const storage = (binding: number, write: boolean) => ({ binding, visibility: SHADER_STAGE_COMPUTE, buffer: { type: write ? ('storage' as const) : ('read-only-storage' as const) } });
  const layout = device.createBindGroupLayout({
    label: 'attnc selection',
    entries: [{ binding: 0, visibility: SHADER_STAGE_COMPUTE, buffer: { type: 'uniform' } }, storage(1, false), storage(2, false), storage(3, false), storage(4, true), storage(5, true), storage(6, false)],
  });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const pipelines = errors.length ? undefined : Object.fromEntries(SELECT_ENTRY_POINTS.map((e) => [e, device.createComputePipeline({ label: `attnc selection ${e}`, layout: pipelineLayout, compute: { module, entryPoint: e } })]));
  const scoped = await device.popErrorScope();
  if (errors.length || scoped || !pipelines) {
    throw new AttentionError('shader_error', `the WGSL selection shaders do not compile:\n${formatShaderMessages(SELECT_WGSL, errors, scoped?.message ?? '')}`);
  }
  return { layout, pipelines: pipelines as SelectionPipelines['pipelines'] };
}

/** Checks the buffers of a layout against the device's limits (`bad_size`). */
export function checkSelectionLimits(device: GpuDevice, l: SelectionLayout): void {
  const max = device.limits.maxStorageBufferBindingSize;
  for (const [what, words] of [['selection tables', l.plan.size], ['selection workspace', l.work.size], ['merged schedule', l.dyn.size]] as const) {
    if (words * 4 > max) throw new AttentionError('bad_size', `the ${what} of this call need ${words * 4} bytes, more than the device's ${max}-byte storage buffers`);
  }
  const dim = device.limits.maxComputeWorkgroupsPerDimension;
  if (l.nQ > dim || l.groups > dim) throw new AttentionError('bad_size', `the selection's ${l.nQ} query blocks x ${l.groups} groups exceed the device's ${dim} workgroups per dimension`);
}

/** The selection uniforms of a call. */
export function selectionUniforms(l: SelectionLayout, score: PoolScore, perKvHead: boolean, half: boolean, tiles: { blockQ: number; blockKv: number }): Uint8Array {
  const s = l.shape;
  const kind = score.kind === 'input' ? SCORE_KIND.input : score.kind === 'bound' ? SCORE_KIND.bound : score.kPool === 'max' ? SCORE_KIND.max : SCORE_KIND.mean;
  const v: Record<(typeof SELECT_UNIFORMS)[number], number> = {
    batch: s.batch, heads: s.heads, kv_heads: s.kvHeads, q_len: s.qLen, kv_len: s.kvLen, d: l.headDim, bq: s.blockQ, bk: s.blockKv,
    nQ: l.nQ, nK: l.nK, words: l.words, topk: Math.min(l.values.k, 2 ** 32 - 1), kind, per_kv: perKvHead ? 1 : 0, half: half ? 1 : 0, p_rowslot: l.plan.rowSlot,
    w_qbar: l.work.qbar, w_ka: l.work.ka, w_kb: l.work.kb, w_scores: l.work.scores, w_keys: l.work.keys,
    p_sgroup: l.plan.sGroup, p_rgroup: l.plan.rGroup, p_stab: l.plan.sTab, p_rtab: l.plan.rTab, p_cbits: l.plan.cBits,
    d_cells: l.dyn.cells, d_slots: l.dyn.slots, nq: l.nq, nkv: l.nkv, block_q: tiles.blockQ, block_kv: tiles.blockKv,
  };
  const out = new Uint32Array(SELECT_UNIFORMS.length);
  SELECT_UNIFORMS.forEach((n, i) => { out[i] = v[n]; });
  return new Uint8Array(out.buffer);
}

/** `n` one-thread items as a 2-D grid of SELECT_WG-thread workgroups. */
function grid(n: number, dim: number): [number, number] {
  const wgs = Math.ceil(n / SELECT_WG);
  const x = Math.min(wgs, dim);
  return [x, Math.ceil(wgs / Math.max(x, 1))];
}

/** The buffers one call's selection passes bind. */
export interface SelectionBuffers {
  readonly uniforms: GpuBuffer;
  readonly q: GpuBuffer;
  readonly k: GpuBuffer;
  readonly plan: GpuBuffer;
  readonly work: GpuBuffer;
  readonly dyn: GpuBuffer;
  /** The score input (`[batch, heads, nQ, nK]` f32), or any buffer when the score is pooled. */
  readonly gate: GpuBuffer;
}

/** Encodes the selection and the merged schedule of one call (each pass its own compute pass). */
export function encodeSelection(device: GpuDevice, enc: GpuCommandEncoder, p: SelectionPipelines, l: SelectionLayout, score: PoolScore, b: SelectionBuffers): void {
  const group = device.createBindGroup({
    layout: p.layout,
    entries: [b.uniforms, b.q, b.k, b.plan, b.work, b.dyn, b.gate].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const dim = device.limits.maxComputeWorkgroupsPerDimension;
  const s = l.shape, d = l.headDim;
  const passes: [GpuComputePipeline, number, number][] = [];
  const items = (e: (typeof SELECT_ENTRY_POINTS)[number], n: number) => { if (n > 0) passes.push([p.pipelines[e], ...grid(n, dim)]); };
  if (score.kind !== 'input') {
    items('pool_q', s.batch * s.heads * l.nQ * d);
    items('pool_k', s.batch * s.kvHeads * l.nK * d);
  }
  items('score', s.batch * s.heads * l.nQ * l.nK);
  if (l.nQ > 0 && l.groups > 0) passes.push([p.pipelines.topk, l.nQ, l.groups]);
  items('merge', s.batch * s.heads * l.nq);
  for (const [pipeline, x, y] of passes) {
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(x, y, 1);
    pass.end();
  }
}

/** The merged tile states (0 EMPTY, 1 PARTIAL, 2 FULL) `[batch * heads][nq][nkv]` from the counts and slots read back. */
export function statesFromSlots(l: SelectionLayout, dyn: Uint32Array): Uint8Array {
  const rows = l.shape.batch * l.shape.heads * l.nq;
  const out = new Uint8Array(rows * l.nkv);
  for (let r = 0; r < rows; r++) {
    const [nf, np, slot, cap] = dyn.subarray(ROW_WORDS * r, ROW_WORDS * (r + 1));
    if (nf + np > cap) throw new AttentionError('bad_size', `the merged schedule's row ${r} lists ${nf + np} tiles in a slot of ${cap}`);
    for (let i = 0; i < nf; i++) out[r * l.nkv + dyn[slot + i]] = 2;
    for (let i = 0; i < np; i++) out[r * l.nkv + dyn[slot + cap - 1 - i]] = 1;
  }
  return out;
}

/** The selected cells `[batch, heads, nQ, nK]` (1 selected) from the cell bits read back. */
export function cellsFromBits(l: SelectionLayout, dyn: Uint32Array): Uint8Array {
  const rows = l.shape.batch * l.shape.heads * l.nQ;
  const out = new Uint8Array(rows * l.nK);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < l.nK; j++) out[r * l.nK + j] = (dyn[l.dyn.cells + r * l.words + (j >>> 5)] >>> (j & 31)) & 1;
  }
  return out;
}

/** A score input given by the caller: checked against the call's selection blocks. */
export function checkScoreInput(l: SelectionLayout, name: string, given: GpuBuffer | Float32Array | undefined): void {
  const n = l.shape.batch * l.shape.heads * l.nQ * l.nK;
  if (!given) throw new AttentionError('bad_input', `the pattern scores blocks by its input \`${name}\`: give it as \`scores\` (float32 [batch, heads, q_blocks, kv_blocks] = ${n} values)`);
  const bytes = ArrayBuffer.isView(given) ? given.byteLength : given.size;
  if (ArrayBuffer.isView(given) ? given.length !== n : bytes < n * 4) {
    throw new AttentionError('bad_input', `the score input \`${name}\` must hold batch x heads x ${l.nQ} x ${l.nK} = ${n} float32 values, got ${ArrayBuffer.isView(given) ? given.length : `${bytes} bytes`}`);
  }
}

/** Usage of the selection's buffers. */
export const SELECT_BUFFER_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
