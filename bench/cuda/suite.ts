/**
 * The CUDA benchmark suite: the FlexAttention anchor's patterns plus the list, each
 * with its .attn file and parameters, the equivalent FlexAttention mask_mod (Python), and
 * size-dependent parameters where the layout depends on the length.
 */
import * as fs from 'node:fs';
import { bindParams, type BoundPattern } from '../../compiler/2-check/bind.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { checkPatternFile } from '../../compiler/pipeline.ts';

export interface SuiteEntry {
  readonly id: string;
  readonly file: string;
  readonly params?: Record<string, string>;
  /** FlexAttention mask_mod body; empty: attnc-only (extra patterns for the simulator). */
  readonly flex: string;
  readonly sizeParams?: (S: number) => Record<string, string>;
}

export const SUITE: readonly SuiteEntry[] = [
  { id: 'causal', file: 'patterns/causal.attn', flex: 'q >= k' },
  { id: 'sw1024_causal', file: 'patterns/sliding-window.attn', params: { window: '1024' }, flex: '(q >= k) & (q - k < 1024)' },
  { id: 'sw1024_bidir', file: 'patterns/sliding-window-bidir.attn', params: { window: '1024' }, flex: '(q - k).abs() <= 512' },
  { id: 'sink4_sw1024_causal', file: 'patterns/streaming.attn', params: { sink: '4', window: '1024' }, flex: '(q >= k) & ((q - k < 1024) | (k < 4))' },
  { id: 'dilated_w2048_d2_causal', file: 'patterns/dilated.attn', params: { window: '1024', dilation: '2' }, flex: '(q >= k) & (q - k < 2048) & ((q - k) % 2 == 0)' },
  { id: 'chunk2048', file: 'patterns/chunked.attn', params: { chunk: '2048' }, flex: '(q // 2048) == (k // 2048)' },
  { id: 'strided128_causal', file: 'patterns/strided.attn', params: { stride: '128' }, flex: '(q >= k) & ((q - k < 128) | ((q - k) % 128 == 0))' },
  { id: 'longformer_w512_g16', file: 'patterns/longformer.attn', params: { window: '512', globals: '16' }, flex: '((q - k).abs() <= 256) | (q < 16) | (k < 16)' },
  { id: 'document_causal', file: 'patterns/document.attn', flex: '(q >= k) & (doc[q] == doc[k])' },
  {
    id: 'natten2d_k13', file: 'patterns/natten-2d.attn', params: { kernel_y: '13', kernel_x: '13' },
    sizeParams: (S) => ({ height: '128', width: String(S / 128) }),
    flex: 'natten2d',
  },
  // attnc-only entries: more patterns for validating the speedup simulator.
  { id: 'a_shape', file: 'patterns/a-shape.attn', flex: '' },
  { id: 'bigbird', file: 'patterns/bigbird.attn', flex: '' },
  { id: 'fixed', file: 'patterns/fixed.attn', flex: '' },
  { id: 'longlora', file: 'patterns/longlora.attn', flex: '' },
  { id: 's2_attention', file: 'patterns/s2-attention.attn', flex: '' },
  { id: 'natten_1d_k129', file: 'patterns/natten-1d.attn', params: { kernel: '129' }, flex: '' },
  { id: 'swin_w8', file: 'patterns/swin.attn', params: { window: '8' }, sizeParams: (S) => ({ height: '128', width: String(S / 128) }), flex: '' },
  { id: 'radial', file: 'patterns/radial.attn', params: { frame_tokens: '1024', frames: '32' }, flex: '' },
  { id: 'alibi', file: 'patterns/alibi.attn', flex: '' },
  { id: 'global_tokens', file: 'patterns/global-tokens.attn', flex: '' },
];

/** Synthetic global-token flags: every 97th token is global. */
export function globalFlags(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 1 : 0));
}

/** Synthetic document ids: documents of pseudo-random length around `meanLen`. */
export function docIds(n: number, meanLen: number, seed: number): Int32Array {
  const a = new Int32Array(n);
  let id = 0, left = 0, s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    if (left === 0) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; left = Math.max(1, Math.floor(meanLen / 2) + (s % meanLen)); id++; }
    a[i] = id; left--;
  }
  return a;
}

/**
 * Input arrays of a pattern for one problem, flat and row-major: `tokens(n, row)` gives a
 * per-token array (`row` 0 for `int[kv_len]`, the batch element for a row of
 * `int[batch, kv_len]`: rows differ), and an `int[batch]` array holds `perBatch(b)`: by default
 * values from 0 to kv_len, 0 included (a prefix of 0 masks whole rows of prefix-LM masks).
 */
export function inputsFor(
  inputs: readonly { readonly name: string; readonly length?: string; readonly batched?: boolean }[],
  sizes: { readonly qLen: number; readonly kvLen: number; readonly batch: number },
  tokens: (n: number, row: number) => Int32Array,
  perBatch: (b: number) => number = (b) => (b * 37) % (sizes.kvLen + 1),
): Record<string, Int32Array> {
  const out: Record<string, Int32Array> = {};
  for (const p of inputs) {
    if (p.length === 'batch') {
      out[p.name] = Int32Array.from({ length: sizes.batch }, (_, b) => perBatch(b));
      continue;
    }
    const n = p.length === 'q_len' ? sizes.qLen : sizes.kvLen;
    const rows = p.batched ? sizes.batch : 1;
    const a = new Int32Array(rows * n);
    for (let r = 0; r < rows; r++) a.set(tokens(n, r), r * n);
    out[p.name] = a;
  }
  return out;
}

/** Small parameter values for correctness checks at a few hundred tokens (so masks are not trivial). */
export const SMALL: Record<string, string> = {
  window: '40', sink: '3', globals: '5', recent: '24', dilation: '3', stride: '16', chunk: '24', block: '16', c: '4',
  kernel: '5', height: '12', width: '24', frames: '3', kernel_t: '3', kernel_y: '3', kernel_x: '5', window_size: '4',
  group: '32', shard: '8', frame_tokens: '48', length: '300', shift: '2',
};

/**
 * Binds `file`'s pattern with `params` (default: SMALL), keeping only the names it declares as
 * compile-time ints; SMALL values that break a pattern's asserts fall back to its defaults.
 */
export function bindSmall(file: string, params: Record<string, string> = SMALL): BoundPattern {
  const diags = new Diagnostics();
  const pat = checkPatternFile({ name: file, text: fs.readFileSync(file, 'utf8') }, undefined, diags);
  const filtered: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (pat.params.some((p) => p.name === k && p.mode === 'const' && p.type === 'int')) filtered[k] = v;
  const b = bindParams(pat, filtered, new Diagnostics()) ?? bindParams(pat, params === SMALL ? {} : filtered, diags);
  if (!b) throw new Error(`${file}: ${diags.items.map((d) => d.message).join('; ')}`);
  return b;
}
