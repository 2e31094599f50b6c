/**
 * Prepares one H100 run of `bench/cuda/run.py` (the GPU machine has no Node.js): CUDA
 * sources for correctness (small parameters, small sizes, with dense masks from the
 * reference evaluator as the float64 reference's mask) and for the benchmark (the suite's
 * parameters), plus a manifest. Output: `bench/cuda/work/` (git-ignored; carried to the GPU).
 * Run: `npx tsx bench/cuda/prepare.ts [--only=causal,natten-2d] [more.attn ...]`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { zipSync } from 'fflate';
import type { BoundPattern } from '../../compiler/2-check/bind.ts';
import { lowerPattern } from '../../compiler/3-lower/lower.ts';
import { emitCuda } from '../../compiler/4-emit/cuda/emit-cuda.ts';
import { inputLengthNeeds } from '../../compiler/ir/program.ts';
import { usesVar } from '../../compiler/ir/mask.ts';
import { biasAt, denseMask, type EvalContext } from '../../compiler/eval/evaluate.ts';
import { writeNpy } from '../../runtime/io/npy.ts';
import { bindSmall, docIds, globalFlags, inputsFor, SUITE } from './suite.ts';
import { lowerToPlanner } from '../../compiler/pipeline.ts';
import { summarize } from '../../runtime/schedule/export.ts';
import { planSchedule } from '../../runtime/schedule/plan.ts';

const OUT = 'bench/cuda/work';

function emit(bp: BoundPattern, dir: string, buildName: string) {
  // A unique symbol prefix per build: rename the pattern in the emitted view.
  const renamed: BoundPattern = { ...bp, pattern: { ...bp.pattern, name: buildName } };
  const files = emitCuda(renamed, { ...lowerPattern(bp), patternName: buildName }, bp.pattern.file.name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, t] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), t);
}

fs.rmSync(OUT, { recursive: true, force: true });
const manifest: { correctness: unknown[]; perf: unknown[] } = { correctness: [], perf: [] };

// Arguments: `.attn` files checked beside the bundled patterns (bench/cuda/box/grid4.attn: a
// 4-axis layout), and `--only=name,...` to prepare only those bundled patterns (file names
// without .attn) and no benchmark configs.
const args = process.argv.slice(2);
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
const bundled = fs.readdirSync('patterns').filter((x) => x.endsWith('.attn') && (!only || only.has(x.slice(0, -5)))).sort().map((f) => `patterns/${f}`);

// Correctness: every bundled pattern with small parameters; two shapes each.
for (const file of [...bundled, ...args.filter((a) => a.endsWith('.attn'))]) {
  const bp = bindSmall(file);
  if (bp.select) continue;  // data-dependent selection: bench/cuda/select/prepare.ts and select_check.py
  const name = `${bp.pattern.name}_small`;
  emit(bp, path.join(OUT, 'src', name), name);
  const cases = [];
  const { planner } = lowerToPlanner(bp);
  // q_len > kv_len: patterns aligned to the end (cross_causal) leave the first rows with no
  // key at all, which must come out as 0 (the check counts them in masked_rows).
  for (const [ci, [qLen, kvLen]] of [[300, 300], [200, 333], [1, 777], [333, 200]].entries()) {
    const heads = 4;
    const params: Record<string, number> = {};
    for (const p of bp.runtimeParams) params[p.name] = 37;
    // Shapes the pattern's asserts reject (self-attention only, ...) are refused by the entry point.
    if (planner.failedAsserts({ qLen, kvLen, heads }, params).length) continue;
    // ... and so are input arrays read past their end (doc: int[kv_len] read as doc[q] with q_len > kv_len).
    const len = (size: 'q_len' | 'kv_len') => (size === 'q_len' ? qLen : kvLen);
    if (inputLengthNeeds(bp.inputs).some((x) => len(x.need) > len(x.have))) continue;
    // The cases run batch 2: per-batch input arrays get rows that differ, and a mask that reads b
    // gets its reference per batch element ([batch, heads, q, kv]; else [heads, q, kv]).
    const batch = 2;
    const inputs = inputsFor(bp.inputs, { qLen, kvLen, batch }, (n, row) => docIds(n, 60, 7 + ci + 101 * row));
    const ctx: EvalContext = { sizes: { qLen, kvLen, heads }, params, inputs };
    const files: Record<string, Uint8Array> = {};
    const mb = usesVar(bp.mask, 'b') || (bp.bias !== undefined && usesVar(bp.bias, 'b')) ? batch : 1;
    const shape = mb > 1 ? [mb, heads, qLen, kvLen] : [heads, qLen, kvLen];
    const mask = new Uint8Array(mb * heads * qLen * kvLen);
    for (let b = 0; b < mb; b++) for (let h = 0; h < heads; h++) mask.set(denseMask(bp, b, h, ctx), (b * heads + h) * qLen * kvLen);
    files['mask.npy'] = writeNpy({ dtype: 'u1', shape, data: mask });
    if (bp.bias) {
      const bias = new Float32Array(mb * heads * qLen * kvLen);
      for (let b = 0; b < mb; b++) for (let h = 0; h < heads; h++) for (let q = 0; q < qLen; q++) for (let k = 0; k < kvLen; k++) bias[((b * heads + h) * qLen + q) * kvLen + k] = biasAt(bp, { b, h, q, k }, ctx);
      files['bias.npy'] = writeNpy({ dtype: 'f4', shape, data: bias });
    }
    for (const [n, arr] of Object.entries(inputs)) files[`input_${n}.npy`] = writeNpy({ dtype: 'i4', shape: [arr.length], data: arr });
    const caseFile = `${name}_case${ci}.npz`;
    fs.writeFileSync(path.join(OUT, caseFile), zipSync(files, { level: 6 }));
    cases.push({ file: caseFile, qLen, kvLen, heads, kvHeads: 2, batch, params, inputs: Object.keys(inputs) });
  }
  manifest.correctness.push({
    build: name,
    pattern: bp.pattern.name,
    softcap: bp.softcap ? (bp.softcap.kind === 'const' ? bp.softcap.value : null) : null,
    runtimeParams: bp.runtimeParams.map((p) => p.name),
    inputs: bp.inputs.map((p) => p.name),
    cases,
  });
}

// Benchmark suite: see suite.ts.
for (const s of only ? [] : SUITE) {
  for (const S of [8192, 16384, 32768]) {
    const params = { ...(s.params ?? {}), ...(s.sizeParams?.(S) ?? {}) };
    const bp = bindSmall(s.file, params);
    const build = s.sizeParams ? `${s.id}_${S}` : s.id;
    if (!fs.existsSync(path.join(OUT, 'src', build))) emit(bp, path.join(OUT, 'src', build), build);
    const extra: Record<string, unknown> = {};
    const inputs: Record<string, Int32Array> = {};
    const inputFiles: Record<string, string> = {};
    for (const inp of bp.inputs) {
      inputs[inp.name] = inp.name === 'doc' ? docIds(S, 2048, 12345) : globalFlags(S);
      const f = `${build}_${S}_${inp.name}.npy`;
      fs.writeFileSync(path.join(OUT, f), writeNpy({ dtype: 'i4', shape: [S], data: inputs[inp.name] }));
      inputFiles[inp.name] = f;
    }
    if (bp.inputs.length) extra.inputFiles = inputFiles;
    // The tile ideal from attnc's own planner (128 x 128 blocks, as FlexAttention's default).
    const { planner } = lowerToPlanner(bp);
    extra.ideal128 = summarize(planSchedule(planner, { qLen: S, kvLen: S, heads: 1, blockQ: 128, blockKv: 128, inputs })).idealSpeedup;
    manifest.perf.push({ id: s.id, build, S, flex: s.flex, params, ...extra });
  }
}
fs.writeFileSync(path.join(OUT, 'manifest.json'), JSON.stringify(manifest, null, 1));
// The runtime these sources were generated against (bench/cuda/ablate.py --ref reads another checkout's).
fs.cpSync('runtime/cuda/attnc', path.join(OUT, 'include', 'attnc'), { recursive: true });
process.stdout.write(`prepared ${manifest.correctness.length} correctness builds and ${manifest.perf.length} benchmark configs in ${OUT}\n`);
