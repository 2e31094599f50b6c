/**
 * The FlexAttention target (`attnc compile --target flex`), checked with PyTorch on the CPU.
 * For every bundled pattern, with compile-time parameters scaled down to small sequences, and
 * several sizes (block multiples or not, q_len != kv_len where the pattern allows it, several
 * block shapes), this file writes the pattern's `<name>_flex.py` and attnc's references to a
 * temporary folder: the reference evaluator's dense mask, score bias and soft-cap
 * (compiler/eval/evaluate.ts) and the TypeScript planner's schedule, or the planner's error
 * when the sizes are refused. `test/flex/test_flex.py` (pytest) then checks that
 *   (a) block_mask(...) equals create_block_mask(mask_mod(...), ...) on the PARTIAL and FULL
 *       blocks, and the TypeScript planner's schedule exactly, with BLOCK_SIZE, seq_lengths
 *       and mask_mod set; sizes the planner refuses raise the same message;
 *   (b) the attached mask_mod equals the reference mask on every point;
 *   (c) flex_attention(q, k, v, score_mod, block_mask) in float64 equals a dense masked softmax
 *       with the reference bias and soft-cap (for a few patterns: it is slow on the CPU);
 * and that every committed module in generated/flex/ plans as create_block_mask does.
 * Needs python3 with torch and pytest: skipped when torch cannot be imported (failing under
 * CI, like test/python.test.ts).
 */
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bindParams, type BoundPattern } from '../compiler/2-check/bind.ts';
import { TARGETS } from '../compiler/4-emit/targets.ts';
import { Diagnostics } from '../compiler/diagnostics/diagnostic.ts';
import { renderDiagnostics } from '../compiler/diagnostics/render.ts';
import { evaluate, type EvalContext } from '../compiler/eval/evaluate.ts';
import { checkSource, lowerToPlanner } from '../compiler/pipeline.ts';
import { writeNpy } from '../runtime/io/npy.ts';
import { planSchedule } from '../runtime/schedule/plan.ts';
import { PlanError } from '../runtime/schedule/types.ts';

const run = promisify(execFile);
const PYTHON = process.env.PYTHON ?? 'python3';

function missing(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, pytest, numpy; from torch.nn.attention.flex_attention import create_block_mask'], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === 'ENOENT') return `${PYTHON} is not installed`;
    const last = err.stderr?.toString().trim().split('\n').pop() ?? '';
    return `${PYTHON} cannot import torch (with FlexAttention), numpy and pytest (${last})`;
  }
}

/** One pattern variant: compile-time parameters for small sequences, and what a call needs. */
interface Variant {
  file: string;
  consts?: Record<string, number | boolean>;
  values?: Record<string, number | boolean>;
  /** Input arrays by name: 'doc' (runs of document ids), 'flags' (sparse 0/1), 'prefix' (per batch element: 0, then lengths up to kv_len); per-batch arrays get a row per batch element. */
  inputs?: Record<string, 'doc' | 'flags' | 'prefix'>;
  /** Heads to pass (patterns whose mask or score reads the head); otherwise heads=None. */
  heads?: number;
  batch?: number;
  sizes?: [number, number][];
  /** Also run flex_attention against the dense reference (at the first size). */
  attention?: boolean;
}

const SIZES: [number, number][] = [[128, 128], [200, 200], [77, 150], [150, 77]];
const VARIANTS: Variant[] = [
  { file: 'a-shape.attn', consts: { sink: 8, window: 40 } },
  { file: 'alibi.attn', heads: 3, attention: true },
  { file: 'bigbird.attn', consts: { block: 16, random_blocks: 2, seed: 7 }, heads: 3 },
  { file: 'block-causal.attn', consts: { block: 24 } },
  { file: 'causal.attn', batch: 2, attention: true },
  { file: 'chunked-causal.attn', consts: { chunk: 48 } },
  { file: 'chunked.attn', consts: { chunk: 40 } },
  { file: 'cross-causal.attn' },
  { file: 'dilated.attn', consts: { window: 10, dilation: 3 } },
  { file: 'document.attn', inputs: { doc: 'doc' }, attention: true },
  { file: 'document-per-seq.attn', inputs: { doc: 'doc' }, batch: 3, attention: true },
  { file: 'duo.attn', consts: { sink: 4, recent: 30 }, heads: 6 },
  { file: 'fixed.attn', consts: { stride: 32, c: 4 } },
  { file: 'global-tokens.attn', consts: { window: 20 }, inputs: { is_global: 'flags' } },
  { file: 'longformer.attn', consts: { window: 30, globals: 5 } },
  { file: 'longlora.attn', consts: { group: 32 }, heads: 4 },
  { file: 'natten-1d.attn', consts: { kernel: 7, dilation: 2 } },
  { file: 'natten-2d.attn', consts: { kernel_y: 3, kernel_x: 5, height: 10, width: 12 }, sizes: [[120, 120], [128, 128], [77, 150]] },
  { file: 'natten-3d.attn', consts: { kernel_t: 2, kernel_y: 3, kernel_x: 3, frames: 3, height: 6, width: 7 }, sizes: [[126, 126], [77, 150]] },
  { file: 'prefix-lm.attn', values: { prefix: 37 }, attention: true },
  { file: 'radial.attn', consts: { frame_tokens: 20, frames: 8, window: 16, min_window: 4 }, sizes: [[180, 180], [200, 200]] },
  { file: 's2-attention.attn', consts: { block: 8, local_blocks: 3, vert_stride: 4 }, heads: 4 },
  { file: 'sliding-window-bidir.attn', consts: { window: 30 } },
  { file: 'sliding-window-softcap.attn', consts: { window: 40, cap: 2.5 }, attention: true },
  { file: 'sliding-window.attn', consts: { window: 40 } },
  { file: 'softcap.attn', consts: { cap: 3.0 }, attention: true },
  { file: 'streaming.attn', consts: { sink: 4, window: 30 } },
  { file: 'strided.attn', consts: { stride: 12 } },
  { file: 'swin.attn', consts: { window: 4, shift: 2, height: 8, width: 12 }, sizes: [[96, 96], [128, 128], [77, 150]] },
  // Products that wrap at 32 bits (test/lower/int-wrap.test.ts): mask_mod and the planner wrap as the evaluator does.
  { file: 'test/flex/fixtures/wrap.attn', sizes: [[512, 512], [300, 333]], attention: true },
  // Per-batch values: a prefix per sequence (0 for the first: rows with no key) and a row of flags per sequence.
  { file: 'test/batch/fixtures/per-batch-mix.attn', inputs: { prefix: 'prefix', live: 'doc' }, batch: 3, sizes: [[128, 128], [77, 150]], attention: true },
];
const BLOCKS: [number, number][] = [[16, 16], [32, 16], [16, 32], [64, 128]];

/** A deterministic pseudo-random sequence in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function inputArray(kind: 'doc' | 'flags', n: number, seed: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  let id = 0;
  for (let i = 0; i < n; i++) {
    if (kind === 'doc') {
      if (i > 0 && r() < 0.04) id++;
      out.push(id);
    } else out.push(r() < 0.05 ? 1 : 0);
  }
  return out;
}

function bind(file: string, consts: Record<string, number | boolean>): BoundPattern {
  const name = file.includes('/') ? file : `patterns/${file}`;
  const diags = new Diagnostics();
  const prog = checkSource({ name, text: fs.readFileSync(name, 'utf8') }, diags);
  if (!prog || diags.hasErrors) throw new Error(renderDiagnostics(diags.sorted()));
  const bound = bindParams(prog.patterns[0], consts, diags);
  if (!bound) throw new Error(renderDiagnostics(diags.sorted()));
  return bound;
}

/** Writes the modules and references; returns the number of cases. */
async function writeCases(dir: string): Promise<number> {
  const cases: object[] = [];
  for (const [vi, v] of VARIANTS.entries()) {
    const bound = bind(v.file, v.consts ?? {});
    const lowered = lowerToPlanner(bound);
    const modDir = path.join(dir, `v${vi}`);
    fs.mkdirSync(modDir);
    const [mod] = await TARGETS.flex.emit({ bound, lowered, sourceName: v.file.includes('/') ? v.file : `patterns/${v.file}`, runtimeImport: '' });
    fs.writeFileSync(path.join(modDir, mod.name), mod.contents);
    for (const [si, [qLen, kvLen]] of (v.sizes ?? SIZES).entries()) {
      const [blockQ, blockKv] = BLOCKS[(vi + si) % BLOCKS.length];
      const heads = v.heads ?? 1;
      const batch = v.batch ?? 1;
      const inputs: Record<string, number[]> = {};
      // As Python sees them: 1-D, or one row per batch element (flat for the planner and evaluator).
      const callInputs: Record<string, number[] | number[][]> = {};
      for (const [name, kind] of Object.entries(v.inputs ?? {})) {
        const decl = bound.inputs.find((p) => p.name === name)!;
        if (kind === 'prefix' || decl.length === 'batch') {
          inputs[name] = callInputs[name] = Array.from({ length: batch }, (_, b) => (b * 53) % (kvLen + 1));
          continue;
        }
        const n = (decl.length ?? 'kv_len') === 'q_len' ? qLen : kvLen;
        const rows = Array.from({ length: decl.batched ? batch : 1 }, (_, r) => inputArray(kind, n, 1000 * vi + si + 17 * r));
        inputs[name] = rows.flat();
        callInputs[name] = decl.batched ? rows : rows[0];
      }
      const id = `c${cases.length}`;
      const c: Record<string, unknown> = {
        id, dir: `v${vi}`, module: mod.name.replace(/\.py$/, ''), pattern: bound.pattern.name, q_len: qLen, kv_len: kvLen,
        heads: v.heads ?? null, batch: v.batch ?? null, block: [blockQ, blockKv], values: v.values ?? {}, inputs: callInputs,
        attention: Boolean(v.attention) && si === 0,
      };
      try {
        const s = planSchedule(lowered.planner, { qLen, kvLen, heads, batch, blockQ, blockKv, params: v.values, inputs });
        const rows = (ptr: Int32Array, idx: Int32Array) => Array.from({ length: ptr.length - 1 }, (_, r) => Array.from(idx.subarray(ptr[r], ptr[r + 1])));
        c.schedule = {
          group_of: Array.from(s.groupOf),
          groups: s.groups.map((g) => ({ partial: rows(g.kvRowPtr, g.kvIndices), full: rows(g.fullKvRowPtr, g.fullKvIndices) })),
        };
      } catch (e) {
        if (!(e instanceof PlanError)) throw e;
        c.error = e.message;
        cases.push(c);
        continue;
      }
      // The reference evaluator's mask, bias and soft-cap at every point of every (b, h).
      const ctx: EvalContext = { sizes: { qLen, kvLen, heads }, params: v.values ?? {}, inputs };
      const n = batch * heads * qLen * kvLen;
      const mask = new Uint8Array(n);
      const bias = bound.bias ? new Float64Array(n) : undefined;
      const cap = bound.softcap ? new Float64Array(n) : undefined;
      let i = 0;
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < heads; h++) {
          for (let q = 0; q < qLen; q++) {
            for (let k = 0; k < kvLen; k++, i++) {
              const p = { b, h, q, k };
              mask[i] = evaluate(bound.mask, p, ctx) === true ? 1 : 0;
              if (bias) bias[i] = evaluate(bound.bias!, p, ctx) as number;
              if (cap) cap[i] = evaluate(bound.softcap!, p, ctx) as number;
            }
          }
        }
      }
      const shape = [batch, heads, qLen, kvLen];
      fs.writeFileSync(path.join(dir, `${id}_mask.npy`), writeNpy({ dtype: 'u1', shape, data: mask }));
      if (bias) fs.writeFileSync(path.join(dir, `${id}_bias.npy`), writeNpy({ dtype: 'f8', shape, data: bias }));
      if (cap) fs.writeFileSync(path.join(dir, `${id}_softcap.npy`), writeNpy({ dtype: 'f8', shape, data: cap }));
      cases.push(c);
    }
  }
  fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(cases));
  return cases.length;
}

const reason = missing();

if (reason && process.env.CI) {
  describe('FlexAttention target', () => {
    it('has python3 with torch, numpy and pytest (required under CI)', () => {
      throw new Error(reason);
    });
  });
} else {
  if (reason) console.warn(`test/flex.test.ts skipped: ${reason}`);
  describe.skipIf(Boolean(reason))('FlexAttention target', () => {
    it('matches create_block_mask, the reference evaluator and a dense softmax (test/flex, pytest, CPU)', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-flex-'));
      try {
        expect(await writeCases(dir)).toBeGreaterThan(80);
        let result: { code: number; output: string };
        try {
          const { stdout, stderr } = await run(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test/flex'], {
            env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ATTNC_FLEX_CASES: dir },
            maxBuffer: 1 << 24,
            timeout: 170_000,
          });
          result = { code: 0, output: stdout + stderr };
        } catch (e) {
          const err = e as { code?: number; stdout?: string; stderr?: string };
          result = { code: typeof err.code === 'number' ? err.code : -1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
        }
        expect(result.code, result.output).toBe(0);
        expect(result.output).not.toMatch(/\bskipped\b/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 200_000);
  });
}
