/**
 * Emits the WGSL attention kernel of a bound pattern. The decisions live in a typed view
 * model (the kernel interface, the printed mask, bias and soft-cap); the handlebars template
 * `templates/wgsl/attention.wgsl.hbs` holds only the kernel's layout. The result is a kernel
 * *body*: it names the specialisation constants (`HEAD_DIM`, `BLOCK_Q`, ...) that
 * `kernelHeader` in `runtime/webgpu/tiles.ts` declares, so the host picks tile shapes from
 * the device's limits and the body is emitted once per pattern.
 */
import * as fs from 'node:fs';
import Handlebars from 'handlebars';
import type { BoundPattern } from '../../2-check/bind.ts';
import type * as M from '../../ir/mask.ts';
import { invariant } from '../../diagnostics/diagnostic.ts';
import { kernelSpec, type KernelSpec, type StorageBinding, type UniformField } from '../../../runtime/webgpu/interface.ts';
import { kernelSource, type KernelVariant, type TileConfig } from '../../../runtime/webgpu/tiles.ts';
import { MAX_BOX_AXES } from '../../../runtime/webgpu/box-uniforms.ts';
import { printWgslLets } from './print-wgsl-expr.ts';
import { stageMask } from '../../ir/stage-mask.ts';
import { intOpsWgsl } from '../int-ops.ts';
import { packagePath } from '../../../runtime/io/package-root.ts';

/** The template's view model. */
export interface WgslViewModel {
  readonly pattern: string;
  readonly uniforms: readonly UniformField[];
  readonly bindings: readonly StorageBinding[];
  /** WGSL bool expression over q, k, h, b (in bounds); used in PARTIAL tiles only. */
  readonly mask: string;
  /** WGSL f32 expression added to the score, or '' for none. */
  readonly bias: string;
  /** WGSL f32 soft-cap value, or '' for none. */
  readonly softcap: string;
  /** The integer operations' helpers (compiler/4-emit/int-ops.ts). */
  readonly intOps: string;
  /**
   * Functions `attn_mask`, `attn_softcap`, `attn_bias` of (q, k, h, b) for the expressions with
   * shared nodes (`let`s, repeated `fn` calls), which bind them to locals once; '' if none.
   */
  readonly functions: string;
  /**
   * A pattern with a `select` clause: the kernel walks the merged schedule the selection
   * shaders wrote (per row: FULL and PARTIAL counts and a slot of key blocks), and `mask` is
   * `R && (A || attn_selected(q, k, h, b))`.
   */
  readonly select: boolean;
  /** The pattern's layout has two or three axes: the kernel also runs box schedules ([Note: Box tiles]). */
  readonly boxTiles: boolean;
  /**
   * The mask in stages ([Note: Staged mask]), for the tiled kernel's PARTIAL tiles: `query`,
   * each row computes `mq = attn_mask_q(q, h, b)` once per work item; `key`, the lane's keys
   * `mk[t] = attn_mask_k(k, h, b)` once per chunk;
   * `expr` is the mask over q, k, h, b, mq and mk[t]. False when no part of the mask depends
   * on one side only (or with a select clause): the kernel evaluates `mask` per pair.
   * `functions`: the stage structs and functions (the tiled kernel only).
   */
  readonly staged: false | { readonly query: boolean; readonly key: boolean; readonly expr: string; readonly functions: string };
}

/** An emitted kernel: its interface and its WGSL body (without the specialisation header). */
export interface WgslKernel {
  readonly spec: KernelSpec;
  readonly body: string;
}

const templates = new Map<KernelVariant, HandlebarsTemplateDelegate<WgslViewModel>>();
const TEMPLATE_FILES: Record<KernelVariant, string> = { simple: 'templates/wgsl/attention.wgsl.hbs', tiled: 'templates/wgsl/attention-tiled.wgsl.hbs' };
/** The helpers both kernels include (`{{> helpers}}`). */
const HELPERS_FILE = 'templates/wgsl/helpers.wgsl.hbs';

function attentionTemplate(variant: KernelVariant): HandlebarsTemplateDelegate<WgslViewModel> {
  let template = templates.get(variant);
  if (!template) {
    const read = (f: string) => fs.readFileSync(packagePath(f), 'utf8');
    const hb = Handlebars.create();
    hb.registerPartial('helpers', read(HELPERS_FILE));
    template = hb.compile<WgslViewModel>(read(TEMPLATE_FILES[variant]), { noEscape: true, strict: true });
    templates.set(variant, template);
  }
  return template;
}

/** The kernel interface of a bound pattern: its runtime scalars and input arrays. */
export function patternKernelSpec(bp: BoundPattern): KernelSpec {
  const runtimeParams = bp.runtimeParams.map((p) => {
    invariant(p.type !== 'int[]' && p.type !== 'float[]', `runtime parameter ${p.name} has an array type`);
    return { name: p.name, type: p.type, ...(p.default !== undefined ? { default: p.default } : {}) };
  });
  const inputs = bp.inputs.map((p) => ({ name: p.name, length: p.length ?? 'kv_len', ...(p.batched ? { batched: true } : {}) }));
  const axes = bp.layout?.length ?? 0;
  return kernelSpec(bp.pattern.name, runtimeParams, inputs, Boolean(bp.select), !bp.select && axes >= 2 && axes <= MAX_BOX_AXES);
}

/** Builds the view model of a bound pattern. */
export function wgslViewModel(bp: BoundPattern): WgslViewModel {
  const spec = patternKernelSpec(bp);
  const functions: string[] = [];
  // An expression without shared nodes is printed in place; one with them becomes a function
  // whose body binds them (called where the expression was, so it runs under the same guards).
  const expr = (e: M.MExpr | undefined, name: string, type: string): string => {
    if (!e) return '';
    const { lets, exprs } = printWgslLets([e]);
    if (!lets.length) return exprs[0];
    functions.push(wgslFn(`fn ${name}(q: i32, k: i32, h: i32, b: i32) -> ${type}`, lets, exprs[0]));
    return `${name}(q, k, h, b)`;
  };
  // With a select clause the mask is (A || Sel[b, h, q / BQ, k / BK]) && R; bp.mask is only A && R.
  const mask = bp.select
    ? `(${expr(bp.select.restriction, 'attn_restriction', 'bool')} && (${expr(bp.select.allow, 'attn_allow', 'bool')} || attn_selected(q, k, h, b)))`
    : expr(bp.mask, 'attn_mask', 'bool');
  const staged = bp.select || !bp.mask ? false : stagedMask(bp.mask);
  const softcap = expr(bp.softcap, 'attn_softcap', 'f32');
  const bias = expr(bp.bias, 'attn_bias', 'f32');
  return {
    pattern: bp.pattern.name,
    uniforms: spec.uniforms,
    bindings: spec.bindings,
    mask,
    bias,
    softcap,
    intOps: intOpsWgsl(),
    functions: functions.join('\n'),
    select: Boolean(bp.select),
    boxTiles: Boolean(spec.boxTiles),
    staged,
  };
}

/** A WGSL function: `signature` (without its brace), its `lets`, then `return result`. */
const wgslFn = (signature: string, lets: readonly string[], result: string) => [`${signature} {`, ...lets.map((l) => `  ${l}`), `  return ${result};`, '}', ''].join('\n');

const WGSL_TYPE = { int: 'i32', float: 'f32', bool: 'bool' } as const;
/** Most values a side of the staged mask keeps (registers per row or per key). */
const MAX_STAGE_VALUES = 8;

/**
 * The mask in stages ([Note: Staged mask]), with its structs and functions (`MaskQ`,
 * `attn_mask_q`, `MaskK`, `attn_mask_k`, `attn_mask_qk`); false when the mask has no stage.
 */
function stagedMask(mask: M.MExpr): WgslViewModel['staged'] {
  // Each query-stage value stays in a register per row for the whole work item, each
  // key-stage value one per key of the lane's chunk: a side with more values is not staged.
  const all = stageMask(mask);
  const stages = { q: all.q.length <= MAX_STAGE_VALUES ? all.q : [], k: all.k.length <= MAX_STAGE_VALUES ? all.k : [] };
  if (!stages.q.length && !stages.k.length) return false;
  const names = new Map<M.MExpr, string>();
  const functions: string[] = [];
  const sides = [
    { nodes: stages.q, struct: 'MaskQ', fn: 'attn_mask_q', index: 'q', value: 'mq' },
    { nodes: stages.k, struct: 'MaskK', fn: 'attn_mask_k', index: 'k', value: 'mk' },
  ].filter((side) => side.nodes.length);
  for (const side of sides) {
    const { lets, exprs } = printWgslLets(side.nodes);
    functions.push([`struct ${side.struct} {`, ...side.nodes.map((n, i) => `  v${i}: ${WGSL_TYPE[n.type]},`), '}', ''].join('\n'));
    functions.push(wgslFn(`fn ${side.fn}(${side.index}: i32, h: i32, b: i32) -> ${side.struct}`, lets, `${side.struct}(${exprs.join(', ')})`));
    side.nodes.forEach((n, i) => names.set(n, `${side.value}.v${i}`));
  }
  const { lets, exprs } = printWgslLets([mask], undefined, names);
  const params = sides.map((side) => `, ${side.value}: ${side.struct}`).join('');
  functions.push(wgslFn(`fn attn_mask_qk(q: i32, k: i32, h: i32, b: i32${params}) -> bool`, lets, exprs[0]));
  const query = Boolean(stages.q.length), key = Boolean(stages.k.length);
  return { query, key, expr: `attn_mask_qk(q, k, h, b${query ? ', mq' : ''}${key ? ', mk[t]' : ''})`, functions: functions.join('\n') };
}

/**
 * Emits the kernel body and interface of a bound pattern: the default (`simple`) kernel, or
 * the opt-in register-tiled one (`tiled`), which the launcher runs with tiles from
 * `chooseTiledTiles` (`AttentionConfig.kernel`). Both take the same spec and bindings.
 */
export function emitWgsl(bp: BoundPattern, variant: KernelVariant = 'simple'): WgslKernel {
  return { spec: patternKernelSpec(bp), body: attentionTemplate(variant)(wgslViewModel(bp)) };
}

/** A complete WGSL module: the header for `tiles`, then the body (register-tile loops unrolled). */
export function wgslModule(kernel: WgslKernel, tiles: TileConfig): string {
  return kernelSource(tiles, kernel.body);
}
