/**
 * Kernel cases for every bundled pattern (patterns/*.attn): small parameter values so the
 * structure shows at test sizes, sizes that are not block multiples, q_len != kv_len where
 * the pattern allows it, grouped-query heads, f32 at head dim 32 with small blocks (many
 * FULL and PARTIAL tiles) and f16 at head dim 64 with the default tile shape. Patterns with
 * a `select` clause have their own cases (`bundledSelectCases`, run by `select-harness.ts`):
 * random and integer-valued data, f32 and f16.
 */
import * as fs from 'node:fs';
import { bindParams } from '../../compiler/2-check/bind.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { checkSource } from '../../compiler/pipeline.ts';
import type { CheckedPattern } from '../../compiler/ir/program.ts';
import type { KernelCase } from './harness.ts';
import type { SelectCase } from './select-harness.ts';
import { inputsFor as batchInputs } from '../../bench/cuda/suite.ts';

/** Small parameter values (the same as the schedule tests'). */
const SMALL: Record<string, string> = {
  window: '40', sink: '3', globals: '5', recent: '24', dilation: '3', stride: '16', chunk: '24', block: '16', c: '4',
  kernel: '5', height: '12', width: '16', frames: '3', depth: '3', kernel_t: '3', kernel_y: '3', kernel_x: '5',
  window_y: '4', window_x: '4', group: '32', shard: '8', frame_tokens: '48', before: '6',
};

/** Small values of a select clause's parameters: a few blocks selected, blocks as small as the pattern allows. */
const SELECT_SMALL: Record<string, string> = { topk: '2', topn: '3', local: '2', block: '16' };

/** Bundled pattern files, sorted. */
export const bundledFiles = (): string[] => fs.readdirSync('patterns').filter((f) => f.endsWith('.attn')).sort();

/** The cases of the bundled patterns whose file index is `shard` modulo `of`. */
export function bundledCases(shard: number, of: number): KernelCase[] {
  const out: KernelCase[] = [];
  bundledFiles().forEach((f, fi) => {
    if (fi % of !== shard) return;
    const name = `patterns/${f}`;
    const diags = new Diagnostics();
    const prog = checkSource({ name, text: fs.readFileSync(name, 'utf8') }, diags);
    if (!prog) throw new Error(`${name} does not check`);
    for (const pat of prog.patterns) {
      if (pat.select) continue;  // data-dependent selection: bundledSelectCases
      const small: Record<string, string> = {};
      for (const p of pat.params) if (p.mode === 'const' && p.type === 'int' && SMALL[p.name] !== undefined) small[p.name] = SMALL[p.name];
      const bound = bindParams(pat, small, new Diagnostics()) ?? bindParams(pat, {}, new Diagnostics());
      if (!bound) throw new Error(`${pat.name} does not bind`);
      const params: Record<string, number> = {};
      for (const p of bound.runtimeParams) params[p.name] = 37;
      // Input arrays read at q, and asserts (e.g. self-attention only), want q_len == kv_len.
      const square = bound.inputs.length > 0 || bound.pendingAsserts.length > 0;
      // Rows of per-batch arrays differ: row r shifts the runs by 7 r tokens.
      const inputsFor = (qLen: number, kvLen: number, batch: number) => batchInputs(bound.inputs, { qLen, kvLen, batch },
        (n, r) => Int32Array.from({ length: n }, (_, i) => Math.floor((i + 7 * r) / 23) + ((i + 7 * r) % 41 === 0 ? 1 : 0)));
      const common = { bound, params };
      out.push({ ...common, name: `${pat.name} f32 d32 150x150 blocks 16x16`, batch: 2, heads: 4, kvHeads: 2, qLen: 150, kvLen: 150, headDim: 32, dtype: 'f32', tiles: { blockQ: 16, blockKv: 16, kvChunk: 16 }, inputs: inputsFor(150, 150, 2) });
      const [q2, kv2] = square ? [97, 97] : [97, 131];
      out.push({ ...common, name: `${pat.name} f16 d64 ${q2}x${kv2} default tiles`, batch: 1, heads: 4, kvHeads: 4, qLen: q2, kvLen: kv2, headDim: 64, dtype: 'f16', inputs: inputsFor(q2, kv2, 1) });
    }
  });
  return out;
}

/** The patterns of the bundled files whose index is `shard` modulo `of`, with their source names. */
function bundledPatterns(shard: number, of: number): { name: string; pat: CheckedPattern }[] {
  const out: { name: string; pat: CheckedPattern }[] = [];
  bundledFiles().forEach((f, fi) => {
    if (fi % of !== shard) return;
    const name = `patterns/${f}`;
    const diags = new Diagnostics();
    const prog = checkSource({ name, text: fs.readFileSync(name, 'utf8') }, diags);
    if (!prog) throw new Error(`${name} does not check`);
    for (const pat of prog.patterns) out.push({ name, pat });
  });
  return out;
}

/** The cases of the bundled patterns with a `select` clause in shard `shard` of `of`. */
export function bundledSelectCases(shard: number, of: number): SelectCase[] {
  const out: SelectCase[] = [];
  for (const { pat } of bundledPatterns(shard, of)) {
    if (!pat.select) continue;
    const small: Record<string, string> = {};
    for (const p of pat.params) {
      if (p.mode !== 'const' || p.type !== 'int') continue;
      const v = SELECT_SMALL[p.name] ?? SMALL[p.name];
      if (v !== undefined) small[p.name] = p.range && Number(v) < p.range.lo ? String(p.range.lo) : v;
    }
    const bound = bindParams(pat, small, new Diagnostics());
    if (!bound) throw new Error(`${pat.name} does not bind with ${JSON.stringify(small)}`);
    const common = { bound };
    out.push({ ...common, name: `${pat.name} f32 d32 2x4/2 heads 260x260 blocks 16x16`, batch: 2, heads: 4, kvHeads: 2, qLen: 260, kvLen: 260, headDim: 32, dtype: 'f32', tiles: { blockQ: 16, blockKv: 16, kvChunk: 16 } });
    out.push({ ...common, name: `${pat.name} f32 d32 ints 300x300 blocks 32x16`, batch: 1, heads: 4, kvHeads: 2, qLen: 300, kvLen: 300, headDim: 32, dtype: 'f32', tiles: { blockQ: 32, blockKv: 16, kvChunk: 16 }, data: 'ints' });
    out.push({ ...common, name: `${pat.name} f16 d64 97x131 default tiles`, batch: 1, heads: 4, kvHeads: 4, qLen: 97, kvLen: 131, headDim: 64, dtype: 'f16' });
  }
  return out;
}
