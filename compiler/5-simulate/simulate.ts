/**
 * The speedup simulator. From the real schedule of a pattern (planned with the kernel's own
 * block shape), it builds the kernel's work items (one per batch, head and query block, with
 * its FULL and PARTIAL tile counts), prices each with the profile's tile cost model, and
 * list-schedules them over `multiprocessors x itemsPerSm` slots in the kernel's order
 * (longest first for attnc, launch order for FlexAttention-style kernels). The result is the
 * estimated sparse time next to the dense baseline, the tile ideal, and where the gap to the
 * ideal goes: masking (partial tiles), tail (unequal work and wave quantisation), and fixed
 * overheads (per item and per launch), plus the memory floor for very short queries.
 */
import type { BoundPattern } from '../2-check/bind.ts';
import { INPUT_BIT, varBits } from '../ir/mask.ts';
import { inputReads, maskOps } from '../ir/mask-cost.ts';
import { profitableTileSpecialization, type TileSpecialization } from '../ir/tile-uniform.ts';
import { evaluate, type EvalContext } from '../eval/evaluate.ts';

export { inputReads, maskOps };
import { usesDiagonalBand } from '../ir/diagonal.ts';
import type { PlannerModule } from '../../runtime/schedule/planner.ts';
import { gridExtents, MAX_SCHEDULE_TILES, planSchedule, scheduleTiles } from '../../runtime/schedule/plan.ts';
import { tileCandidates } from '../../runtime/schedule/choose-tiles.ts';
import { halfHeightPays, splitsByDefault, splitTiles } from '../../runtime/webgpu/schedule-buffer.ts';
import { chooseTiledTiles, deadBlockGrain, DEFAULT_LIMITS, shortRowTiles } from '../../runtime/webgpu/tiles.ts';
import { deadShares } from './dead-blocks.ts';
import { sharedSchedule, slotEnds } from './sharing.ts';
import { PlanError, type PlanConfig, type TileRequest } from '../../runtime/schedule/types.ts';
import { headDimScale, type GpuProfile, type KernelModel } from './profile.ts';
import { expectedSchedules, selectionUs } from './dynamic.ts';
import type { BoxTiles } from '../../runtime/schedule/types.ts';

/** `strip`, or the query box such as `8x16` (`8x16,16x8` when the key box differs). */
export function tilesText(t: BoxTiles | undefined): string {
  if (!t) return 'strip';
  const q = t.q.shape.join('x'), kv = t.kv.shape.join('x');
  return q === kv ? q : `${q},${kv}`;
}

/** Problem shape. */
export interface SimShape {
  readonly batch: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly qLen: number;
  readonly kvLen: number;
  readonly headDim: number;
  readonly dtypeBytes: number;
  readonly params?: PlanConfig['params'];
  readonly inputs?: PlanConfig['inputs'];
  /**
   * The tiles of the forward schedule (docs/schedule.md, "Box tiles"): strips unless a kernel
   * that takes box tiles is simulated with `auto` or a box. The backward pass plans strips.
   */
  readonly tiles?: TileRequest;
}

/**
 * The kernels whose forward pass takes any box tiles, chosen as the library's `auto` does (the
 * others take strips only, or the boxes their model's `boxes` allows: boxTiles).
 */
export const BOX_TILE_KERNELS: readonly string[] = ['attnc-wgsl'];

/** What `kernel` of `gpu` runs in box tiles: any (BOX_TILE_KERNELS), those of its model's `boxes`, or none. */
export function boxTiles(gpu: GpuProfile, kernel: string): 'any' | KernelModel['boxes'] | undefined {
  if (BOX_TILE_KERNELS.includes(kernel)) return 'any';
  return gpu.kernels[kernel]?.boxes;
}

/** The passes a simulation can price. */
export type SimPass = 'forward' | 'backward' | 'both';

/** Simulation result (times in milliseconds). */
export interface SimResult {
  readonly kernel: string;
  /** Which pass: the forward, the backward (backward.ts), or both added together. */
  readonly pass: SimPass;
  readonly gpu: string;
  readonly calibrated: boolean;
  readonly qLen: number;
  readonly kvLen: number;
  /** The same kernel with every tile FULL. */
  readonly denseMs: number;
  /** The dense baseline of the profile (FlashAttention-2 through SDPA). */
  readonly baselineMs: number;
  readonly sparseMs: number;
  /** denseMs / sparseMs. */
  readonly speedup: number;
  /** baselineMs / sparseMs. */
  readonly speedupVsBaseline: number;
  /** Dense tiles over listed tiles (the kernel's own blocks). */
  readonly idealSpeedup: number;
  readonly fullTiles: number;
  readonly partialTiles: number;
  readonly workItems: number;
  /** The forward schedule's tiles: `strip`, or the query (and key) box such as `8x16`. */
  readonly tiles: string;
  /** Where sparseMs - denseMs / idealSpeedup goes. */
  readonly gap: { readonly tileRateMs: number; readonly maskingMs: number; readonly tailMs: number; readonly overheadMs: number; readonly memoryMs: number };
}

/**
 * For a tile-uniform mask ([Note: Tile-uniform masks] in compiler/ir/tile-uniform.ts), the share
 * of a PARTIAL tile's warps (16 rows each) that take the cheap path: every query atom constant
 * over the warp's rows (clamped into the sequence as the kernel clamps them) and every key atom
 * over the key block. Atoms whose divisor reads an input array count as varying. Memoised per
 * (b, h, block) where an atom depends on b or h, else per block.
 */
export function tileUniformShare(spec: TileSpecialization, shape: SimShape, blockQ: number, blockKv: number): (b: number, h: number, qb: number, kb: number) => number {
  const ctx: EvalContext = { sizes: { qLen: shape.qLen, kvLen: shape.kvLen, heads: shape.heads }, params: shape.params ?? {}, inputs: {} };
  const perHead = spec.atoms.some((a) => varBits(a.expr) & (4 | 8 | INPUT_BIT));
  const uniform = (on: 'q' | 'k', b: number, h: number, lo: number, hi: number) => spec.atoms.every((a) => {
    if (a.on !== on) return true;
    try {
      return evaluate(a.expr, { b, h, q: lo, k: lo }, ctx) === evaluate(a.expr, { b, h, q: hi, k: hi }, ctx);
    } catch {
      return false;
    }
  });
  const qMemo = new Map<string, number>(), kMemo = new Map<string, boolean>();
  return (b, h, qb, kb) => {
    const key = (x: number) => (perHead ? `${b},${h},${x}` : String(x));
    let kOk = kMemo.get(key(kb));
    if (kOk === undefined) {
      kOk = uniform('k', b, h, kb * blockKv, Math.min(kb * blockKv + blockKv, shape.kvLen) - 1);
      kMemo.set(key(kb), kOk);
    }
    if (!kOk) return 0;
    let f = qMemo.get(key(qb));
    if (f === undefined) {
      let n = 0;
      const warps = blockQ / 16;
      for (let w = 0; w < warps; w++) {
        const lo = Math.min(qb * blockQ + 16 * w, shape.qLen - 1), hi = Math.min(qb * blockQ + 16 * w + 15, shape.qLen - 1);
        if (uniform('q', b, h, lo, hi)) n++;
      }
      qMemo.set(key(qb), (f = n / warps));
    }
    return f;
  };
}


/** Most work items (batch x heads x query blocks) one simulation lists. */
export const MAX_SIM_WORK_ITEMS = 1 << 22;

/**
 * Refuses (`PlanError` `bad_size`) a problem whose simulation would be too large: more than
 * `MAX_SIM_WORK_ITEMS` work items, or a schedule past the planner's `MAX_SCHEDULE_TILES`
 * even with one head group. Cheap: nothing is planned.
 */
export function checkSimSize(km: Pick<KernelModel, 'blockQ' | 'blockKv'>, shape: Pick<SimShape, 'batch' | 'heads' | 'qLen' | 'kvLen'> & Partial<Pick<SimShape, 'kvHeads' | 'headDim' | 'dtypeBytes'>>): void {
  // What the kernels are built for: head dims that are multiples of 16 up to 256, 2- or 4-byte
  // elements, whole groups of query heads per key/value head.
  const { headDim, dtypeBytes, kvHeads } = shape;
  if (headDim !== undefined && !(Number.isInteger(headDim) && headDim >= 16 && headDim <= 256 && headDim % 16 === 0)) {
    throw new PlanError('bad_param_value', `head dim ${headDim} is not one the kernels are built for: a multiple of 16 from 16 to 256`);
  }
  if (dtypeBytes !== undefined && dtypeBytes !== 2 && dtypeBytes !== 4) throw new PlanError('bad_param_value', `elements of ${dtypeBytes} bytes: the kernels take 2 (bf16, f16) or 4 (f32)`);
  if (kvHeads !== undefined && !(Number.isInteger(kvHeads) && kvHeads >= 1 && shape.heads % kvHeads === 0)) {
    throw new PlanError('bad_param_value', `${kvHeads} key/value heads do not divide ${shape.heads} query heads`);
  }
  const items = shape.batch * shape.heads * Math.ceil(shape.qLen / km.blockQ);
  if (items > MAX_SIM_WORK_ITEMS) {
    throw new PlanError('bad_size', `the simulation would list ${items} work items (batch ${shape.batch} x heads ${shape.heads} x ${Math.ceil(shape.qLen / km.blockQ)} query blocks); the limit is ${MAX_SIM_WORK_ITEMS}`);
  }
  const tiles = scheduleTiles(1, shape.qLen, shape.kvLen, km.blockQ, km.blockKv);
  if (tiles > MAX_SCHEDULE_TILES) {
    throw new PlanError('bad_size', `the schedule at q_len ${shape.qLen}, kv_len ${shape.kvLen} would have up to ${tiles} tiles per head group; the limit is ${MAX_SCHEDULE_TILES}`);
  }
}

/**
 * Simulates `kernel` on `gpu` for one problem. A kernel whose model has `boxes` (the CUDA
 * Hopper forward, which chooses its tiles at call time by its own time model) is simulated
 * with `auto` as the strip and every box it runs, keeping the fastest.
 */
export function simulate(bp: BoundPattern, planner: PlannerModule, gpu: GpuProfile, kernel: string, shape: SimShape): SimResult {
  const km: KernelModel | undefined = gpu.kernels[kernel];
  if (!km) throw new RangeError(`profile ${gpu.name} has no model for kernel ${kernel} (it has: ${Object.keys(gpu.kernels).join(', ')})`);
  checkSimSize(km, shape);
  const boxes = km.boxes;
  if (boxes && !bp.select && planner.layout && shape.tiles === 'auto') {
    const extents = gridExtents(planner, { qLen: shape.qLen, kvLen: shape.kvLen, heads: shape.heads, blockQ: km.blockQ, blockKv: km.blockKv, params: shape.params });
    let best: SimResult | undefined;
    for (const t of tileCandidates(planner.layout.axes.length, km.blockQ, km.blockKv, extents)) {
      if (t === 'auto') continue;
      if (t !== 'strip' && (t.q[t.q.length - 1] < boxes.minRun || t.kv[t.kv.length - 1] < boxes.minRun)) continue;
      let r: SimResult;
      try {
        r = simulate(bp, planner, gpu, kernel, { ...shape, tiles: t });
      } catch (e) {
        if (t !== 'strip' && e instanceof PlanError && (e.code === 'bad_tile_shape' || e.code === 'bad_size')) continue;
        throw e;
      }
      if (!best || r.sparseMs < best.sparseMs) best = r;
    }
    return best!;
  }
  const cfgAt = (blockQ: number): PlanConfig => ({
    qLen: shape.qLen, kvLen: shape.kvLen, heads: shape.heads, batch: shape.batch,
    blockQ, blockKv: km.blockKv, params: shape.params, inputs: shape.inputs, refineBudget: 4 * blockQ * km.blockKv,
    tiles: (BOX_TILE_KERNELS.includes(kernel) || boxes) && !bp.select ? (shape.tiles ?? 'strip') : 'strip',
  });
  const planAt = (blockQ: number) => schedulesOf(bp, planner, shape)(cfgAt(blockQ));
  let s = planAt(km.blockQ);
  // Half-height tiles where they cover few enough elements, as the runtime chooses them.
  let tileCost = 1;
  if (km.shortRows && !bp.select && (shape.tiles === undefined || shape.tiles === 'auto' || shape.tiles === 'strip')) {
    const half = planAt(km.blockQ / 2);
    if (halfHeightPays(s, half)) {
      s = half;
      tileCost = km.shortRows.tileCost;
    }
  }
  // Box tiles of a kernel that copies a key box per run: each tile pays its runs.
  const boxRunUs = boxes && s.tiles ? boxes.runTiles * km.fullTileUs * headDimScale(km.headDimScale, shape.headDim) * (km.blockKv / s.tiles.kv.shape[s.tiles.kv.shape.length - 1]) : 0;
  // A pattern with `select`: its selection step runs before the kernel (dynamic.ts).
  const selectUs = bp.select ? selectionUs(bp, gpu, shape, km) : 0;
  const f32 = km.f32Scale;
  const dScale = headDimScale(km.headDimScale, shape.headDim) * (shape.dtypeBytes === 4 && f32 ? headDimScale(f32, shape.headDim, f32[String(Math.max(...Object.keys(f32).map(Number)))]) : 1);
  // The chosen tiles' FULL tile, and the tiles this schedule runs.
  const tDenseTile = km.fullTileUs * dScale;
  const tFull = tDenseTile * tileCost;
  const band = km.diagonalBand && usesDiagonalBand(bp);
  const ops = maskOps(bp.mask) * (band ? (km.blockKv + 15) / (16 * km.blockKv) : 1);
  // A dynamic pattern's PARTIAL tiles also read the selected cells: one more input read.
  const tPartial = tFull + tileCost * (km.maskOpUs * ops + (km.inputReadUs ?? 0) * (inputReads(bp.mask) + (bp.select ? 1 : 0)));
  // Tile-uniform masks: a warp whose 16 rows and key block cross no boundary of the mask's
  // coarse coordinates evaluates only the rest of the mask (tileUniformShare).
  const spec = km.tileUniform && !bp.select && !s.tiles && !band ? profitableTileSpecialization(bp.mask) : undefined;
  const tPartialUniform = spec ? tFull + tileCost * (km.maskOpUs * maskOps(spec.mask) + (km.inputReadUs ?? 0) * inputReads(spec.mask)) : tPartial;
  const share = spec ? tileUniformShare(spec, shape, km.blockQ, s.blockKv) : undefined;
  // Dead blocks: the share of each PARTIAL tile's (warp, chunk) blocks that the kernel skips.
  const grain = bp.select ? undefined : wgslDeadBlockGrain(km, shape, s.blockQ !== km.blockQ);
  const dead = grain && km.deadBlocks ? deadShares(planner, s, cfgAt(s.blockQ), grain) : undefined;
  const deadUs = km.deadBlocks ? km.deadBlocks.share * Math.max(0, tFull - km.deadBlocks.keepUs * tileCost) : 0;

  // Work items: (b, h, qBlock) with their costs.
  const nq = s.numQBlocks;
  const rows: { us: number; tiles: number }[] = [];
  let full = 0, partial = 0, work = 0, maskWork = 0;
  for (let b = 0; b < shape.batch; b++) {
    for (let h = 0; h < shape.heads; h++) {
      const gi = s.groupOf[(s.batch > 1 ? b : 0) * s.heads + h], g = s.groups[gi];
      for (let qb = 0; qb < nq; qb++) {
        const nf = g.fullKvRowPtr[qb + 1] - g.fullKvRowPtr[qb];
        const np = g.kvRowPtr[qb + 1] - g.kvRowPtr[qb];
        full += nf;
        partial += np;
        let partialUs = np * tPartial;
        if (dead) {
          const d = dead[gi];
          for (let i = g.kvRowPtr[qb]; i < g.kvRowPtr[qb + 1]; i++) partialUs -= deadUs * d[i];
        } else if (share) {
          partialUs = 0;
          for (let i = g.kvRowPtr[qb]; i < g.kvRowPtr[qb + 1]; i++) {
            const f = share(b, h, qb, g.kvIndices[i]);
            partialUs += f * tPartialUniform + (1 - f) * tPartial;
          }
        }
        const c = nf * tFull + partialUs + (nf + np) * boxRunUs;
        work += c;
        maskWork += partialUs - np * tFull;
        rows.push({ us: c, tiles: nf + np });
      }
    }
  }
  // Split rows: a long row's parts are work items of their own, each a share of its tiles.
  const partTiles = km.splitRows && splitsByDefault(shape.dtypeBytes === 2 ? 'f16' : 'f32', shape.headDim) ? splitTiles(s) : Infinity;
  const costs: number[] = [];
  for (const r of rows) {
    const parts = r.tiles > partTiles ? Math.ceil(r.tiles / partTiles) : 1;
    for (let i = 0; i < parts; i++) costs.push(km.itemUs + r.us / parts);
  }
  if (km.order === 'longest-first') costs.sort((a, b) => b - a);
  const slots = gpu.multiprocessors * km.itemsPerSm;
  const schedule = itemSchedule(gpu, km);
  const makespan = schedule(costs);
  const totalCost = costs.reduce((a, c) => a + c, 0);

  // Memory floor: the compulsory traffic (Q and O once, K and V once per kv head, assuming
  // the L2 cache serves K/V re-reads across query blocks). It matters for short queries.
  const bytes = shape.batch * (2 * shape.heads * shape.qLen + 2 * shape.kvHeads * shape.kvLen) * shape.headDim * shape.dtypeBytes;
  const memoryUs = bytes / (gpu.memoryTBs * 1e6);
  const sparseUs = Math.max(makespan, memoryUs) + km.launchUs + selectUs;

  const flops = 4 * shape.batch * shape.heads * shape.qLen * shape.kvLen * shape.headDim;
  const baselineUs = flops / (gpu.denseTflops * 1e6);
  // Dense is counted in strips whatever the schedule's tiles (box grids have padding boxes).
  const nqDense = Math.ceil(shape.qLen / km.blockQ), nkvDense = Math.ceil(shape.kvLen / km.blockKv);
  const totalTiles = nqDense * nkvDense * shape.batch * shape.heads;
  // The same kernel run dense: every item has every key block as a FULL tile.
  const denseItem = km.itemUs + nkvDense * tDenseTile;
  const denseUs = schedule(new Array(nqDense * shape.batch * shape.heads).fill(denseItem)) + km.launchUs;
  // In elements: half-height tiles count half.
  const ideal = full + partial === 0 ? Infinity : (totalTiles * km.blockQ) / ((full + partial) * s.blockQ);
  const idealUs = (denseUs - km.launchUs) / ideal;
  const evenUs = totalCost / slots;
  return toResult(kernel, 'forward', gpu, shape, {
    denseUs, baselineUs, sparseUs, ideal, full, partial, workItems: costs.length, tiles: tilesText(s.tiles),
    gapUs: {
      tileRate: (work - maskWork) / slots - idealUs,  // vs the dense kernel's rate
      masking: maskWork / slots,
      tail: Math.max(0, makespan - evenUs),
      overhead: km.itemUs * costs.length / slots + km.launchUs + selectUs,
      memory: Math.max(0, memoryUs - makespan),
    },
  });
}

/** The makespan of work items (in start order) on `gpu` as `km` runs them: the list schedule, or shared multiprocessors (sharing.ts). */
export function itemSchedule(gpu: GpuProfile, km: KernelModel): (costs: readonly number[]) => number {
  const slots = gpu.multiprocessors * km.itemsPerSm;
  return (c) => (km.aloneSpeed ? sharedSchedule(c, gpu.multiprocessors, km.itemsPerSm, km.aloneSpeed) : listSchedule(c, slots));
}

/**
 * The (warp, chunk) block that the WebGPU kernel skips where it is dead ([Note: Dead blocks in
 * the model] in dead-blocks.ts), for a model with `deadBlocks`: of the tiles the runtime
 * chooses on the model's adapter for this head dim and dtype, or its half-height tiles.
 * Undefined where the kernel has no such tiles.
 */
export function wgslDeadBlockGrain(km: KernelModel, shape: Pick<SimShape, 'headDim' | 'dtypeBytes'>, half: boolean): { rows: number; keys: number } | undefined {
  const d = km.deadBlocks;
  if (!d) return undefined;
  const limits = { ...DEFAULT_LIMITS, maxComputeWorkgroupStorageSize: d.workgroupBytes, maxComputeInvocationsPerWorkgroup: d.invocations, maxComputeWorkgroupSizeX: d.invocations };
  try {
    const t = chooseTiledTiles(limits, shape.headDim, shape.dtypeBytes === 4 ? 'f32' : 'f16', {}, d.warp);
    const run = t && half ? shortRowTiles(limits, t, {}, d.warp) : t;
    return run && run.blockQ === (half ? km.blockQ / 2 : km.blockQ) && run.blockKv === km.blockKv ? deadBlockGrain(run, d.warp) : undefined;
  } catch (e) {
    if (e instanceof RangeError) return undefined;  // a head dim the kernel is not built for
    throw e;
  }
}

/**
 * The schedules a simulation prices: the pattern's own (cached), or for a pattern with a
 * `select` clause the expected schedule of a call (dynamic.ts).
 */
export function schedulesOf(bp: BoundPattern, planner: PlannerModule, shape: Pick<SimShape, 'kvHeads' | 'headDim'>): (cfg: PlanConfig) => ReturnType<typeof planSchedule> {
  return bp.select ? expectedSchedules(bp, shape) : (cfg) => cachedPlan(planner, cfg);
}

/** One simulated pass in microseconds, with its tiles and work items: what a SimResult is made of. */
export interface PassTimes {
  readonly denseUs: number;
  readonly baselineUs: number;
  readonly sparseUs: number;
  readonly ideal: number;
  readonly full: number;
  readonly partial: number;
  readonly workItems: number;
  readonly tiles: string;
  readonly gapUs: { readonly tileRate: number; readonly masking: number; readonly tail: number; readonly overhead: number; readonly memory: number };
}

/** The result of simulating `pass` (times in milliseconds, ratios derived). */
export function toResult(kernel: string, pass: SimPass, gpu: GpuProfile, shape: SimShape, t: PassTimes): SimResult {
  const g = t.gapUs;
  return {
    kernel,
    pass,
    gpu: gpu.name,
    calibrated: gpu.calibrated,
    qLen: shape.qLen,
    kvLen: shape.kvLen,
    denseMs: t.denseUs / 1e3,
    baselineMs: t.baselineUs / 1e3,
    sparseMs: t.sparseUs / 1e3,
    speedup: t.denseUs / t.sparseUs,
    speedupVsBaseline: t.baselineUs / t.sparseUs,
    idealSpeedup: t.ideal,
    fullTiles: t.full,
    partialTiles: t.partial,
    workItems: t.workItems,
    tiles: t.tiles,
    gap: { tileRateMs: g.tileRate / 1e3, maskingMs: g.masking / 1e3, tailMs: g.tail / 1e3, overheadMs: g.overhead / 1e3, memoryMs: g.memory / 1e3 },
  };
}

/**
 * Schedules depend only on the planner and the problem, not on the cost constants, so
 * repeated simulations (sweeps, calibration) plan each problem once.
 */
const plans = new WeakMap<PlannerModule, Map<string, ReturnType<typeof planSchedule>>>();
export function cachedPlan(planner: PlannerModule, cfg: PlanConfig): ReturnType<typeof planSchedule> {
  let m = plans.get(planner);
  if (!m) plans.set(planner, (m = new Map()));
  const inputs = Object.entries(cfg.inputs ?? {}).map(([k, v]) => `${k}:${v.length}:${hashArray(v)}`).join(',');
  const key = JSON.stringify({ ...cfg, inputs });
  let s = m.get(key);
  if (!s) m.set(key, (s = planSchedule(planner, cfg)));
  return s;
}

function hashArray(a: ArrayLike<number>): number {
  let h = 2166136261;
  for (let i = 0; i < a.length; i++) h = Math.imul(h ^ a[i], 16777619) >>> 0;
  return h;
}

/** Greedy list scheduling: each item goes to the slot that frees first. Returns the makespan. */
export function listSchedule(costs: readonly number[], slots: number): number {
  let end = 0;
  for (const x of slotEnds(costs, slots).end) end = Math.max(end, x);
  return end;
}
