/**
 * Hardware profiles for the speedup simulator: data files in `profiles/` (one per GPU). A
 * profile gives the machine (multiprocessors, memory bandwidth, the dense baseline's rate)
 * and, per kernel, the constants of the tile cost model in `simulate.ts`. Calibrated profiles
 * record how they were measured; the others are scaled from the H100 by datasheet ratios
 * and say so.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packagePath } from '../../runtime/io/package-root.ts';
import { FileReadError, MAX_SOURCE_BYTES, readTextBounded } from '../../runtime/io/files.ts';

/** Cost model constants of one kernel on one GPU (times in microseconds, head dim 128). */
export interface KernelModel {
  /** Query and key block of the kernel's own schedule. */
  readonly blockQ: number;
  readonly blockKv: number;
  /** Concurrent work items (CTAs / workgroups) per multiprocessor. */
  readonly itemsPerSm: number;
  /** Order work items are started in. */
  readonly order: 'longest-first' | 'launch';
  /** One FULL tile (blockQ x blockKv) at head dim 128. */
  readonly fullTileUs: number;
  /** Extra cost of a PARTIAL tile per mask-IR operation. */
  readonly maskOpUs: number;
  /** Extra cost of a PARTIAL tile per input-array read in the mask (a memory load). */
  readonly inputReadUs?: number;
  /**
   * PARTIAL tiles of masks that depend on q - k only (and no score modification) evaluate the
   * predicate once per diagonal of each warp's 16 x blockKv block: their mask operations
   * scale by (blockKv + 15) / (16 blockKv). The Hopper CUDA kernel does this.
   */
  readonly diagonalBand?: boolean;
  /**
   * PARTIAL tiles of tile-uniform masks ([Note: Tile-uniform masks] in compiler/ir/tile-uniform.ts)
   * evaluate only the rest of the mask per element where a warp's rows and the key block cross
   * no boundary of its coarse coordinates (strips only). The Hopper CUDA kernel does this.
   */
  readonly tileUniform?: boolean;
  /** Per work item: loading Q, the epilogue, finding its tile lists. */
  readonly itemUs: number;
  /** Per launch. */
  readonly launchUs: number;
  /** What the model does not cover, printed with every simulation that uses it. */
  readonly note?: string;
  /** The kernel's backward pass (backward.ts), where it has been modelled. */
  readonly backward?: BackwardModel;
  /**
   * A kernel that also runs box tiles (docs/schedule.md, "Box tiles") whose last side is at least
   * `minRun` tokens (on both sides), each box tile costing `runTiles` FULL tiles more per run
   * of its key box (one copy per run): the CUDA Hopper forward. Kernels without it take
   * strips, unless they are listed in BOX_TILE_KERNELS (simulate.ts).
   */
  readonly boxes?: { readonly minRun: number; readonly runTiles: number };
  /**
   * A kernel that splits long rows as the WebGPU runtime does ([Note: Split rows] in
   * runtime/webgpu/schedule-buffer.ts): where the runtime splits without being asked
   * (`splitsByDefault`), a row of more tiles than its default part length (`splitTiles`) runs
   * as parts of at most that many, each a work item of its own (the pass that merges them is
   * not priced): the WebGPU tiled kernel.
   */
  readonly splitRows?: true;
  /**
   * A kernel that runs half-height tiles (blockQ / 2) where the WebGPU runtime does
   * (`halfHeightPays`; [Note: Short rows] in runtime/webgpu/attention.ts), each such tile
   * costing `tileCost` of one of its own (0.5 at the same rate; more, since half-height tiles
   * run the dense path slower): the WebGPU tiled kernel.
   */
  readonly shortRows?: { readonly tileCost: number };
  /**
   * Measured tile time at other head dims relative to 128, by the head dims the kernel is
   * built for (a head dim between them runs the next wider kernel: headDimScale). Without it a
   * tile's time scales with head dim / 128.
   */
  readonly headDimScale?: Readonly<Record<string, number>>;
  /**
   * An item's speed, relative to its rate on a full multiprocessor, when it has the
   * multiprocessor to itself; `n` items of one run at `min(aloneSpeed, itemsPerSm / n)`
   * ([Note: Shared multiprocessors] in compiler/5-simulate/sharing.ts). Without it, always 1.
   */
  readonly aloneSpeed?: number;
  /** f32 tensors: a FULL tile's time relative to f16, by head dim (read as headDimScale; the widest entry's past the table). */
  readonly f32Scale?: Readonly<Record<string, number>>;
  /**
   * A kernel that skips the products of dead blocks in PARTIAL tiles ([Note: Dead blocks] in
   * templates/wgsl/attention-tiled.wgsl.hbs): a warp of `warp` invocations whose query rows
   * meet no allowed key in a chunk skips its Q K^T and P V there: in proportion, it saves
   * `share` of the part of a FULL tile's time past `keepUs` (what every block still runs:
   * the mask, the softmax's reductions, the staging of K and V, the barriers; scaled as the
   * tile is by half-height tiles). compiler/5-simulate/dead-blocks.ts counts the blocks from the mask. Its rows and keys are those of the tiles the WebGPU runtime chooses on an adapter
   * granting `workgroupBytes` of workgroup memory and `invocations` per workgroup: the WebGPU
   * tiled kernel.
   */
  readonly deadBlocks?: { readonly share: number; readonly keepUs: number; readonly warp: number; readonly workgroupBytes: number; readonly invocations: number };
}

/**
 * A full tile's time at `headDim` relative to head dim 128: from a model's headDimScale table,
 * the factor of the narrowest kernel width at or above it; without a table, headDim / 128.
 */
export function headDimScale(table: Readonly<Record<string, number>> | undefined, headDim: number, otherwise = headDim / 128): number {
  if (!table) return otherwise;
  const widths = Object.keys(table).map(Number).filter((w) => w >= headDim).sort((a, b) => a - b);
  return widths.length ? table[String(widths[0])] : otherwise;
}

/**
 * Cost model constants of a backward kernel (times in microseconds, head dim 128): column
 * items (dK, dV per key block) and row items (dQ per query block) over the same tiles.
 */
export interface BackwardModel {
  readonly blockQ: number;
  readonly blockKv: number;
  readonly itemsPerSm: number;
  /** `interleaved`: each kind longest first, alternating in one grid; `columns-first`: per head, the column items, then the row items, in block order. */
  readonly order: 'interleaved' | 'columns-first';
  /** One FULL tile of a column item (S^T, dP^T, dV, dK: four products). */
  readonly colTileUs: number;
  /** One FULL tile of a row item (S, dP, dQ: three products). */
  readonly rowTileUs: number;
  /** Extra cost of a PARTIAL tile per mask-IR operation (each item kind evaluates the mask). */
  readonly maskOpUs: number;
  readonly inputReadUs?: number;
  readonly itemUs: number;
  /** Per launch (the preprocessing kernel and the backward kernel each pay it). */
  readonly launchUs: number;
  readonly note?: string;
}

/** A GPU. */
export interface GpuProfile {
  readonly name: string;
  readonly calibrated: boolean;
  /** How the numbers were obtained. */
  readonly source: string;
  readonly multiprocessors: number;
  readonly memoryTBs: number;
  /** Dense baseline (FlashAttention-2 through SDPA), TFLOP/s at head dim 128, bf16. */
  readonly denseTflops: number;
  /** Dense baseline's backward (SDPA), TFLOP/s counting 2.5x the forward FLOPs; the forward rate where not measured. */
  readonly denseBwdTflops?: number;
  readonly kernels: Readonly<Record<string, KernelModel>>;
}

const DIR = packagePath('profiles');

/** Names of the bundled profiles. */
export function profileNames(): string[] {
  return fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** A profile that is JSON but not a hardware profile: what is wrong, field by field. */
export class ProfileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.slice(0, 4).join('; ') + (problems.length > 4 ? `; and ${problems.length - 4} more` : ''));
  }
}

/**
 * What makes `value` no hardware profile (empty when it is one): the fields the simulator
 * reads, with their types and ranges.
 */
export function profileProblems(value: unknown): string[] {
  const out: string[] = [];
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObj(value)) return ['a profile is a JSON object (name, multiprocessors, memoryTBs, denseTflops, kernels)'];
  const num = (o: Record<string, unknown>, key: string, at: string, what: 'positive' | 'non-negative' | 'positive integer' | 'power of two', optional = false) => {
    const x = o[key];
    if (x === undefined && optional) return;
    const ok = typeof x === 'number' && Number.isFinite(x) && (what === 'non-negative' ? x >= 0 : x > 0)
      && (what !== 'positive integer' || Number.isInteger(x)) && (what !== 'power of two' || (Number.isInteger(x) && (x & (x - 1)) === 0));
    if (!ok) out.push(`${at}${key} must be a ${what} number (got ${JSON.stringify(x) ?? 'nothing'})`);
  };
  if (typeof value.name !== 'string') out.push(`name must be a string (got ${JSON.stringify(value.name) ?? 'nothing'})`);
  num(value, 'multiprocessors', '', 'positive integer');
  num(value, 'memoryTBs', '', 'positive');
  num(value, 'denseTflops', '', 'positive');
  num(value, 'denseBwdTflops', '', 'positive', true);
  const scaleTable = (t: unknown, at: string) => {
    if (t === undefined) return;
    if (!isObj(t) || Object.entries(t).some(([k, v]) => !(Number(k) > 0) || typeof v !== 'number' || !(v > 0))) out.push(`${at} must map head dims to positive numbers`);
  };
  if (!isObj(value.kernels) || Object.keys(value.kernels).length === 0) {
    out.push('kernels must be an object of kernel models (attnc-cuda, flex, attnc-wgsl)');
    return out;
  }
  for (const [name, km] of Object.entries(value.kernels)) {
    const at = `kernels.${name}.`;
    if (!isObj(km)) {
      out.push(`kernels.${name} must be a kernel model object`);
      continue;
    }
    num(km, 'blockQ', at, 'power of two');
    num(km, 'blockKv', at, 'power of two');
    num(km, 'itemsPerSm', at, 'positive integer');
    if (km.order !== 'longest-first' && km.order !== 'launch') out.push(`${at}order must be "longest-first" or "launch" (got ${JSON.stringify(km.order) ?? 'nothing'})`);
    num(km, 'fullTileUs', at, 'positive');
    num(km, 'maskOpUs', at, 'non-negative');
    num(km, 'inputReadUs', at, 'non-negative', true);
    num(km, 'itemUs', at, 'non-negative');
    num(km, 'launchUs', at, 'non-negative');
    num(km, 'aloneSpeed', at, 'positive', true);
    scaleTable(km.headDimScale, `${at}headDimScale`);
    scaleTable(km.f32Scale, `${at}f32Scale`);
    if (km.shortRows !== undefined) {
      if (!isObj(km.shortRows)) out.push(`${at}shortRows must be an object`);
      else num(km.shortRows, 'tileCost', `${at}shortRows.`, 'positive');
    }
    if (km.boxes !== undefined) {
      if (!isObj(km.boxes)) out.push(`${at}boxes must be an object`);
      else {
        num(km.boxes, 'minRun', `${at}boxes.`, 'positive integer');
        num(km.boxes, 'runTiles', `${at}boxes.`, 'non-negative');
      }
    }
    if (km.deadBlocks !== undefined) {
      if (!isObj(km.deadBlocks)) out.push(`${at}deadBlocks must be an object`);
      else {
        num(km.deadBlocks, 'share', `${at}deadBlocks.`, 'non-negative');
        num(km.deadBlocks, 'keepUs', `${at}deadBlocks.`, 'non-negative');
        num(km.deadBlocks, 'warp', `${at}deadBlocks.`, 'positive integer');
        num(km.deadBlocks, 'workgroupBytes', `${at}deadBlocks.`, 'positive integer');
        num(km.deadBlocks, 'invocations', `${at}deadBlocks.`, 'positive integer');
      }
    }
    if (km.backward !== undefined) {
      const bw = km.backward, bat = `${at}backward.`;
      if (!isObj(bw)) out.push(`${at}backward must be an object`);
      else {
        num(bw, 'blockQ', bat, 'power of two');
        num(bw, 'blockKv', bat, 'power of two');
        num(bw, 'itemsPerSm', bat, 'positive integer');
        if (bw.order !== 'interleaved' && bw.order !== 'columns-first') out.push(`${bat}order must be "interleaved" or "columns-first" (got ${JSON.stringify(bw.order) ?? 'nothing'})`);
        for (const k of ['colTileUs', 'rowTileUs']) num(bw, k, bat, 'positive');
        for (const k of ['maskOpUs', 'itemUs', 'launchUs']) num(bw, k, bat, 'non-negative');
        num(bw, 'inputReadUs', bat, 'non-negative', true);
      }
    }
  }
  return out;
}

/**
 * Loads a bundled profile by name (`h100`, `a100`, ...) or a JSON file path: undefined when
 * there is no such file, `FileReadError` when it is not a regular file or over
 * `MAX_SOURCE_BYTES`, `SyntaxError` when it is not JSON, `ProfileError` when it is JSON but
 * not a profile (`profileProblems`).
 */
export function loadProfile(nameOrPath: string): GpuProfile | undefined {
  const file = nameOrPath.endsWith('.json') ? nameOrPath : path.join(DIR, `${nameOrPath}.json`);
  let text: string;
  try {
    text = readTextBounded(file, MAX_SOURCE_BYTES);
  } catch (e) {
    if (e instanceof FileReadError && e.code === 'file_not_found') return undefined;
    throw e;
  }
  const value: unknown = JSON.parse(text);
  const problems = profileProblems(value);
  if (problems.length) throw new ProfileError(problems);
  return value as GpuProfile;
}
