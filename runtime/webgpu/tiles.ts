/**
 * Tile shapes for the WGSL attention kernel, chosen from a device's limits, and the WGSL
 * header that specialises the kernel body to them. The kernel body (emitted once per
 * pattern) only names the constants declared here, so one body serves every head dim,
 * dtype and device.
 *
 * Workgroup memory per workgroup (bytes), `es` = 4 for f32 and 2 for f16 tensors:
 *   K and V chunk tiles  2 * KV_CHUNK * (HEAD_DIM / 4 + 1) * 4 * es   (rows padded by one vec4)
 *   score tile           BLOCK_Q * (KV_CHUNK + 1) * 4
 * Invocations per workgroup: BLOCK_Q * LANES (LANES threads share a query row).
 */
import { selectSections } from './sections.ts';
import { unrollLoops } from './unroll.ts';
import type { GpuLimits } from './gpu.ts';

/** Tensor element type. */
export type Dtype = 'f32' | 'f16';

/**
 * Which WGSL kernel runs: `tiled` (templates/wgsl/attention-tiled.wgsl.hbs, the default where
 * its tiles fit: each invocation owns a register tile of ROWS query rows) or `simple`
 * (attention.wgsl.hbs: LANES threads per query row).
 */
export type KernelVariant = 'simple' | 'tiled';

/** One kernel specialisation. Recorded with every run so a benchmark says what it measured. */
export interface TileConfig {
  readonly dtype: Dtype;
  readonly headDim: number;
  /** Query rows per workgroup; also the schedule's query block. */
  readonly blockQ: number;
  /** The schedule's key block. */
  readonly blockKv: number;
  /** Keys staged in workgroup memory at a time (divides blockKv). */
  readonly kvChunk: number;
  /** Threads per query row; each owns headDim / lanes output columns. */
  readonly lanes: number;
  readonly workgroupSize: number;
  readonly workgroupBytes: number;
  /** Present for the register-tiled kernel only (absent: the simple kernel). */
  readonly kernel?: 'tiled';
  /** Tiled kernel: query rows per invocation (its register tile); `lanes` invocations share them. */
  readonly rows?: number;
  /**
   * Tiled kernel with f16 tensors: `f32` stages K and V in workgroup memory as f32, converted
   * once when a chunk is stored instead of at each of the BLOCK_Q / ROWS reads of every
   * element (twice the memory); absent: staged in the tensor dtype.
   */
  readonly stage?: 'f32';
  /**
   * Tiled kernel: the LANES invocations of a row group reduce each row's max and sum with
   * subgroup shuffles (WGSL `subgroups`) instead of through workgroup memory and a barrier.
   * Chosen only on a device that has the `subgroups` feature and reports a minimum subgroup
   * size of at least `lanes` (`chooseTiledTiles`); absent: workgroup memory.
   */
  readonly subgroups?: true;
  /**
   * Tiled kernel with f16 tensors staged in f16: `f16` computes the products of S = Q K^T and
   * O += P V in f16 (vec2<f16> and vec4<f16> multiply-adds over short runs, each run's sum
   * added to an f32 accumulator; [Note: f16 arithmetic] in attention-tiled.wgsl.hbs); absent:
   * f32 arithmetic throughout.
   */
  readonly math?: 'f16';
}

/** What `chooseTiledTiles` may fix by hand. */
export type TiledOverride = Partial<Pick<TileConfig, 'blockQ' | 'blockKv' | 'kvChunk' | 'lanes' | 'rows' | 'stage'>> & {
  /** `f32`: f32 arithmetic even where f16 arithmetic applies; `f16`: f16 arithmetic where it can (f16 tensors staged in f16). */
  readonly math?: 'f16' | 'f32';
  /** `false`: never use subgroup reductions, even where the device could. */
  readonly subgroups?: boolean;
  /**
   * Half-height tiles ([Note: Short rows] in attention.ts): `false` keeps the chosen tiles
   * even where half-height ones would cover far fewer elements; `true` takes them on a
   * fallback (CPU) adapter as well, where by default they are off.
   */
  readonly shortRows?: boolean;
  /**
   * Split rows ([Note: Split rows] in schedule-buffer.ts): rows of more than this many tiles
   * run as parts of at most this many, merged by a combine pass; `false`: no row is split.
   * By default twice a row's mean tile count, and at least 16, with f16 tensors at head dims up
   * to 64 (where it was measured to pay; `splitsByDefault` in schedule-buffer.ts), and no split elsewhere.
   */
  readonly splitTiles?: number | false;
};

/** WebGPU's default limits: what every device grants. */
export const DEFAULT_LIMITS: GpuLimits = {
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxStorageBuffersPerShaderStage: 8,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBufferBindingSize: 134217728,
};

/**
 * Head dims the kernel supports: the multiples of 16 from 16 to 256 (each of the 4 lanes of a
 * query row owns whole vec4 column groups), as the CUDA kernels.
 */
export const HEAD_DIMS: readonly number[] = Array.from({ length: 16 }, (_, i) => 16 * (i + 1));

/** Workgroup bytes of a specialisation. */
export function workgroupBytes(dtype: Dtype, headDim: number, blockQ: number, kvChunk: number): number {
  const es = dtype === 'f16' ? 2 : 4;
  return 2 * kvChunk * (headDim / 4 + 1) * 4 * es + blockQ * (kvChunk + 1) * 4;
}

/**
 * Picks tiles for `limits`: 64 query rows per workgroup with 4 lanes each (256 invocations,
 * fewer rows when the device grants fewer), key blocks of 64, and the largest key chunk
 * (up to 64) whose tiles fit the workgroup memory. `override` fixes any field by hand.
 */
export function chooseTiles(limits: GpuLimits, headDim: number, dtype: Dtype, override: Partial<Pick<TileConfig, 'blockQ' | 'blockKv' | 'kvChunk' | 'lanes'>> = {}): TileConfig {
  if (!HEAD_DIMS.includes(headDim)) throw new RangeError(`head dim ${headDim} is not supported (use a multiple of 16 from 16 to 256)`);
  const maxThreads = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  const lanes = override.lanes ?? 4;
  let blockQ = override.blockQ ?? 64;
  while (override.blockQ === undefined && blockQ * lanes > maxThreads && blockQ > 16) blockQ /= 2;
  const blockKv = override.blockKv ?? 64;
  let kvChunk = override.kvChunk ?? Math.min(64, blockKv);
  while (override.kvChunk === undefined && kvChunk > lanes && workgroupBytes(dtype, headDim, blockQ, kvChunk) > limits.maxComputeWorkgroupStorageSize) kvChunk /= 2;
  const t: TileConfig = { dtype, headDim, blockQ, blockKv, kvChunk, lanes, workgroupSize: blockQ * lanes, workgroupBytes: workgroupBytes(dtype, headDim, blockQ, kvChunk) };
  checkTiles(t, limits);
  return t;
}

/**
 * Workgroup bytes of a tiled-kernel specialisation: the Q tile (blockQ rows) and the K and V
 * chunk tiles in the tensor dtype, rows padded by one vec4; the probability tile
 * blockQ x (kvChunk + 1) f32; one reduction word per (row, lane), unless the reductions use
 * subgroups.
 */
export function tiledWorkgroupBytes(dtype: Dtype, headDim: number, blockQ: number, kvChunk: number, lanes: number, stage?: 'f32', subgroups = false, math?: 'f16'): number {
  const es = dtype === 'f16' ? 2 : 4, ks = stage === 'f32' ? 4 : es, ps = math === 'f16' ? 2 : 4;
  return (blockQ * es + 2 * kvChunk * ks) * (headDim / 4 + 1) * 4 + blockQ * (kvChunk + 1) * ps + (subgroups ? 0 : blockQ * lanes * 4);
}

/**
 * The smallest subgroup size of a device (`device.adapterInfo.subgroupMinSize`) when the
 * device has the `subgroups` feature (it was requested with it); undefined otherwise, or when
 * the device reports no size: then subgroup reductions are not used.
 */
export function subgroupMinSize(device: { readonly features: { has(name: string): boolean }; readonly adapterInfo?: { readonly subgroupMinSize?: number } }): number | undefined {
  if (!device.features.has('subgroups')) return undefined;
  const min = device.adapterInfo?.subgroupMinSize;
  return typeof min === 'number' && Number.isInteger(min) && min > 0 ? min : undefined;
}

/**
 * Tiles of the register-tiled kernel for `limits`: ROWS = 4 query rows per invocation (2 with
 * f16 arithmetic where a lane owns more than 2 output vec4s), LANES
 * = the largest power of two up to 8 dividing headDim / 4 (each lane owns headDim / 4 / LANES
 * output vec4s and kvChunk / LANES keys of the score tile), key blocks of 64; then the
 * largest blockQ (64, 32, 16) and kvChunk (64, with f16 arithmetic 4 x LANES, down to LANES) whose tiles fit the workgroup
 * memory, preferring the larger blockQ. Undefined when nothing fits (head dim 256 in f32 at
 * the default 16 KB): the caller runs the simple kernel. `override` fixes fields by hand.
 * `subgroupSize` is the device's minimum subgroup size (`subgroupMinSize`), given only when
 * the device has the `subgroups` feature: where it is at least LANES (and the override does
 * not say `subgroups: false`) the row reductions use subgroup shuffles (`TileConfig.subgroups`),
 * which also frees the workgroup memory of their words.
 */
export function chooseTiledTiles(limits: GpuLimits, headDim: number, dtype: Dtype, override: TiledOverride = {}, subgroupSize?: number): TileConfig | undefined {
  if (!HEAD_DIMS.includes(headDim)) throw new RangeError(`head dim ${headDim} is not supported (use a multiple of 16 from 16 to 256)`);
  const maxThreads = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  let lanes = override.lanes ?? 8;
  while (override.lanes === undefined && (headDim / 4) % lanes !== 0) lanes /= 2;
  const stage = dtype === 'f16' ? override.stage : undefined;
  // f16 arithmetic by default wherever it applies.
  const math = dtype === 'f16' && stage === undefined && override.math !== 'f32' ? 'f16' as const : undefined;
  const rows = override.rows ?? (math && headDim / 4 / lanes > F16_MATH_ACC ? 2 : 4);
  const blockKv = override.blockKv ?? 64;
  const subgroups = override.subgroups !== false && subgroupSize !== undefined && subgroupSize >= lanes;
  for (const blockQ of override.blockQ !== undefined ? [override.blockQ] : [64, 32, 16]) {
    if ((blockQ / rows) * lanes > maxThreads) continue;
    for (let kvChunk = override.kvChunk ?? Math.min(math ? F16_MATH_KC * lanes : 64, blockKv); kvChunk >= lanes; kvChunk /= 2) {
      const t: TileConfig = {
        dtype, headDim, blockQ, blockKv, kvChunk, lanes, workgroupSize: (blockQ / rows) * lanes, workgroupBytes: tiledWorkgroupBytes(dtype, headDim, blockQ, kvChunk, lanes, stage, subgroups, math),
        kernel: 'tiled', rows, ...(stage ? { stage } : {}), ...(subgroups ? { subgroups: true as const } : {}), ...(math ? { math } : {}),
      };
      if (t.workgroupBytes <= limits.maxComputeWorkgroupStorageSize) {
        checkTiles(t, limits);
        return t;
      }
      if (override.kvChunk !== undefined) break;
    }
  }
  return undefined;
}

/**
 * The half-height tiles beside `tiles` ([Note: Short rows] in attention.ts) on a device with
 * `limits`, given the call's tile override: 32-key chunks with f16 arithmetic at head dims up to
 * 64, else 16, 2 rows an invocation; none where the override fixes a block, chunk or row count
 * or turns them off, or where they would need more workgroup memory than `tiles`.
 */
export function shortRowTiles(limits: GpuLimits, tiles: TileConfig, override: TiledOverride, subgroupSize?: number): TileConfig | undefined {
  const o = override;
  if (tiles.kernel !== 'tiled' || tiles.blockQ < 64) return undefined;
  if (o.shortRows === false || o.blockQ !== undefined || o.kvChunk !== undefined || o.rows !== undefined) return undefined;
  const kvChunk = tiles.math === 'f16' && tiles.headDim <= 64 ? 32 : 16;
  try {
    const t = chooseTiledTiles(limits, tiles.headDim, tiles.dtype, { ...o, blockQ: tiles.blockQ / 2, rows: 2, kvChunk }, subgroupSize);
    return t && t.blockKv === tiles.blockKv && t.workgroupBytes <= tiles.workgroupBytes ? t : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The block of a PARTIAL tile that one warp of `warp` invocations skips as a whole where the
 * mask allows none of it ([Note: Dead blocks] in templates/wgsl/attention-tiled.wgsl.hbs): the
 * query rows of its `warp / LANES` row groups by the keys of one chunk.
 */
export function deadBlockGrain(t: TileConfig, warp: number): { readonly rows: number; readonly keys: number } {
  return { rows: Math.max(1, Math.min(warp, t.workgroupSize) / t.lanes) * (t.rows ?? 1), keys: t.kvChunk };
}

/**
 * With f16 arithmetic, at most this many keys per lane in a chunk (KC): measured on an H200
 * (dense path, 16k tokens, head dim 64; bench/results/webgpu-h200-f16math-*-2026-12-03.json),
 * 32-key chunks (KC = 4) ran at 21.6 TFLOP/s and 64-key ones (KC = 8, what fits) at 16.3.
 */
const F16_MATH_KC = 4;

/**
 * With f16 arithmetic, lanes owning more output vec4s than this (ACC) take ROWS = 2 instead of
 * 4: each vec4 of O then has an f16 run accumulator beside its f32 one. Measured on an H200
 * (16k tokens, head dim 128, ACC = 4; bench/results/webgpu-h200-f16math-rows2-*-2026-12-03.json):
 * the dense path 19.0 TFLOP/s against 17.8 with 4 rows, every suite pattern as fast or faster;
 * at head dim 64 (ACC = 2) 2 rows were slower (19.2 against 21.7).
 */
const F16_MATH_ACC = 2;

/** Whether `x` is a positive power of two. */
export const pow2 = (x: number) => Number.isInteger(x) && x > 0 && (x & (x - 1)) === 0;

/** Throws a RangeError when `t` cannot run on a device with `limits`. */
export function checkTiles(t: TileConfig, limits: GpuLimits): void {
  const bad = (why: string) => { throw new RangeError(`tile shape ${describeTiles(t)}: ${why}`); };
  if (![t.blockQ, t.blockKv, t.kvChunk, t.lanes].every(pow2)) bad('sizes must be powers of two');
  if (t.blockQ < 16 || t.blockQ > 256 || t.blockKv < 16 || t.blockKv > 256) bad('blocks must be 16..256');
  if (t.blockKv % t.kvChunk !== 0 || t.kvChunk % t.lanes !== 0) bad('kvChunk must divide blockKv and be a multiple of lanes');
  if ((t.headDim / 4) % t.lanes !== 0) bad('lanes must divide headDim / 4');
  if (t.kernel === 'tiled' && !(pow2(t.rows ?? 0) && t.blockQ % t.rows! === 0)) bad('rows must be a power of two dividing blockQ');
  if (t.subgroups && t.kernel !== 'tiled') bad('subgroup reductions are a feature of the tiled kernel');
  if (t.math === 'f16' && (t.kernel !== 'tiled' || t.dtype !== 'f16' || t.stage !== undefined)) bad('f16 arithmetic needs the tiled kernel with f16 tensors staged in f16');
  if (t.workgroupSize > limits.maxComputeInvocationsPerWorkgroup || t.workgroupSize > limits.maxComputeWorkgroupSizeX) bad(`${t.workgroupSize} invocations exceed the device's ${limits.maxComputeInvocationsPerWorkgroup}`);
  if (t.workgroupBytes > limits.maxComputeWorkgroupStorageSize) bad(`${t.workgroupBytes} bytes of workgroup memory exceed the device's ${limits.maxComputeWorkgroupStorageSize}`);
}

/** One-line description, e.g. `f32 d64 q64xkv64 chunk16 lanes4 (256 threads, 13056 B)`. */
export function describeTiles(t: TileConfig): string {
  const tiled = t.kernel === 'tiled' ? ` tiled rows${t.rows}${t.stage ? ` stage-${t.stage}` : ''}${t.subgroups ? ' subgroups' : ''}${t.math ? ` ${t.math}-math` : ''}` : '';
  return `${t.dtype} d${t.headDim} q${t.blockQ}xkv${t.blockKv} chunk${t.kvChunk} lanes${t.lanes}${tiled} (${t.workgroupSize} threads, ${t.workgroupBytes} B)`;
}

/**
 * The values of the register-tile loop bounds a kernel body may mark for unrolling
 * (runtime/webgpu/unroll.ts), as the body's own constants define them.
 */
export function loopBounds(t: TileConfig): Record<string, number> {
  const d4 = t.headDim / 4;
  const rows = t.rows ?? 1;
  const kc = t.kvChunk / t.lanes;
  const acc = d4 / t.lanes;
  return { D4: d4, LANES: t.lanes, LANES_LOG2: Math.log2(t.lanes), ROWS: rows, KC: kc, ACC: acc, RKC: rows * kc, RACC: rows * acc, NL: Math.ceil((t.kvChunk * d4) / t.workgroupSize) };
}

/**
 * The complete WGSL module of a kernel body specialised to `t`: the header, then the body
 * with the sections `t` selects (runtime/webgpu/sections.ts: `subgroups`) and its marked
 * register-tile loops unrolled (runtime/webgpu/unroll.ts). What the runtime compiles and
 * what `attnc compile` writes to a .wgsl file.
 */
export function kernelSource(t: TileConfig, body: string): string {
  return kernelHeader(t) + unrollLoops(selectSections(body, { subgroups: Boolean(t.subgroups), f16math: t.math === 'f16' }), loopBounds(t));
}

/** The WGSL header that specialises a kernel body to `t`. */
export function kernelHeader(t: TileConfig): string {
  return [
    ...(t.dtype === 'f16' ? ['enable f16;'] : []),
    ...(t.subgroups ? ['enable subgroups;'] : []),
    `// Specialisation: ${describeTiles(t)}.`,
    `alias elem4 = vec4<${t.dtype}>;`,
    `const HEAD_DIM: u32 = ${t.headDim}u;`,
    `const BLOCK_Q: u32 = ${t.blockQ}u;`,
    `const BLOCK_KV: u32 = ${t.blockKv}u;`,
    `const KV_CHUNK: u32 = ${t.kvChunk}u;`,
    `const LANES: u32 = ${t.lanes}u;`,
    ...(t.kernel === 'tiled' ? [`const ROWS: u32 = ${t.rows}u;`, `alias stage4 = vec4<${t.stage ?? t.dtype}>;`, `alias pelem = ${t.math ?? 'f32'};`] : []),
    ...(t.subgroups ? [`const LANES_LOG2: u32 = ${Math.log2(t.lanes)}u;`] : []),
    '',
  ].join('\n');
}
