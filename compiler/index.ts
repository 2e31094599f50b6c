/**
 * attnc as a library (`import ... from 'attnc'`): the pipeline of `compiler/pipeline.ts`
 * behind a few calls, each returning diagnostics instead of printing them.
 *
 *   const { patterns, diagnostics } = check(text, { name: 'mine.attn' });
 *   const p = bind(patterns[0], { window: 256 });              // compile-time values
 *   const schedule = plan(p, { qLen: 4096, kvLen: 4096, heads: 8, blockQ: 128, blockKv: 128 });
 *   const files = await emit(p, 'cuda');                      // or 'wgsl', 'ts', 'flex'
 *   const est = simulate(p, { gpu: 'h200', kernel: 'attnc-cuda', qLen: 16384 });
 *
 * User mistakes come back as `Diagnostic`s (code, message, span); `AttncError` carries them
 * when a call cannot go on. Anything else thrown is a bug in attnc.
 */
import { bindParams, type BoundPattern, type ParamValue } from './2-check/bind.ts';
import { Diagnostics, UserError, type Diagnostic } from './diagnostics/diagnostic.ts';
import { renderDiagnostics } from './diagnostics/render.ts';
import type { ReadFile } from './2-check/load.ts';
import type { CheckedPattern } from './ir/program.ts';
import { checkSource, lowerToPlanner, readFromDisk, type LoweredPattern } from './pipeline.ts';
import { refuseDynamic, TARGETS, type EmittedFile } from './4-emit/targets.ts';
import { renderSvg } from './4-emit/viz/svg.ts';
import { loadProfile, ProfileError, profileNames, profileProblems, type GpuProfile } from './5-simulate/profile.ts';
import { hasPass, simulatePass, SIM_PASSES } from './5-simulate/passes.ts';
import type { SimPass, SimResult, SimShape } from './5-simulate/simulate.ts';
import { planSchedule } from '../runtime/schedule/plan.ts';
import { scheduleToJson, scheduleToNpz, scheduleToText, summarize } from '../runtime/schedule/export.ts';
import { PlanError, type PlanConfig, type Schedule } from '../runtime/schedule/types.ts';

export type { BoundPattern, CheckedPattern, Diagnostic, EmittedFile, GpuProfile, ParamValue, PlanConfig, ReadFile, Schedule, SimPass, SimResult, SimShape };
export { PlanError, renderDiagnostics, renderSvg, scheduleToJson, scheduleToNpz, scheduleToText, summarize, profileNames, SIM_PASSES };

/** A call could not go on because of the user's input; `diagnostics` say why. */
export class AttncError extends Error {
  constructor(readonly diagnostics: readonly Diagnostic[]) {
    super(renderDiagnostics(diagnostics));
    this.name = 'AttncError';
  }
}

function fail(diags: Diagnostics): never {
  throw new AttncError(diags.sorted());
}

/** Options of `check`. */
export interface CheckOptions {
  /** The file name diagnostics show (default `input.attn`); imports resolve from it. */
  readonly name?: string;
  /** Reads imported files; default: none (imports are refused as not found). */
  readonly readFile?: ReadFile;
}

/** Parses and checks a `.attn` source. Never throws on bad input: errors are in `diagnostics`. */
export function check(text: string, opts: CheckOptions = {}): { patterns: readonly CheckedPattern[]; diagnostics: readonly Diagnostic[]; ok: boolean } {
  const diags = new Diagnostics();
  const prog = checkSource({ name: opts.name ?? 'input.attn', text }, diags, opts.readFile ?? (() => undefined));
  return { patterns: prog?.patterns ?? [], diagnostics: diags.sorted(), ok: !!prog && !diags.hasErrors };
}

/** Reads imports from the file system (for `check`'s `readFile`). */
export const readFiles: ReadFile = readFromDisk;

/** A pattern with its compile-time parameters bound, ready to plan, emit and simulate. */
export interface Pattern {
  readonly name: string;
  readonly bound: BoundPattern;
  /** The lowered form (planner IR and the loaded planner), made once. */
  readonly lowered: LoweredPattern;
}

/** Binds compile-time parameter values (text as on the command line, or values); throws `AttncError`. */
export function bind(pattern: CheckedPattern, values: Readonly<Record<string, string | ParamValue>> = {}): Pattern {
  const diags = new Diagnostics();
  const bound = bindParams(pattern, values, diags);
  if (!bound || diags.hasErrors) fail(diags);
  return { name: pattern.name, bound, lowered: lowerToPlanner(bound) };
}

/** The block-sparse schedule for one problem size; throws `PlanError` for sizes the pattern refuses. */
export function plan(p: Pattern, cfg: PlanConfig): Schedule {
  return planSchedule(p.lowered.planner, cfg);
}

/** The names of the code generation targets (`wgsl`, `ts`, `cuda`, `flex`). */
export const targets: readonly string[] = Object.keys(TARGETS);

/** Options of `emit`. */
export interface EmitOptions {
  /** The source path generated files name in their header (default: the pattern's file). */
  readonly sourceName?: string;
  /** For the `ts` target: where the binding imports attnc's WebGPU runtime from (default `attnc/webgpu`). */
  readonly runtimeImport?: string;
}

/** One target's files for a pattern, in memory. */
export async function emit(p: Pattern, target: string, opts: EmitOptions = {}): Promise<readonly EmittedFile[]> {
  if (!Object.hasOwn(TARGETS, target)) {
    const diags = new Diagnostics();
    diags.report('bad_param_value', `unknown target \`${target}\` (targets: ${targets.join(', ')})`);
    fail(diags);
  }
  const diags = new Diagnostics();
  if (refuseDynamic(p.bound.pattern, `the ${target} target`, diags, target)) fail(diags);
  return TARGETS[target].emit({ bound: p.bound, lowered: p.lowered, sourceName: opts.sourceName ?? p.bound.pattern.file.name, runtimeImport: opts.runtimeImport ?? 'attnc/webgpu' });
}

/** Options of `simulate`: the GPU (a bundled profile name or a profile), the kernel and the shape. */
export interface SimulateOptions extends Partial<Omit<SimShape, 'qLen'>> {
  readonly gpu?: string | GpuProfile;
  readonly kernel?: string;
  readonly pass?: SimPass;
  readonly qLen: number;
}

/** Estimates a pattern's time and speedup over dense attention on a GPU from its real schedule. */
export function simulate(p: Pattern, opts: SimulateOptions): SimResult {
  const diags = new Diagnostics();
  let gpu: GpuProfile | undefined;
  try {
    gpu = typeof opts.gpu === 'object' && opts.gpu !== null ? opts.gpu : loadProfile(opts.gpu ?? 'h100');
  } catch (e) {
    if (!(e instanceof ProfileError) && !(e instanceof SyntaxError)) throw e;
    diags.report('bad_param_value', `GPU profile \`${String(opts.gpu)}\` is not a hardware profile: ${e.message}`);
    fail(diags);
  }
  const problems = profileProblems(gpu ?? {});
  if (gpu && problems.length) {
    diags.report('bad_param_value', `the GPU profile is not a hardware profile: ${new ProfileError(problems).message}`);
    fail(diags);
  }
  if (!gpu) {
    diags.report('bad_param_value', `unknown GPU profile \`${String(opts.gpu)}\` (profiles: ${profileNames().join(', ')})`);
    fail(diags);
  }
  const kernel = opts.kernel ?? 'attnc-cuda';
  const pass = opts.pass ?? 'forward';
  if (!hasPass(gpu, kernel, pass)) {
    diags.report('bad_param_value', `the ${gpu.name} profile has no ${pass} model of kernel \`${kernel}\``);
    fail(diags);
  }
  const shape: SimShape = {
    batch: opts.batch ?? 1, heads: opts.heads ?? 16, kvHeads: opts.kvHeads ?? opts.heads ?? 16,
    qLen: opts.qLen, kvLen: opts.kvLen ?? opts.qLen, headDim: opts.headDim ?? 128, dtypeBytes: opts.dtypeBytes ?? 2,
    params: opts.params, inputs: opts.inputs, tiles: opts.tiles,
  };
  try {
    return simulatePass(p.bound, p.lowered.planner, gpu, kernel, shape, pass);
  } catch (e) {
    if (e instanceof UserError) fail(e.diagnostics);
    throw e;
  }
}
