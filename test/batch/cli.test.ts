/**
 * The command line with per-batch input arrays: `--input NAME=FILE.npy` of shape [batch] or
 * [batch, len] for schedule, viz, simulate and run (WebGPU, checked against the float64
 * reference); --batch taken from the arrays, and coded errors for shapes that do not fit.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../runtime/io/npy.ts';
import { webgpuUnavailable } from '../wgsl/harness.ts';

const attnc = (...args: string[]) => spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-batch-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const npy = (name: string, shape: number[], data: ArrayLike<number>, dtype: 'i4' | 'i8' | 'f4' = 'i4') => {
  const f = path.join(dir, name);
  const arr = dtype === 'f4' ? Float32Array.from(data) : dtype === 'i8' ? BigInt64Array.from(Array.from(data, BigInt)) : Int32Array.from(data);
  fs.writeFileSync(f, writeNpy({ dtype, shape, data: arr as never }));
  return f;
};
const src = path.join(dir, 'p.attn');
fs.writeFileSync(src, 'pattern plm(input prefix: int[batch]) {\n  allow k <= q || k < prefix[b]\n}\n');
const L = 256;
const prefix = npy('prefix.npy', [3], [0, 130, 256]);
const doc = npy('doc.npy', [3, L], Array.from({ length: 3 * L }, (_, i) => Math.floor((i % L) / (32 * (1 + Math.floor(i / L))))));

describe('per-batch --input arrays on the command line', () => {
  it('schedule plans one head group per distinct value, with --batch from the array', () => {
    const r = attnc('schedule', src, '--q-len', String(L), '--heads', '2', '--input', `prefix=${prefix}`, '--format', 'json');
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.batch).toBe(3);
    expect(s.head_group.length).toBe(3);
    expect(new Set(s.head_group.flat()).size).toBe(3);
    // prefix 256: every tile full; prefix 0: causal (diagonal tiles partial).
    const g2 = s.groups[s.head_group[2][0]];
    expect(g2.kv_num_blocks.every((n: number) => n === 0)).toBe(true);
    expect(s.groups[s.head_group[0][0]].kv_num_blocks).toEqual([1, 1]);
  });

  it('document_per_seq takes a [batch, kv_len] array: one schedule per row', () => {
    const r = attnc('schedule', 'patterns/document-per-seq.attn', '--q-len', String(L), '--heads', '1', '--block-q', '32', '--block-kv', '32', '--input', `doc=${doc}`, '--format', 'json');
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.batch).toBe(3);
    expect(s.head_group.map((row: number[]) => row[0])).toEqual([0, 1, 2]);
    // Documents of 32, 64 and 96 tokens: the full tiles below the diagonal grow with them.
    const full = s.groups.map((g: { full_kv_num_blocks: number[] }) => g.full_kv_num_blocks.reduce((a: number, b: number) => a + b, 0));
    expect(full[0]).toBeLessThan(full[1]);
    expect(full[1]).toBeLessThan(full[2]);
    const viz = attnc('viz', 'patterns/document-per-seq.attn', '--q-len', String(L), '--heads', '1', '--input', `doc=${doc}`, '--format', 'term');
    expect(viz.status, viz.stderr).toBe(0);
  });

  it('refuses shapes that do not fit, with coded errors naming the array', () => {
    const flat = npy('flat.npy', [3 * L], new Array(3 * L).fill(0));
    const r1 = attnc('schedule', 'patterns/document-per-seq.attn', '--q-len', String(L), '--input', `doc=${flat}`, '--format', 'text');
    expect(r1.status).toBe(1);
    expect(r1.stderr).toContain('error[bad_input]: input `doc` from');
    expect(r1.stderr).toContain('`doc` is int[batch, kv_len]: expected a 2-D array of shape [batch, kv_len]');
    const r2 = attnc('schedule', src, '--q-len', String(L), '--batch', '2', '--input', `prefix=${prefix}`, '--format', 'text');
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain('`prefix` is int[batch] with batch 3, but --batch is 2');
    const r3 = attnc('schedule', 'patterns/document-per-seq.attn', '--q-len', '100', '--input', `doc=${doc}`, '--format', 'text');
    expect(r3.status).toBe(1);
    expect(r3.stderr).toContain('error[bad_input]: input array `doc` is declared int[batch, kv_len] = 3 x 100 = 300 entries (batch 3), got 768');
    const r4 = attnc('schedule', 'patterns/document-per-seq.attn', '--q-len', '100', '--format', 'text');
    expect(r4.stderr).toContain('input array `doc` is required: pass it with --input doc=FILE.npy, a 2-D integer .npy file of shape [batch, kv_len]');
  });

  it('simulate reads them too (the batch from the array)', () => {
    const r = attnc('simulate', src, '--q-len', String(L), '--heads', '2', '--input', `prefix=${prefix}`, '--format', 'json');
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.workItems).toBe(3 * 2 * 2);  // (b, h, query block): batch 3 from the array
  });

  it.skipIf(Boolean(webgpuUnavailable()))('run --backend webgpu --check: per-batch arrays, a whole sequence with no key gives 0', () => {
    const B = 3, H = 2, S = 40, D = 32;
    const rnd = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);
    const q = npy('q.npy', [B, H, S, D], rnd(B * H * S * D, 1), 'f4');
    const k = npy('k.npy', [B, H, S, D], rnd(B * H * S * D, 2), 'f4');
    const v = npy('v.npy', [B, H, S, D], rnd(B * H * S * D, 3), 'f4');
    const only = path.join(dir, 'only.attn');
    fs.writeFileSync(only, 'pattern only(input prefix: int[batch], input doc: int[batch, kv_len]) {\n  allow k < prefix[b] && doc[b, q] == doc[b, k]\n}\n');
    const p = npy('p3.npy', [B], [0, 11, 40]);
    const d = npy('d3.npy', [B, S], Array.from({ length: B * S }, (_, i) => Math.floor((i % S) / (5 + 3 * Math.floor(i / S)))), 'i8');
    const out = path.join(dir, 'o.npy');
    const r = attnc('run', only, '--backend', 'webgpu', '--q', q, '--k', k, '--v', v, '--input', `prefix=${p}`, '--input', `doc=${d}`, '--check', '-o', out);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const o = new Float32Array(fs.readFileSync(out).buffer.slice(-B * H * S * D * 4));
    // Batch element 0 (prefix 0) attends to nothing: exactly 0, no NaN.
    expect(o.subarray(0, H * S * D).every((x) => x === 0)).toBe(true);
    expect(o.every((x) => Number.isFinite(x))).toBe(true);
    const wrong = npy('p2.npy', [2], [1, 2]);
    const r2 = attnc('run', only, '--backend', 'webgpu', '--q', q, '--k', k, '--v', v, '--input', `prefix=${wrong}`, '--input', `doc=${d}`);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain("`prefix` is int[batch] with batch 2, but q's batch is 3");
  });
});
