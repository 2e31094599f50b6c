/**
 * The one description of an attention kernel's interface: its bind group (buffers in binding
 * order) and its uniform block (4-byte fields in order). The WGSL emitter renders the
 * template's declarations from it, the generated TypeScript embeds it as JSON, and the
 * launcher (`attention.ts`) builds bind group layouts and uniform bytes from it, so the three
 * can never disagree.
 *
 * Tensor layout: q and o are `[batch, heads, qLen, headDim]`, k and v are
 * `[batch, kvHeads, kvLen, headDim]`, all contiguous (row-major). lse is `[batch, heads, qLen]`
 * float32. Head h reads kv head `h / (heads / kvHeads)` (grouped-query attention).
 */

/** A uniform field: 4 bytes, in declaration order. */
export interface UniformField {
  readonly name: string;
  readonly type: 'i32' | 'u32' | 'f32';
}

/** What a storage binding holds. */
export type BindingRole = 'q' | 'k' | 'v' | 'o' | 'lse' | 'sched' | 'inputs' | 'part';

/** A storage buffer binding; `binding` 0 is always the uniform block `u`. */
export interface StorageBinding {
  readonly binding: number;
  readonly role: BindingRole;
  /** Name of the WGSL variable. */
  readonly name: string;
  readonly access: 'read' | 'read_write';
  /** WGSL element type (`elem4` is the tensor vector type chosen by the kernel header). */
  readonly element: 'elem4' | 'f32' | 'i32' | 'vec4f';
}

/** A runtime scalar of the pattern. */
export interface RuntimeScalar {
  readonly name: string;
  readonly type: 'int' | 'float' | 'bool';
  readonly default?: number | boolean;
}

/**
 * An input array of the pattern: one int per token (`length` `q_len`/`kv_len`), per batch
 * element (`batch`), or, when `batched`, a row of tokens per batch element (row-major).
 */
export interface InputArray {
  readonly name: string;
  readonly length: 'q_len' | 'kv_len' | 'batch';
  readonly batched?: boolean;
}

/** Everything the host needs to know about one pattern's kernel. */
export interface KernelSpec {
  readonly pattern: string;
  readonly uniforms: readonly UniformField[];
  readonly bindings: readonly StorageBinding[];
  readonly runtimeParams: readonly RuntimeScalar[];
  readonly inputs: readonly InputArray[];
  /**
   * The pattern selects key blocks per call (`select`): the kernel reads its schedule from the
   * buffer the selection shaders write (`select-wgsl.ts`) and, in PARTIAL tiles, the cells.
   */
  readonly select?: boolean;
  /**
   * The pattern has a layout of two or three axes: its kernel also runs box schedules
   * (docs/schedule.md, "Box tiles"), the boxes given by the `BOX_UNIFORMS`.
   */
  readonly boxTiles?: boolean;
}

/** Uniform fields every kernel has, before the pattern's own (`p_<name>`, `in_<name>`). */
export const BASE_UNIFORMS: readonly UniformField[] = [
  { name: 'q_len', type: 'i32' },
  { name: 'kv_len', type: 'i32' },
  { name: 'heads', type: 'i32' },
  { name: 'kv_heads', type: 'i32' },
  { name: 'batch', type: 'i32' },
  { name: 'group_table', type: 'i32' },
  { name: 'scale', type: 'f32' },
];

/**
 * Uniform fields of a kernel with a `select` clause, after the pattern's own: the clause's block
 * sizes, query blocks, words per row of cell bits, and where the cells are in `sched` (an i32
 * offset; the rows of the merged schedule start at 0).
 */
export const SELECT_KERNEL_UNIFORMS: readonly UniformField[] = ['sel_bq', 'sel_bk', 'sel_nq', 'sel_words', 'sel_cells'].map((name) => ({ name, type: 'i32' as const }));

/**
 * Uniform fields of a kernel that takes box tiles, after the pattern's own: `box_tiles` (1 for a
 * box schedule, 0 for strips), the query and key box shapes and the boxes per axis of the
 * later two axes (the layout's axes padded at the end with axes of size 1 to three), and the
 * grid sizes of the later two axes. `box-uniforms.ts` computes them from a schedule.
 */
export const BOX_UNIFORMS: readonly UniformField[] = ['box_tiles', 'q_box0', 'q_box1', 'q_box2', 'q_grid1', 'q_grid2', 'kv_box0', 'kv_box1', 'kv_box2', 'kv_grid1', 'kv_grid2', 'grid_n1', 'grid_n2'].map((name) => ({ name, type: 'i32' as const }));

/**
 * Uniform fields of a kernel without a `select` clause, after the others: the work entries
 * the tiled kernel's dispatch runs and where they start in `sched`, the schedule's query
 * blocks, and the split rows its combine pass merges and where their table starts
 * ([Note: Split rows] in schedule-buffer.ts).
 */
export const WORK_UNIFORMS: readonly UniformField[] = ['work_items', 'work_base', 'q_blocks', 'combine_rows', 'combine_base'].map((name) => ({ name, type: 'i32' as const }));

/** Builds the spec of a pattern from its runtime scalars and input arrays (and whether it selects per call, or takes box tiles). */
export function kernelSpec(pattern: string, runtimeParams: readonly RuntimeScalar[], inputs: readonly InputArray[], select = false, boxTiles = false): KernelSpec {
  const uniforms: UniformField[] = [...BASE_UNIFORMS];
  for (const p of runtimeParams) uniforms.push({ name: `p_${p.name}`, type: p.type === 'float' ? 'f32' : p.type === 'bool' ? 'u32' : 'i32' });
  for (const a of inputs) uniforms.push({ name: `in_${a.name}`, type: 'i32' });
  if (select) uniforms.push(...SELECT_KERNEL_UNIFORMS);
  if (boxTiles) uniforms.push(...BOX_UNIFORMS);
  if (!select) uniforms.push(...WORK_UNIFORMS);
  const bindings: StorageBinding[] = [
    { binding: 1, role: 'q', name: 'qbuf', access: 'read', element: 'elem4' },
    { binding: 2, role: 'k', name: 'kbuf', access: 'read', element: 'elem4' },
    { binding: 3, role: 'v', name: 'vbuf', access: 'read', element: 'elem4' },
    { binding: 4, role: 'o', name: 'obuf', access: 'read_write', element: 'elem4' },
    { binding: 5, role: 'lse', name: 'lse', access: 'read_write', element: 'f32' },
    { binding: 6, role: 'sched', name: 'sched', access: 'read', element: 'i32' },
  ];
  if (inputs.length) bindings.push({ binding: 7, role: 'inputs', name: 'inputs', access: 'read', element: 'i32' });
  // The parts of split rows (the tiled kernel; [Note: Split rows]): 8 storage buffers at most, WebGPU's default.
  if (!select) bindings.push({ binding: 8, role: 'part', name: 'part', access: 'read_write', element: 'vec4f' });
  return { pattern, uniforms, bindings, runtimeParams, inputs, ...(select ? { select: true } : {}), ...(boxTiles ? { boxTiles: true } : {}) };
}

/** Values of the uniform fields, by name. */
export type UniformValues = Readonly<Record<string, number | boolean>>;

/** Packs uniform values into bytes (size rounded up to 16, as uniform buffers want). */
export function packUniforms(spec: KernelSpec, values: UniformValues): Uint8Array {
  const bytes = new Uint8Array(Math.ceil((spec.uniforms.length * 4) / 16) * 16);
  const view = new DataView(bytes.buffer);
  spec.uniforms.forEach((f, i) => {
    const v = values[f.name];
    if (v === undefined) throw new Error(`no value for uniform field ${f.name}`);
    const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
    if (f.type === 'f32') view.setFloat32(i * 4, n, true);
    else if (f.type === 'u32') view.setUint32(i * 4, n, true);
    else view.setInt32(i * 4, n, true);
  });
  return bytes;
}
