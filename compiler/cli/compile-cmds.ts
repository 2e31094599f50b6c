/**
 * `attnc compile` (emit kernels and bindings through the target table in
 * `4-emit/targets.ts`) and `attnc run` (run a pattern on .npy tensors through WebGPU; on a
 * machine whose Node has no WebGPU, through Deno's, e.g. on Mesa's lavapipe).
 *
 * A pattern with a `select` clause runs as any other: the runtime selects its key blocks on the
 * GPU per call (runtime/webgpu/select.ts); a score input comes as `--input NAME=FILE.npy`
 * (float32 or float64 [batch, heads, q_blocks, kv_blocks]), and `--check` compares with the
 * reference selection's mask.
 *
 * [Note: no_webgpu] When no WebGPU implementation is available (no Deno, or no adapter
 * because no Vulkan driver is installed), `run` prints `error[no_webgpu]` and exits 1. The
 * code is not in `diagnostics/codes.ts` yet: every code there needs a sample folder under
 * test/diagnostics/samples unless that test lists it as CLI-only, which this change does
 * not touch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { bindParams, checkRuntimeValues, resolveParamValues, withRuntimeDefaults, type BoundPattern } from '../2-check/bind.ts';
import { F32_MAX } from '../ir/fold.ts';
import { DIAGNOSTIC_CODES, type DiagnosticCode } from '../diagnostics/codes.ts';
import { Diagnostics, InternalError, UserError } from '../diagnostics/diagnostic.ts';
import { biasAt, maskAt, softcapAt, type EvalContext } from '../eval/evaluate.ts';
import { referenceSelection } from '../eval/select.ts';
import { printSelection } from '../4-emit/planner/print-selection.ts';
import { callSelection } from '../plan-dynamic.ts';
import { SCORE_INPUT_TYPE } from '../ir/program.ts';
import { selectionBlocks } from '../../runtime/schedule/select-scores.ts';
import { PlanError } from '../../runtime/schedule/types.ts';
import { refuseDynamic, TARGETS } from '../4-emit/targets.ts';
import { emitWgsl } from '../4-emit/wgsl/emit-wgsl.ts';
import { checkSource, lowerToPlanner } from '../pipeline.ts';
import { OutputBatch } from '../../runtime/io/files.ts';
import { writeNpy, type NpyArray } from '../../runtime/io/npy.ts';
import { NoWebGpuError, runInDeno, tensorDir } from '../../runtime/webgpu/deno.ts';
import { fromHalfArray } from '../../runtime/webgpu/f16.ts';
import { checkOutput, maxAbsOf, referenceAttention } from '../../runtime/webgpu/reference.ts';
import { describeTiles, HEAD_DIMS, type KernelVariant } from '../../runtime/webgpu/tiles.ts';
import { parseTilesOption } from './tiles-arg.ts';
import { EXIT, guard } from './report.ts';
import { addSourceOptions, collectParam, loadOptions, parseParamArgs, requireSource, type SourceOptions } from './source.ts';
import { loadInputArrays, readNpyInput } from './plan-args.ts';
import { packagePath } from '../../runtime/io/package-root.ts';

const RUNTIME_DIR = packagePath('runtime');
const BACKENDS = ['webgpu'] as const;

interface CompileOptions extends SourceOptions { target: string; out: string; pattern?: string; param: Record<string, string>; runtimeImport?: string }
interface RunOptions extends SourceOptions { backend: string; q: string; k: string; v: string; out?: string; lse?: string; pattern?: string; scale?: string; param: Record<string, string>; input: Record<string, string>; check?: boolean; defaultLimits?: boolean; tiles: string; kernel: string }

/** Adds `compile` and `run` to the CLI. */
export function registerCompileCommands(program: Command, setStatus: (n: number) => void): void {
  addSourceOptions(program
    .command('compile')
    .description('Emit kernels and bindings for the patterns of a file (all of them unless --pattern).')
    .argument('<file>', '.attn file')
    .option('--target <list>', `comma-separated targets: ${Object.keys(TARGETS).join(', ')}`, 'wgsl,ts')
    .requiredOption('--out <dir>', 'output folder')
    .option('--pattern <name>', 'compile only this pattern')
    .option('--param <name=value>', 'set a compile-time parameter (repeatable)', collectParam, {})
    .option('--runtime-import <path>', "where generated TypeScript imports attnc's WebGPU runtime from: a package specifier (default for an installed attnc: attnc/webgpu) or the path of a checkout's runtime/ folder (default in a checkout: relative to --out)"))
    .action(async (file: string, o: CompileOptions) => {
      const diags = new Diagnostics();
      setStatus(await guard(diags, () => runCompile(file, o, diags)));
    });

  addSourceOptions(program
    .command('run')
    .description('Run a pattern on .npy tensors (float32/float16, [batch, heads, seq, head_dim]) and write the output.')
    .argument('<file>', '.attn file')
    .option('--backend <name>', BACKENDS.join(' | '), 'webgpu')
    .requiredOption('--q <file.npy>', 'queries [B, H, S_q, D]')
    .requiredOption('--k <file.npy>', 'keys [B, H_kv, S_kv, D]')
    .requiredOption('--v <file.npy>', 'values [B, H_kv, S_kv, D]')
    .option('-o, --out <file.npy>', 'output [B, H, S_q, D], in the dtype of q')
    .option('--lse <file.npy>', 'also write the log-sum-exp per row [B, H, S_q] (float32, natural log; -inf for a row with no key)')
    .option('--pattern <name>', 'pattern to use when the file defines several')
    .option('--scale <x>', 'score scale (default 1/sqrt(D))')
    .option('--param <name=value>', 'set a parameter (repeatable)', collectParam, {})
    .option('--input <name=file.npy>', 'per-token input array, or a select score input (repeatable)', collectParam, {})
    .option('--tiles <shape>', 'tiles of a pattern with a 2-D or 3-D layout: auto (the cheaper of strips and boxes), strip, or a box such as 8x8 in grid coordinates (axes in layout order; 8x8,4x16 gives the query and the key box; docs/schedule.md)', 'auto')
    .option('--check', 'also compute the float64 reference and print the error')
    .option('--default-limits', "use WebGPU's default limits instead of the adapter's")
    .option('--kernel <variant>', 'WGSL kernel: tiled (register-tiled, the default; the simple kernel runs where its tiles do not fit the workgroup memory) or simple', 'tiled'))
    .action(async (file: string, o: RunOptions) => {
      const diags = new Diagnostics();
      setStatus(await guard(diags, () => runRun(file, o, diags)));
    });
}

/** Path of `sourceName` for headers: relative to the working folder, `/`-separated. */
function displayName(file: string): string {
  const rel = path.relative(process.cwd(), path.resolve(file));
  return (rel.startsWith('..') || path.isAbsolute(rel) ? path.basename(file) : rel).split(path.sep).join('/');
}

async function runCompile(file: string, o: CompileOptions, diags: Diagnostics): Promise<number> {
  const names = o.target.split(',').map((t) => t.trim()).filter(Boolean);
  if (!names.length) diags.report('bad_param_value', `--target names no target (targets: ${Object.keys(TARGETS).join(', ')})`);
  for (const t of names) if (!Object.hasOwn(TARGETS, t)) diags.report('bad_param_value', `unknown target \`${t}\` (targets: ${Object.keys(TARGETS).join(', ')})`);
  const params = parseParamArgs(o.param, diags);
  const load = loadOptions(o, diags);
  const src = requireSource(file, diags);
  const prog = checkSource(src, diags, undefined, load);
  if (!prog || diags.hasErrors) throw new UserError(diags);
  const patterns = o.pattern === undefined ? prog.patterns : prog.patterns.filter((p) => p.name === o.pattern);
  if (!patterns.length) {
    diags.report('unknown_pattern', o.pattern === undefined ? `${file} defines no pattern` : `${file} has no pattern \`${o.pattern}\` (it has: ${prog.patterns.map((p) => p.name).join(', ')})`);
    throw new UserError(diags);
  }
  // An installed package ships the runtime built (`attnc/webgpu`); a checkout has its sources.
  const runtimeImport = o.runtimeImport ?? (fs.existsSync(path.join(RUNTIME_DIR, 'webgpu', 'index.ts')) ? toImportPath(path.relative(path.resolve(o.out), RUNTIME_DIR)) : 'attnc/webgpu');
  // Every file is produced before any is written, and all are written or none: a pattern
  // that fails leaves no files of the others behind.
  const outputs: { name: string; contents: string | Uint8Array }[] = [];
  const producer = new Map<string, string>();
  for (const pattern of patterns) {
    if (names.map((t) => refuseDynamic(pattern, `the ${t} target`, diags, t)).some(Boolean)) continue;
    // A runtime parameter's value comes with each call of the generated code, not at compile time.
    const runtimeGiven = Object.keys(params).filter((n) => pattern.params.some((x) => x.name === n && x.mode === 'runtime'));
    for (const n of runtimeGiven) diags.report('bad_param_value', `\`${n}\` is a runtime parameter of pattern \`${pattern.name}\`: the generated code takes its value at each call, so compile does not take it (--param gives compile-time parameters)`);
    if (runtimeGiven.length) continue;
    const bound = bindParams(pattern, params, diags);
    if (!bound) continue;
    // A call that gives no runtime values uses their defaults: they must make valid score modifications.
    if (!checkRuntimeValues(bound, {}, diags)) continue;
    const lowered = lowerToPlanner(bound);
    for (const t of names) {
      for (const f of await TARGETS[t].emit({ bound, lowered, sourceName: displayName(file), runtimeImport })) {
        const what = `the ${t} output of pattern \`${pattern.name}\``;
        const earlier = producer.get(f.name);
        if (earlier !== undefined) diags.report('output_conflict', `\`${f.name}\` would be both ${earlier} and ${what}: rename a pattern, or compile them separately`);
        producer.set(f.name, what);
        outputs.push({ name: path.join(o.out, f.name), contents: f.contents });
      }
    }
  }
  if (diags.hasErrors) throw new UserError(diags);
  const batch = new OutputBatch();
  for (const f of outputs) batch.add(f.name, f.contents);
  batch.commit();
  process.stdout.write(`wrote ${outputs.map((f) => f.name).join(', ')}\n`);
  return EXIT.ok;
}

const toImportPath = (rel: string) => {
  const p = rel.split(path.sep).join('/');
  return p.startsWith('.') ? p : `./${p}`;
};

function readTensor(what: string, file: string, diags: Diagnostics): NpyArray | undefined {
  const a = readNpyInput(`--${what}`, file, diags);
  if (!a) return undefined;
  const why = a.dtype !== 'f4' && a.dtype !== 'f2' ? `expected float32 or float16, got dtype ${a.dtype}`
    : a.shape.length !== 4 ? `expected shape [batch, heads, seq, head_dim], got (${a.shape.join(', ')})` : undefined;
  if (why === undefined) return a;
  diags.report('bad_input', `--${what} ${file}: ${why}`);
  return undefined;
}

function bindForRun(file: string, o: RunOptions, diags: Diagnostics, batch?: number): { bound: BoundPattern; runtime: Record<string, number | boolean>; inputs: Record<string, Int32Array> } {
  const params = parseParamArgs(o.param, diags);
  const load = loadOptions(o, diags);
  const prog = checkSource(requireSource(file, diags), diags, undefined, load);
  if (!prog) throw new UserError(diags);
  const pattern = o.pattern === undefined && prog.patterns.length === 1 ? prog.patterns[0] : prog.patterns.find((p) => p.name === o.pattern);
  if (!pattern) {
    diags.report('unknown_pattern', `choose one of ${prog.patterns.map((p) => p.name).join(', ') || '(none)'} with --pattern`);
    throw new UserError(diags);
  }
  const bound = bindParams(pattern, params, diags);
  const runtime = resolveParamValues(pattern, params, diags, ['runtime']);
  // Shapes as declared: [len], [batch] or [batch, len], whose batch must be q's.
  const { inputs } = loadInputArrays(pattern, o.input, diags, batch, true, "q's batch");
  if (bound) checkRuntimeValues(bound, runtime, diags);
  if (!bound || diags.hasErrors) throw new UserError(diags);
  // The reference evaluator (--check) reads every runtime value: defaults included.
  return { bound, runtime: withRuntimeDefaults(bound, runtime), inputs };
}

async function runRun(file: string, o: RunOptions, diags: Diagnostics): Promise<number> {
  if (!(BACKENDS as readonly string[]).includes(o.backend)) diags.report('bad_param_value', `unknown backend \`${o.backend}\` (backends: ${BACKENDS.join(', ')})`);
  const scale = o.scale === undefined ? undefined : o.scale.trim() === '' ? NaN : Number(o.scale);
  if (scale !== undefined && !(Number.isFinite(scale) && scale !== 0 && Math.abs(scale) <= F32_MAX)) {
    diags.report('bad_param_value', `--scale expects a nonzero finite number (an f32), got \`${o.scale}\``);
  }
  const [q, k, v] = (['q', 'k', 'v'] as const).map((w) => readTensor(w, o[w], diags));
  if (q && k && v) {
    const [B, H, S, D] = q.shape, [kb, kvh, skv, kd] = k.shape;
    if (k.dtype !== q.dtype || v.dtype !== q.dtype) diags.report('bad_input', 'q, k and v must have the same dtype');
    if (kb !== B || kd !== D || v.shape.join() !== k.shape.join()) diags.report('bad_input', `shapes do not agree: q (${q.shape.join(', ')}), k (${k.shape.join(', ')}), v (${v.shape.join(', ')})`);
    else if (H % kvh !== 0) diags.report('bad_input', `k has ${kvh} heads, which must divide the ${H} heads of q`);
    if (!HEAD_DIMS.includes(D)) diags.report('bad_size', `head_dim ${D} is not supported (a multiple of 16 from 16 to 256)`);
    void S; void skv;
  }
  const boxes = parseTilesOption(o.tiles ?? 'auto', diags);
  const variant = o.kernel ?? 'tiled';
  if (variant !== 'simple' && variant !== 'tiled') diags.report('bad_param_value', `unknown --kernel \`${variant}\` (kernels: simple, tiled)`);
  const { bound, runtime, inputs } = bindForRun(file, o, diags, q?.shape[0]);
  if (!q || !k || !v || diags.hasErrors) throw new UserError(diags);
  const [batch, heads, qLen, headDim] = q.shape, [, kvHeads, kvLen] = k.shape;
  const dtype = q.dtype === 'f2' ? 'f16' : 'f32';
  const gate = bound.select ? readScoreInput(bound, o, { batch, heads, kvHeads, qLen, kvLen, params: runtime, inputs }, diags) : undefined;
  const files = tensorDir();
  try {
    const { spec, body } = emitWgsl(bound);
    let results;
    // Deno's WebGPU on a CPU adapter (Mesa's lavapipe) compiles the shaders on the first run
    // of a kernel, for minutes on a small machine, and prints nothing meanwhile.
    if (process.stderr.isTTY) process.stderr.write('running the kernel with Deno\'s WebGPU (on a CPU adapter the first run of a kernel compiles its shaders: up to a few minutes; later runs reuse them)...\n');
    try {
      results = runInDeno({
        defaultLimits: o.defaultLimits,
        kernels: [{ spec, body, tiledBody: emitWgsl(bound, 'tiled').body, plannerSource: lowerToPlanner(bound).plannerSource, ...(bound.select ? { selectSource: printSelection(bound) } : {}), runs: [{
          id: 'run', config: { headDim, dtype, kernel: variant as KernelVariant },
          options: { batch, heads, kvHeads, qLen, kvLen, scale, params: runtime, ...(boxes && !bound.select ? { boxes } : {}) },
          inputs: Object.fromEntries(Object.entries(inputs).map(([n, a]) => [n, Array.from(a)])),
          q: files.file('q', q.data), k: files.file('k', k.data), v: files.file('v', v.data), out: files.file('o'), lseOut: files.file('lse'),
          ...(gate ? { scores: files.file('scores', gate) } : {}),
        }] }],
      });
    } catch (e) {
      if (!(e instanceof NoWebGpuError)) throw e;
      // [Note: no_webgpu]
      diags.report('no_webgpu', `no WebGPU implementation to run on: ${e.message}`);
      throw new UserError(diags);
    }
    const r = results[0];
    if (!r.ok) {
      if (Object.hasOwn(DIAGNOSTIC_CODES, r.code)) { diags.report(r.code as DiagnosticCode, r.message); throw new UserError(diags); }
      throw new InternalError(r.message);
    }
    const raw = files.read('o'), lseRaw = files.read('lse');
    const outData = dtype === 'f16' ? new Uint16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2) : new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const lse = new Float32Array(lseRaw.buffer, lseRaw.byteOffset, lseRaw.byteLength / 4);
    const batchOut = new OutputBatch();
    if (o.out) batchOut.add(o.out, writeNpy({ dtype: q.dtype, shape: q.shape, data: outData }));
    if (o.lse) batchOut.add(o.lse, writeNpy({ dtype: 'f4', shape: [batch, heads, qLen], data: lse }));
    batchOut.commit();
    const tileText = bound.select ? `key blocks selected on the GPU per call (\`select\`) besides the static part's ${r.fullTiles} full + ${r.partialTiles} partial tiles` : `${r.fullTiles} full + ${r.partialTiles} partial tiles per head group${r.boxes ? ` (box tiles ${r.boxes.split(',')[0]}${r.boxes.split(',')[1] !== r.boxes.split(',')[0] ? `, key boxes ${r.boxes.split(',')[1]}` : ''})` : ''}`;
    process.stdout.write(`ran ${bound.pattern.name} on ${r.adapter}: batch ${batch}, heads ${heads}/${kvHeads}, q_len ${qLen}, kv_len ${kvLen}; tiles ${describeTiles(r.tiles)}; ${tileText}; ${r.ms.toFixed(2)} ms\n`);
    if (!o.out && !o.check) process.stderr.write('note: no -o given, so the output was not written (pass -o out.npy to keep it, --check to compare it with the reference)\n');
    if (!o.check) return EXIT.ok;
    const values = (a: NpyArray) => (a.dtype === 'f2' ? fromHalfArray(a.data as Uint16Array) : (a.data as Float32Array));
    const got = dtype === 'f16' ? fromHalfArray(outData as Uint16Array) : (outData as Float32Array);
    const ctx: EvalContext = { sizes: { qLen, kvLen, heads }, params: runtime, inputs };
    const pt = (b: number, h: number, qi: number, ki: number) => ({ b, h, q: qi, k: ki });
    // With a select clause the mask is the reference selection's M = (A || Sel) && R.
    const selMask = bound.select ? referenceSelection(bound, { batch, heads, kvHeads, qLen, kvLen, headDim }, { q: values(q), k: values(k), gate }, runtime, inputs).mask : undefined;
    const ref = referenceAttention(values(q), values(k), values(v), { batch, heads, kvHeads, qLen, kvLen, headDim, scale }, {
      mask: selMask ? (b, h, qi, ki) => selMask[((b * heads + h) * qLen + qi) * kvLen + ki] === 1 : (b, h, qi, ki) => maskAt(bound, pt(b, h, qi, ki), ctx),
      ...(bound.bias ? { bias: (b: number, h: number, qi: number, ki: number) => biasAt(bound, pt(b, h, qi, ki), ctx) } : {}),
      ...(bound.softcap ? { softcap: (b: number, h: number, qi: number, ki: number) => softcapAt(bound, pt(b, h, qi, ki), ctx)! } : {}),
    });
    // The tolerance grows with the row's score magnitude (checkOutput); the row shown is the one
    // closest to (or furthest past) its tolerance.
    const c = checkOutput(got, ref, maxAbsOf(values(v)), headDim, dtype);
    process.stdout.write(`check against the float64 reference: max abs error ${c.maxAbs.toExponential(3)}, relative error ${c.rel.toExponential(3)} (tolerance ${c.tolerance.toExponential(3)} at score magnitude ${c.magnitude.toPrecision(3)}${c.nonFinite ? `, ${c.nonFinite} non-finite outputs` : ''}): ${c.ok ? 'ok' : 'FAILED'}\n`);
    if (c.unresolved) process.stderr.write(`note: ${c.unresolved} rows have scores too large for float32 to resolve (magnitude 4e6 or more), so the check cannot judge their output\n`);
    return c.ok ? EXIT.ok : EXIT.user;
  } finally {
    files.dispose();
  }
}

/**
 * The score input of a pattern that selects by one (`--input NAME=FILE.npy`, float32 or
 * float64 `[batch, heads, q_blocks, kv_blocks]`) as float32; undefined for a pooled score.
 * Checks the clause's values for the call (`bad_select`). Throws `UserError`.
 */
function readScoreInput(bound: BoundPattern, o: RunOptions, call: { batch: number; heads: number; kvHeads: number; qLen: number; kvLen: number; params: Record<string, number | boolean>; inputs: Record<string, Int32Array> }, diags: Diagnostics): Float32Array | undefined {
  const sel = bound.select!;
  let shape;
  try {
    ({ shape } = callSelection(bound, call));
  } catch (e) {
    if (!(e instanceof PlanError)) throw e;
    diags.report(e.code, e.message, e.code === 'bad_select' ? sel.span : undefined);
    throw new UserError(diags);
  }
  if (sel.score.kind !== 'input') return undefined;
  const name = sel.score.name;
  const { nQ, nK } = selectionBlocks(shape);
  const want = [call.batch, call.heads, nQ, nK];
  if (!Object.hasOwn(o.input, name)) {
    diags.report('bad_input', `pattern \`${bound.pattern.name}\` scores blocks by its input \`${name}\`: give it with --input ${name}=FILE.npy (${SCORE_INPUT_TYPE} = [${want.join(', ')}])`);
    throw new UserError(diags);
  }
  const a = readNpyInput(`input \`${name}\``, o.input[name], diags);
  if (!a) throw new UserError(diags);
  if (a.dtype !== 'f4' && a.dtype !== 'f8') diags.report('bad_input', `input \`${name}\` ${o.input[name]}: expected float32 or float64, got dtype ${a.dtype}`);
  else if (a.shape.join() !== want.join()) diags.report('bad_input', `input \`${name}\` has shape (${a.shape.join(', ')}), but the call needs [batch, heads, q_blocks, kv_blocks] = [${want.join(', ')}]`, undefined, [`q_blocks = ceil(q_len / ${shape.blockQ}), kv_blocks = ceil(kv_len / ${shape.blockKv})`]);
  if (diags.hasErrors) throw new UserError(diags);
  return Float32Array.from(a.data as ArrayLike<number>);
}
