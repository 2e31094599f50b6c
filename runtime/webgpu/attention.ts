/**
 * The WebGPU attention launcher that generated bindings call: plans (and caches) the
 * block-sparse schedule for each problem shape, compiles (and caches) one pipeline per tile
 * shape, writes the uniforms, binds the buffers in the order the kernel spec gives, and
 * dispatches one workgroup per (query block, batch * head).
 *
 * Tensors are GPU buffers (real use: the result stays on the GPU) or typed arrays
 * (convenience: uploaded, and the result is read back). f32 tensors are Float32Array,
 * f16 tensors raw half bits in a Uint16Array (see `f16.ts`). Layouts: `interface.ts`.
 *
 * A pattern with a `select` clause (`kernel.select`) plans its static tables once per shape
 * and selects its key blocks at every call on the GPU before the kernel runs (`select.ts`).
 */
import { planSchedule } from '../schedule/plan.ts';
import { PlanError } from '../schedule/types.ts';
import type { PlannerModule } from '../schedule/planner.ts';
import type { Schedule, TileRequest } from '../schedule/types.ts';
import { boxUniforms } from './box-uniforms.ts';
import { BufferUsage, MAP_MODE_READ, type GpuBuffer, type GpuCommandEncoder, type GpuDevice } from './gpu.ts';
import { packUniforms, type KernelSpec } from './interface.ts';
import { AttentionError, compileKernel, type CompiledKernel } from './pipeline.ts';
import { halfHeightPays, packSchedule, splitsByDefault, splitTiles, type PackedSchedule } from './schedule-buffer.ts';
import { cellsFromBits, checkScoreInput, checkSelectionLimits, compileSelection, encodeSelection, planSelection, SELECT_BUFFER_USAGE, selectionUniforms, statesFromSlots, type SelectionLayout, type SelectionModule, type SelectionPipelines, type SelectionPlan } from './select.ts';
import { chooseTiledTiles, chooseTiles, shortRowTiles, subgroupMinSize, type Dtype, type KernelVariant, type TileConfig, type TiledOverride } from './tiles.ts';

/** What a generated module hands the launcher. */
export interface AttentionKernel {
  readonly spec: KernelSpec;
  readonly body: string;
  /**
   * The register-tiled kernel body (`emitWgsl(bp, 'tiled')`), the default kernel where
   * present (generated bindings embed it); `AttentionConfig.kernel` = 'simple' runs `body`.
   */
  readonly tiledBody?: string;
  readonly planner: PlannerModule;
  /** The host half of the pattern's `select` clause (generated bindings embed it); absent without one. */
  readonly select?: SelectionModule;
}

/** Fixed per `create` call. */
export interface AttentionConfig {
  readonly headDim: number;
  readonly dtype?: Dtype;
  /**
   * Force tile sizes instead of choosing them from the device limits. The tiled kernel
   * reduces its rows with subgroup shuffles where the device has the `subgroups` feature
   * (request the device with it) and a minimum subgroup size of at least its lanes;
   * `subgroups: false` turns that off. `tiles.subgroups` of the result says which ran.
   */
  readonly tiles?: TiledOverride;
  /**
   * Which kernel: the register-tiled one (`tiled`, the default where the kernel has
   * `AttentionKernel.tiledBody`, as generated bindings do) or the `simple` one. Where no tiled
   * shape fits the device's workgroup memory (head dim 256 in f32 at the default 16 KB) the
   * simple kernel runs; `tiles.kernel` says which ran.
   */
  readonly kernel?: KernelVariant;
}

/** Runtime scalars by name (generated bindings narrow this to the pattern's own). */
export type ParamValues = Readonly<Record<string, number | boolean>>;
/** Input arrays by name. */
export type InputValues = Readonly<Record<string, ArrayLike<number>>>;

/** Per call: the problem shape and the pattern's runtime values. */
export interface RunOptions<P extends object = ParamValues, I extends object = InputValues> {
  readonly batch: number;
  readonly heads: number;
  /** Key/value heads (grouped-query attention); default `heads`. */
  readonly kvHeads?: number;
  readonly qLen: number;
  /** Default `qLen`. */
  readonly kvLen?: number;
  /** Default 1 / sqrt(headDim). */
  readonly scale?: number;
  readonly params?: P;
  readonly inputs?: I;
  /**
   * Run with this schedule instead of planning one (benchmarks: every tile FULL measures the
   * dense path of the same kernel). It must have the shape's sizes and the tile blocks.
   */
  readonly schedule?: Schedule;
  /**
   * The tiles of a pattern with a layout of two or three axes (docs/schedule.md, "Box
   * tiles"): `auto` (the default: the cheaper of strips and boxes), `strip`, or forced boxes.
   * Other patterns run strips.
   */
  readonly boxes?: TileRequest;
  /**
   * The score input of a pattern that selects key blocks by one (`select ... by NAME`):
   * float32 `[batch, heads, q_blocks, kv_blocks]`, a typed array or a GPU buffer.
   */
  readonly scores?: GpuBuffer | Float32Array;
  /** Destination buffers (GPU-buffer mode); created when absent. */
  readonly out?: GpuBuffer;
  readonly lse?: GpuBuffer;
  /**
   * The order workgroups take their rows in: `longest-first` (the default: rows with the most
   * tiles start first, [Note: Longest rows first] in schedule-buffer.ts) or `as-planned`
   * ((b, h), then query block), for comparison. Patterns with a `select` clause run as planned.
   */
  readonly workOrder?: 'longest-first' | 'as-planned';
  /**
   * GPU timing (profiling, benchmarks): the attention pass writes its start and end
   * timestamps into these slots of a `timestamp` query set (the device needs the
   * `timestamp-query` feature). The selection passes of a `select` pattern are not included.
   */
  readonly timestampWrites?: { readonly querySet: object; readonly beginningOfPassWriteIndex: number; readonly endOfPassWriteIndex: number };
}

/** A tensor argument. */
export type Tensor = GpuBuffer | Float32Array | Uint16Array;

/**
 * The result: the output and the log-sum-exp per row (natural log, float32), in the kind of
 * the inputs. A row that attends to no key gets o = 0 and lse = -Infinity, as from the CUDA
 * kernels and the float64 reference.
 */
export interface AttentionResult<T> {
  readonly o: T;
  readonly lse: T extends GpuBuffer ? GpuBuffer : Float32Array;
  readonly tiles: TileConfig;
  /**
   * The schedule the kernel ran; for a pattern with a `select` clause its static part (what
   * every call attends to): the call's merged schedule stays on the GPU (`selection` reads it).
   */
  readonly schedule: Schedule;
  /** Rows the tiled kernel ran in parts, merged by its combine pass ([Note: Split rows] in schedule-buffer.ts). */
  readonly splitRows: number;
}

/** What `selection` reads back: one call's selected cells and merged tile states. */
export interface SelectionResult {
  /** Selection blocks along q and kv (the clause's `ceil(q_len / BQ)`, `ceil(kv_len / BK)`). */
  readonly nQ: number;
  readonly nK: number;
  /** `[batch, heads, nQ, nK]`, 1 where the call selected the cell. */
  readonly cells: Uint8Array;
  /** The kernel's query and key blocks. */
  readonly numQBlocks: number;
  readonly numKvBlocks: number;
  /** `[batch * heads, numQBlocks, numKvBlocks]` tile states of the merged schedule: 0 EMPTY, 1 PARTIAL, 2 FULL. */
  readonly tiles: Uint8Array;
}

/** A pattern bound to a device. */
export interface Attention<P extends object = ParamValues, I extends object = InputValues> {
  readonly tiles: TileConfig;
  run<T extends Tensor>(q: T, k: T, v: T, opts: RunOptions<P, I>): Promise<AttentionResult<T>>;
  /** Plans (or fetches from the cache) the schedule of a shape without running. */
  schedule(opts: RunOptions<P, I>): Schedule;
  /**
   * A pattern with a `select` clause: runs only the selection of a call (on the GPU, as `run`
   * does) and reads back its cells and merged schedule, for inspection and tests.
   */
  selection<T extends Tensor>(q: T, k: T, opts: RunOptions<P, I>): Promise<SelectionResult>;
  /** Frees the cached GPU buffers. */
  destroy(): void;
}

const isBuffer = (t: Tensor): t is GpuBuffer => !ArrayBuffer.isView(t);
let nextId = 1;
const ids = new WeakMap<object, number>();
const idOf = (o: object) => ids.get(o) ?? (ids.set(o, nextId++), nextId - 1);

/** Binds a kernel to `device`. */
export function createAttention<P extends object = ParamValues, I extends object = InputValues>(device: GpuDevice, kernel: AttentionKernel, config: AttentionConfig): Attention<P, I> {
  const dtype = config.dtype ?? 'f32';
  if (dtype === 'f16' && !device.features.has('shader-f16')) throw new AttentionError('no_webgpu', 'this device has no `shader-f16` feature: use dtype f32');
  const variant = config.kernel ?? (kernel.tiledBody !== undefined ? 'tiled' : 'simple');
  if (variant !== 'simple' && variant !== 'tiled') throw new AttentionError('bad_input', `unknown kernel \`${String(variant)}\` (kernels: simple, tiled)`);
  if (variant === 'tiled' && kernel.tiledBody === undefined) throw new AttentionError('bad_input', `the kernel of \`${kernel.spec.pattern}\` comes without its tiled body (emitWgsl(bound, 'tiled'))`);
  let tiles: TileConfig;
  try {
    tiles = (variant === 'tiled' ? chooseTiledTiles(device.limits, config.headDim, dtype, tiledOverride(device, config), subgroupMinSize(device)) : undefined) ?? chooseTiles(device.limits, config.headDim, dtype, config.tiles);
  } catch (e) {
    throw new AttentionError('bad_size', (e as Error).message);
  }
  const split = config.tiles?.splitTiles;
  if (split !== undefined && split !== false && !(Number.isInteger(split) && split >= 1)) throw new AttentionError('bad_input', `tiles.splitTiles must be a positive whole number of tiles or false, got ${String(split)}`);
  const shortTiles = chooseShortRowTiles(device, tiles, config);
  const linear = tiles.kernel === 'tiled' && !kernel.spec.select;
  if (Boolean(kernel.select) !== Boolean(kernel.spec.select)) throw new AttentionError('bad_input', `the kernel of \`${kernel.spec.pattern}\` ${kernel.spec.select ? 'selects key blocks per call but comes without its selection module' : 'has a selection module but no select clause'}`);
  const compiled = new Map<TileConfig, Promise<CompiledKernel>>();
  let selectCompiled: Promise<SelectionPipelines> | undefined;
  const dynamics = new Map<string, { plan: SelectionPlan; planBuf: GpuBuffer; work: GpuBuffer; dyn: GpuBuffer; inputs?: GpuBuffer; offsets: Record<string, number> }>();
  const schedules = new Map<string, { schedule: Schedule; tiles: TileConfig; sched: GpuBuffer; part: GpuBuffer; packed: Omit<PackedSchedule, 'data'>; inputs?: GpuBuffer; offsets: Record<string, number> }>();
  const es = dtype === 'f16' ? 2 : 4;

  const shapeOf = (o: RunOptions<object, object>) => {
    const kvHeads = o.kvHeads ?? o.heads, kvLen = o.kvLen ?? o.qLen;
    for (const [n, v] of [['batch', o.batch], ['heads', o.heads], ['kvHeads', kvHeads], ['qLen', o.qLen], ['kvLen', kvLen]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new AttentionError('bad_size', `${n} must be a positive integer, got ${v}`);
    }
    if (o.heads % kvHeads !== 0) throw new AttentionError('bad_size', `kvHeads (${kvHeads}) must divide heads (${o.heads})`);
    const nq = Math.ceil(o.qLen / tiles.blockQ);
    // The tiled kernel without `select` dispatches its work entries in rows (dispatchLinear).
    if (!linear && (nq > device.limits.maxComputeWorkgroupsPerDimension || o.batch * o.heads > device.limits.maxComputeWorkgroupsPerDimension)) {
      throw new AttentionError('bad_size', `${nq} query blocks x ${o.batch * o.heads} heads exceed the device's ${device.limits.maxComputeWorkgroupsPerDimension} workgroups per dimension`);
    }
    return { kvHeads, kvLen, nq };
  };

  // The input arrays in one buffer, and each one's offset (a uniform `in_<name>`).
  const uploadInputs = (o: RunOptions) => {
    const offsets: Record<string, number> = {};
    let inputs: GpuBuffer | undefined;
    if (kernel.spec.inputs.length) {
      let at = 0;
      for (const a of kernel.spec.inputs) { offsets[a.name] = at; at += o.inputs?.[a.name]?.length ?? 0; }
      const all = new Int32Array(Math.max(at, 1));
      for (const a of kernel.spec.inputs) all.set(Array.from(o.inputs?.[a.name] ?? []), offsets[a.name]);
      inputs = upload(device, all, BufferUsage.STORAGE);
    }
    return { inputs, offsets };
  };
  const inputKeyOf = (o: RunOptions) => kernel.spec.inputs.map((a) => (o.inputs?.[a.name] ? idOf(o.inputs[a.name] as object) : 0)).join(',');

  // A pattern with a select clause: its tables per shape (kv heads and head dim size the workspace).
  const dynamicPlanned = (o: RunOptions) => {
    const { kvHeads, kvLen } = shapeOf(o);
    if (o.schedule) throw new AttentionError('bad_input', `pattern \`${kernel.spec.pattern}\` selects key blocks per call: it takes no given schedule`);
    const key = JSON.stringify([o.batch, o.heads, kvHeads, o.qLen, kvLen, o.params ?? {}, inputKeyOf(o)]);
    let hit = dynamics.get(key);
    if (!hit) {
      const plan = planSelection(kernel.select!, kernel.planner, { qLen: o.qLen, kvLen, heads: o.heads, batch: o.batch, kvHeads, headDim: tiles.headDim, blockQ: tiles.blockQ, blockKv: tiles.blockKv, params: o.params, inputs: o.inputs });
      checkSelectionLimits(device, plan.layout);
      const words = (n: number) => device.createBuffer({ size: Math.max(16, Math.ceil((n * 4) / 16) * 16), usage: SELECT_BUFFER_USAGE });
      hit = { plan, planBuf: upload(device, plan.planWords, BufferUsage.STORAGE), work: words(plan.layout.work.size), dyn: words(plan.layout.dyn.size), ...uploadInputs(o) };
      dynamics.set(key, hit);
    }
    return hit;
  };

  /** Encodes one call's selection; returns the temporary buffers to free. */
  const encodeSelect = (enc: GpuCommandEncoder, d: NonNullable<ReturnType<typeof dynamics.get>>, pipelines: SelectionPipelines, q: GpuBuffer, k: GpuBuffer, o: RunOptions): GpuBuffer[] => {
    const l: SelectionLayout = d.plan.layout;
    const score = kernel.select!.score;
    const temps: GpuBuffer[] = [];
    let gate = d.planBuf;
    if (score.kind === 'input') {
      checkScoreInput(l, score.name, o.scores);
      if (ArrayBuffer.isView(o.scores)) temps.push((gate = upload(device, o.scores, BufferUsage.STORAGE)));
      else gate = o.scores!;
    }
    const uniforms = upload(device, selectionUniforms(l, score, kernel.select!.perKvHead, dtype === 'f16', tiles), BufferUsage.UNIFORM);
    temps.push(uniforms);
    encodeSelection(device, enc, pipelines, l, score, { uniforms, q, k, plan: d.planBuf, work: d.work, dyn: d.dyn, gate });
    return temps;
  };

  const planned = (o: RunOptions) => {
    const { kvLen } = shapeOf(o);
    const inputKey = inputKeyOf(o);
    const boxes = kernel.spec.boxTiles ? (o.boxes ?? 'auto') : 'strip';
    if (o.boxes !== undefined && o.boxes !== 'strip' && o.boxes !== 'auto' && !kernel.spec.boxTiles) throw new AttentionError('bad_tile_shape', `pattern \`${kernel.spec.pattern}\` runs strips only (box tiles need a layout of two or three axes)`);
    const order = o.workOrder ?? 'longest-first';
    if (order !== 'longest-first' && order !== 'as-planned') throw new AttentionError('bad_input', `unknown work order \`${String(order)}\` (longest-first, as-planned)`);
    const key = o.schedule ? `given ${idOf(o.schedule)} ${o.batch} ${order}` : JSON.stringify([o.batch, o.heads, o.qLen, kvLen, o.params ?? {}, inputKey, boxes, order]);
    let hit = schedules.get(key);
    if (!hit) {
      let schedule: Schedule;
      let t = tiles;
      const plan = (with_: TileConfig) => {
        try {
          return planSchedule(kernel.planner, { qLen: o.qLen, kvLen, heads: o.heads, batch: o.batch, blockQ: with_.blockQ, blockKv: with_.blockKv, params: o.params, inputs: o.inputs, tiles: boxes });
        } catch (e) {
          if (e instanceof PlanError && e.code === 'bad_tile_shape') throw new AttentionError('bad_tile_shape', e.message);
          throw e;
        }
      };
      if (o.schedule) {
        schedule = o.schedule;
        if (shortTiles && schedule.blockQ === shortTiles.blockQ && schedule.blockKv === shortTiles.blockKv) t = shortTiles;
      } else {
        schedule = plan(tiles);
        // [Note: Short rows]: a forced box shape holds a block of the chosen tiles, so it keeps them.
        if (shortTiles && (boxes === 'auto' || boxes === 'strip')) {
          const half = plan(shortTiles);
          if (halfHeightPays(schedule, half)) {
            schedule = half;
            t = shortTiles;
          }
        }
      }
      if (schedule.tiles && !kernel.spec.boxTiles) throw new AttentionError('bad_input', `the given schedule has box tiles; pattern \`${kernel.spec.pattern}\` runs strips only`);
      if (!linear && schedule.numQBlocks > device.limits.maxComputeWorkgroupsPerDimension) throw new AttentionError('bad_size', `${schedule.numQBlocks} query blocks exceed the device's ${device.limits.maxComputeWorkgroupsPerDimension} workgroups per dimension`);
      const fits = schedule.qLen === o.qLen && schedule.kvLen === kvLen && schedule.heads === o.heads && schedule.blockQ === t.blockQ && schedule.blockKv === t.blockKv;
      if (!fits) throw new AttentionError('bad_size', `the given schedule (${schedule.qLen}x${schedule.kvLen}, ${schedule.heads} heads, blocks ${schedule.blockQ}x${schedule.blockKv}) does not fit this run`);
      // [Note: Split rows]: the tiled kernel splits long rows where that was measured to pay.
      const partTiles = t.kernel !== 'tiled' || split === false ? Infinity : split ?? (splitsByDefault(t.dtype, t.headDim) ? splitTiles(schedule) : Infinity);
      const slotBytes = t.blockQ * (t.headDim / 4 + 1) * 16;
      let { data, ...packed } = packSchedule(schedule, o.batch, order, partTiles);
      // Parts that would not fit one storage binding: no row is split.
      if (packed.slots * slotBytes > device.limits.maxStorageBufferBindingSize) ({ data, ...packed } = packSchedule(schedule, o.batch, order));
      const sched = upload(device, data, BufferUsage.STORAGE);
      const part = device.createBuffer({ size: Math.max(16, packed.slots * slotBytes), usage: BufferUsage.STORAGE });
      hit = { schedule, tiles: t, sched, part, packed, ...uploadInputs(o) };
      schedules.set(key, hit);
    }
    return hit;
  };

  return {
    tiles,
    schedule: (o) => (kernel.select ? dynamicPlanned(o as RunOptions).plan.static : planned(o as RunOptions).schedule),
    async run<T extends Tensor>(q: T, k: T, v: T, typedOpts: RunOptions<P, I>): Promise<AttentionResult<T>> {
      const o = typedOpts as RunOptions;
      const { kvHeads, kvLen, nq } = shapeOf(o);
      const qCount = o.batch * o.heads * o.qLen * tiles.headDim, kvCount = o.batch * kvHeads * kvLen * tiles.headDim;
      const typed = !isBuffer(q);
      for (const [name, t, n] of [['q', q, qCount], ['k', k, kvCount], ['v', v, kvCount]] as const) {
        if (isBuffer(t) === typed) throw new AttentionError('bad_input', 'q, k and v must all be GPU buffers or all typed arrays');
        const bytes = isBuffer(t) ? t.size : t.byteLength;
        if (!isBuffer(t) && (t instanceof Float32Array) !== (dtype === 'f32')) throw new AttentionError('bad_input', `${name} must be a ${dtype === 'f32' ? 'Float32Array' : 'Uint16Array of f16 bits'}`);
        if (bytes < n * es) throw new AttentionError('bad_input', `${name} has ${bytes} bytes, the shape needs ${n * es}`);
        // Bound whole: a binding past the device's limit fails validation, and the dispatch would do nothing.
        const bound = isBuffer(t) ? t.size : n * es, max = device.limits.maxStorageBufferBindingSize;
        if (bound > max) throw new AttentionError('bad_size', `${name} needs a ${bound}-byte storage buffer, more than this device's limit of ${max} bytes (request the device with a larger maxStorageBufferBindingSize, up to the adapter's, or run fewer heads or tokens per call)`);
      }
      const d = kernel.select ? dynamicPlanned(o) : undefined;
      const p = d ? undefined : planned(o);
      const shared = (d ?? p)!;
      // The tiles this call runs: the chosen ones, or the short-row ones its schedule took.
      const t = p?.tiles ?? tiles;
      if (!compiled.has(t)) compiled.set(t, compileKernel(device, kernel.spec, t.kernel === 'tiled' ? kernel.tiledBody! : kernel.body, t));
      const ck = await compiled.get(t)!;
      // The combine pass, compiled the first time a call splits a row ([Note: Split rows]).
      const combinePipeline = p && t.kernel === 'tiled' && p.packed.combineRows ? await ck.combine!() : undefined;
      if (d) selectCompiled ??= compileSelection(device);
      const sp = d ? await selectCompiled! : undefined;
      const l = d?.plan.layout;
      const selectUniforms: Record<string, number> = l ? { sel_bq: l.shape.blockQ, sel_bk: l.shape.blockKv, sel_nq: l.nQ, sel_words: l.words, sel_cells: l.dyn.cells } : {};
      const uniforms = packUniforms(kernel.spec, {
        q_len: o.qLen, kv_len: kvLen, heads: o.heads, kv_heads: kvHeads, batch: o.batch, group_table: p?.packed.groupTable ?? 0, ...selectUniforms,
        scale: o.scale ?? 1 / Math.sqrt(tiles.headDim),
        ...Object.fromEntries(kernel.spec.runtimeParams.map((r) => [`p_${r.name}`, o.params?.[r.name] ?? r.default ?? 0])),
        ...Object.fromEntries(kernel.spec.inputs.map((a) => [`in_${a.name}`, shared.offsets[a.name]])),
        ...(kernel.spec.boxTiles ? boxUniforms(p!.schedule) : {}),
        ...(p ? { work_items: p.packed.workItems, work_base: p.packed.workBase, q_blocks: p.schedule.numQBlocks, combine_rows: p.packed.combineRows, combine_base: p.packed.combineBase } : {}),
      });
      const temps: GpuBuffer[] = [];
      const tensor = (t: Tensor) => (isBuffer(t) ? t : (temps.push(upload(device, t, BufferUsage.STORAGE)), temps[temps.length - 1]));
      const outBytes = qCount * es, lseBytes = o.batch * o.heads * o.qLen * 4;
      const oBuf = o.out ?? device.createBuffer({ size: align4(outBytes), usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
      const lseBuf = o.lse ?? device.createBuffer({ size: align4(lseBytes), usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
      const uBuf = upload(device, uniforms, BufferUsage.UNIFORM);
      temps.push(uBuf);
      const byRole = { q: tensor(q), k: tensor(k), v: tensor(v), o: oBuf, lse: lseBuf, sched: d ? d.dyn : p!.sched, inputs: shared.inputs, part: p?.part };
      const group = device.createBindGroup({
        layout: ck.layout,
        entries: [{ binding: 0, resource: { buffer: uBuf } }, ...kernel.spec.bindings.map((b) => ({ binding: b.binding, resource: { buffer: byRole[b.role] as GpuBuffer } }))],
      });
      const enc = device.createCommandEncoder();
      // The call's selection and merged schedule first, on the GPU (the same queue orders them).
      if (d) temps.push(...encodeSelect(enc, d, sp!, byRole.q, byRole.k, o));
      const pass = enc.beginComputePass(o.timestampWrites ? { timestampWrites: o.timestampWrites } : undefined);
      pass.setPipeline(ck.pipeline);
      pass.setBindGroup(0, group);
      if (p && t.kernel === 'tiled') {
        // One workgroup per work entry, then one per split row ([Note: Split rows]); the pass orders the two.
        const perDim = device.limits.maxComputeWorkgroupsPerDimension;
        dispatchLinear(pass, p.packed.workItems, perDim);
        if (p.packed.combineRows) {
          pass.setPipeline(combinePipeline!);
          dispatchLinear(pass, p.packed.combineRows, perDim);
        }
      } else {
        pass.dispatchWorkgroups(p ? p.schedule.numQBlocks : nq, o.batch * o.heads, 1);
      }
      pass.end();
      let readO: GpuBuffer | undefined, readL: GpuBuffer | undefined;
      if (typed) {
        readO = device.createBuffer({ size: align4(outBytes), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
        readL = device.createBuffer({ size: align4(lseBytes), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
        enc.copyBufferToBuffer(oBuf, 0, readO, 0, align4(outBytes));
        enc.copyBufferToBuffer(lseBuf, 0, readL, 0, align4(lseBytes));
      }
      device.queue.submit([enc.finish()]);
      if (!typed) {
        temps.forEach((b) => { if (!(b.usage & BufferUsage.UNIFORM)) b.destroy(); });  // uniform buffers are left to the collector, as before
        return { o: oBuf, lse: lseBuf, tiles: t, schedule: d ? d.plan.static : p!.schedule, splitRows: p?.packed.combineRows ?? 0 } as AttentionResult<T>;
      }
      const [oData, lData] = await Promise.all([readBack(readO!), readBack(readL!)]);
      for (const b of [...temps, oBuf, lseBuf, readO!, readL!]) if (b !== o.out && b !== o.lse) b.destroy();
      const oTyped = dtype === 'f32' ? new Float32Array(oData, 0, qCount) : new Uint16Array(oData, 0, qCount);
      return { o: oTyped, lse: new Float32Array(lData, 0, o.batch * o.heads * o.qLen), tiles: t, schedule: d ? d.plan.static : p!.schedule, splitRows: p?.packed.combineRows ?? 0 } as unknown as AttentionResult<T>;
    },
    async selection<T extends Tensor>(q: T, k: T, typedOpts: RunOptions<P, I>): Promise<SelectionResult> {
      const o = typedOpts as RunOptions;
      if (!kernel.select) throw new AttentionError('bad_input', `pattern \`${kernel.spec.pattern}\` has no select clause: it selects nothing per call`);
      const { kvHeads, kvLen } = shapeOf(o);
      const typed = !isBuffer(q);
      for (const [name, t, n] of [['q', q, o.batch * o.heads * o.qLen * tiles.headDim], ['k', k, o.batch * kvHeads * kvLen * tiles.headDim]] as const) {
        if (isBuffer(t) === typed) throw new AttentionError('bad_input', 'q and k must both be GPU buffers or both typed arrays');
        if (!isBuffer(t) && (t instanceof Float32Array) !== (dtype === 'f32')) throw new AttentionError('bad_input', `${name} must be a ${dtype === 'f32' ? 'Float32Array' : 'Uint16Array of f16 bits'}`);
        if ((isBuffer(t) ? t.size : t.byteLength) < n * es) throw new AttentionError('bad_input', `${name} has ${isBuffer(t) ? t.size : t.byteLength} bytes, the shape needs ${n * es}`);
      }
      const d = dynamicPlanned(o);
      selectCompiled ??= compileSelection(device);
      const sp = await selectCompiled;
      const temps: GpuBuffer[] = [];
      const tensor = (t: Tensor) => (isBuffer(t) ? t : (temps.push(upload(device, t, BufferUsage.STORAGE)), temps[temps.length - 1]));
      const enc = device.createCommandEncoder();
      temps.push(...encodeSelect(enc, d, sp, tensor(q), tensor(k), o));
      const l = d.plan.layout;
      const read = device.createBuffer({ size: align4(l.dyn.size * 4), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
      enc.copyBufferToBuffer(d.dyn, 0, read, 0, align4(l.dyn.size * 4));
      device.queue.submit([enc.finish()]);
      const words = new Uint32Array(await readBack(read));
      for (const b of [...temps, read]) b.destroy();
      return { nQ: l.nQ, nK: l.nK, cells: cellsFromBits(l, words), numQBlocks: l.nq, numKvBlocks: l.nkv, tiles: statesFromSlots(l, words) };
    },
    destroy() {
      for (const s of schedules.values()) { s.sched.destroy(); s.part.destroy(); s.inputs?.destroy(); }
      schedules.clear();
      for (const s of dynamics.values()) for (const b of [s.planBuf, s.work, s.dyn, s.inputs]) b?.destroy();
      dynamics.clear();
    },
  };
}

/** `n` workgroups (n >= 1) as a grid of rows of at most `perDim` (the device's limit); the kernel skips ids past `n`. */
function dispatchLinear(pass: { dispatchWorkgroups(x: number, y?: number, z?: number): void }, n: number, perDim: number): void {
  const x = Math.min(n, perDim);
  const y = Math.ceil(n / x);
  if (y > perDim) throw new AttentionError('bad_size', `${n} work items exceed the device's ${perDim} x ${perDim} workgroups`);
  pass.dispatchWorkgroups(x, y, 1);
}

const align4 = (n: number) => Math.max(4, Math.ceil(n / 4) * 4);

/**
 * [Note: Short rows] A schedule whose query rows list few key blocks (natten, Swin: two to
 * eight tiles a row) spends a large share of each work item on staging its queries and
 * writing its output, and a 64-row query block covers many pairs its rows do not attend to
 * (a neighbourhood slides along the rows of a block). Half the query block, with 2 rows an
 * invocation (so as many threads as the chosen tiles'), covers fewer of those pairs and gives
 * twice the work items. It pays where the half-height schedule covers at most SHORT_ROW_RATIO
 * (0.8) of the elements the chosen one covers (`halfHeightPays` in schedule-buffer.ts): the half-height tiles run the dense path at 0.76-0.84
 * of the chosen tiles' speed (0.97 in f32 at head dim 128). Measured on an H200 through
 * Vulkan at 16k tokens (bench/results/webgpu-h200-short-*-2026-12-03.json), against the
 * chosen tiles: natten_1d (0.67 of the elements) 1.29x (f16 d64), 1.17x (f16 d128), 1.28x (f32
 * d64), 1.34x (f32 d128); natten_2d (0.68) 1.21x, 1.15x, 1.29x, 1.31x; Swin (0.79) 1.05x, 1.02x,
 * 1.09x, 1.16x; chunked (1.0: no fewer elements) 0.88x, 0.79x, 0.90x, 0.96x. Of the other
 * suite patterns natten_3d covers 0.84 (kept: its two clocks disagree, so it was not judged),
 * the rest 0.95 or more. The key chunk: 32 with f16 arithmetic at head dims up to
 * 64, else 16 (measured: 0.570 ms against 0.629 for natten_1d in f16 at head dim 64; in f32 32-key
 * chunks took 1.40x longer); the half-height tiles must need no more workgroup memory than the
 * chosen ones (WebGPU's default 16 KB gives f16 8-key chunks, and nothing smaller). On a
 * fallback adapter (a CPU: lavapipe) they made the short-row patterns 0.80-0.82x at 256 and 512
 * tokens, so there they are off unless `tiles.shortRows` is true. A call whose half-height
 * schedule qualifies runs it, and its result's `tiles` says so; `tiles` in the config (a block,
 * chunk or row count given, or `shortRows: false`) turns this off, as does a forced box shape.
 * The first call of a shape plans both schedules (natten_2d at 16k tokens: 153 ms, then 81 ms
 * more on this machine); later calls take the cached one.
 */
/**
 * The tiled kernel's override for `device`: `config.tiles`, on a fallback (CPU) adapter with
 * f32 arithmetic and without short-row tiles where it names neither. f16 arithmetic is emulated
 * there: on lavapipe it made the f16 suite 0.73x (geometric mean, 256 and 512 tokens, head dim
 * 64; bench/results/webgpu-lavapipe-f16math-2026-12-03.json); the short-row tiles made the
 * short-row patterns 0.80-0.82x ([Note: Short rows]).
 */
function tiledOverride(device: GpuDevice, config: AttentionConfig): TiledOverride {
  const o = config.tiles ?? {};
  return device.adapterInfo?.isFallbackAdapter === true ? { ...o, math: o.math ?? 'f32', shortRows: o.shortRows ?? false } : o;
}

/** The half-height tiles of a kernel bound with `tiles` ([Note: Short rows]), where they apply. */
function chooseShortRowTiles(device: GpuDevice, tiles: TileConfig, config: AttentionConfig): TileConfig | undefined {
  return shortRowTiles(device.limits, tiles, tiledOverride(device, config), subgroupMinSize(device));
}

function upload(device: GpuDevice, data: ArrayBufferView, usage: number): GpuBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buf = device.createBuffer({ size, usage: usage | BufferUsage.COPY_DST });
  device.queue.writeBuffer(buf, 0, new Uint8Array(data.buffer, data.byteOffset, data.byteLength - (data.byteLength % 4)));
  if (data.byteLength % 4) {
    const tail = new Uint8Array(4);
    const at = data.byteLength - (data.byteLength % 4);
    tail.set(new Uint8Array(data.buffer, data.byteOffset + at, data.byteLength % 4));
    device.queue.writeBuffer(buf, at, tail);
  }
  return buf;
}

async function readBack(buf: GpuBuffer): Promise<ArrayBuffer> {
  await buf.mapAsync(MAP_MODE_READ);
  const copy = buf.getMappedRange().slice(0);
  buf.unmap();
  return copy;
}
