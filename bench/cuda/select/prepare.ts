/**
 * Prepares the GPU check and benchmark of data-dependent selection (the GPU machine has no
 * Node.js): the CUDA target of each pattern under `bench/cuda/work/select/<build>/` (check) and
 * `bench/cuda/work/selbench/<build>/` (benchmark), each with `check.json`: the reference's
 * masks as Python expressions over q and k (check), or the Flex recipe's description
 * (benchmark). Run: `npx tsx bench/cuda/select/prepare.ts`, then on the GPU machine
 * `python3 bench/cuda/select_check.py` and `python3 bench/cuda/select_bench.py`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bindParams, type BoundPattern } from '../../../compiler/2-check/bind.ts';
import { lowerPattern } from '../../../compiler/3-lower/lower.ts';
import { emitCuda } from '../../../compiler/4-emit/cuda/emit-cuda.ts';
import { cudaSelect } from '../../../compiler/4-emit/cuda/select-cuda.ts';
import { Diagnostics } from '../../../compiler/diagnostics/diagnostic.ts';
import { checkSource } from '../../../compiler/pipeline.ts';

const WORK = 'bench/cuda/work';

/** Writes the CUDA target of `bp` renamed `build` (unique symbols per build) with `meta` as check.json. */
function emit(bp: BoundPattern, dir: string, build: string, meta: unknown): void {
  const renamed: BoundPattern = { ...bp, pattern: { ...bp.pattern, name: build } };
  const files = emitCuda(renamed, { ...lowerPattern(bp), patternName: build }, bp.pattern.file.name, cudaSelect(renamed));
  const out = path.join(WORK, dir, build);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  for (const [f, t] of Object.entries(files)) fs.writeFileSync(path.join(out, f), t);
  fs.writeFileSync(path.join(out, 'check.json'), `${JSON.stringify(meta)}\n`);
}

function bind(file: string, name: string, params: Record<string, string> = {}): BoundPattern {
  const diags = new Diagnostics();
  const prog = checkSource({ name: file, text: fs.readFileSync(file, 'utf8') }, diags);
  const pat = prog?.patterns.find((p) => p.name === name);
  const bp = pat && bindParams(pat, params, diags);
  if (!bp) throw new Error(`${file}: ${name}: ${diags.items.map((d) => d.message).join('; ')}`);
  return bp;
}

// The check: reference masks A (allow) and R (restriction) in Python, and the clause's values.
const CHECK = 'bench/cuda/select/check.attn';
const checks: Record<string, object> = {
  moba_t: { allow: '(q // 512) == (k // 512)', restriction: 'k <= q', bq: 512, bk: 512, topk: 3, score: 'dot_mean', per_kv_head: false },
  nsa_t: { allow: '(k < 64) | ((q // 64) - (k // 64) < 2)', restriction: 'k <= q', bq: 128, bk: 64, topk: 16, score: 'dot_mean', per_kv_head: true },
  quest_t: { allow: '', restriction: 'k <= q', bq: 64, bk: 64, topk: 8, score: 'bound', per_kv_head: false },
  maxsel_t: { allow: '(q - k) < 256', restriction: 'k <= q + 100', bq: 200, bk: 96, topk: 5, score: 'dot_max', per_kv_head: false },
  runtime_t: { allow: 'k < 16', restriction: 'k <= q', bq: 192, bk: 160, topk: 2, score: 'dot_mean', per_kv_head: false, params: [2, 192] },
  none_t: { allow: '', restriction: 'k <= q', bq: 128, bk: 128, topk: 0, score: 'dot_mean', per_kv_head: false },
  many_t: { allow: 'k < 16', restriction: 'k <= q', bq: 256, bk: 256, topk: 1000, score: 'dot_mean', per_kv_head: false },
  gate_t: { allow: '(q // 128) == (k // 128)', restriction: 'k <= q', bq: 128, bk: 128, topk: 4, score: 'input', per_kv_head: false },
  gatekv_t: { allow: '', restriction: 'k <= q', bq: 192, bk: 64, topk: 6, score: 'input', per_kv_head: true },
};
for (const [name, meta] of Object.entries(checks)) emit(bind(CHECK, name), 'select', name, meta);

// The benchmark: the bundled MoBA and NSA selection patterns, with the Flex recipe's description.
const benches: [string, string, Record<string, string>, object][] = [
  ['moba_b512_k3', 'patterns/moba.attn', { block: '512', topk: '3' }, { kind: 'moba', block: 512, topk: 3 }],
  ['moba_b512_k8', 'patterns/moba.attn', { block: '512', topk: '8' }, { kind: 'moba', block: 512, topk: 8 }],
  ['moba_b4096_k3', 'patterns/moba.attn', { block: '4096', topk: '3' }, { kind: 'moba', block: 4096, topk: 3 }],
  ['nsa_b128_k16', 'patterns/nsa-select.attn', { block: '128', topn: '16', local: '3' }, { kind: 'nsa', block: 128, topk: 16, local: 3 }],
];
for (const [build, file, params, meta] of benches) emit(bind(file, file.includes('moba') ? 'moba' : 'nsa_select', params), 'selbench', build, meta);
process.stdout.write(`prepared ${Object.keys(checks).length} check builds and ${benches.length} benchmark builds in ${WORK}\n`);
