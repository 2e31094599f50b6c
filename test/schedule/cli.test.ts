/** `attnc schedule` and `attnc viz` as a user runs them. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../runtime/io/npy.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-sched-'));
const file = path.join(dir, 'p.attn');
fs.writeFileSync(file, 'pattern sw(window: int = 100) {\n  causal\n  allow q - k < window\n}\n');
const doc = path.join(dir, 'doc.attn');
fs.writeFileSync(doc, 'pattern document(input doc: int[kv_len]) {\n  causal\n  allow doc[q] == doc[k]\n}\n');

function attnc(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('attnc schedule', () => {
  it('prints text', () => {
    const r = attnc('schedule', file, '--q-len', '300', '--block-q', '64', '--block-kv', '64');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('schedule sw: q_len=300 kv_len=300');
    expect(r.stdout).toContain('q 4: full [] partial [2-4]');
  });

  it('writes FlexAttention-style JSON', () => {
    const out = path.join(dir, 's.json');
    const r = attnc('schedule', file, '--q-len', '1000', '--kv-len', '700', '--heads', '2', '--format', 'json', '-o', out, '--param', 'window=200');
    expect(r.status).toBe(0);
    const j = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(j.format).toBe('attnc.schedule/1');
    expect(j.head_group).toEqual([[0, 0]]);
    const g = j.groups[0];
    expect(g.kv_num_blocks.length).toBe(8);
    expect(g.kv_indices.map((r: number[]) => r.length)).toEqual(g.kv_num_blocks);
    expect(g.q_num_blocks.length).toBe(6);
  });

  it('writes npz arrays shaped for BlockMask.from_kv_blocks', () => {
    const out = path.join(dir, 's.npz');
    const r = attnc('schedule', file, '--q-len', '512', '--heads', '3', '--format', 'npz', '-o', out);
    expect(r.status).toBe(0);
    const z = unzipSync(new Uint8Array(fs.readFileSync(out)));
    const num = readNpy(z['kv_num_blocks.npy']);
    const idx = readNpy(z['kv_indices.npy']);
    expect(num.shape).toEqual([1, 3, 4]);
    expect(idx.shape).toEqual([1, 3, 4, 4]);
    expect(Array.from(num.data as Int32Array).slice(0, 4)).toEqual([1, 2, 2, 2]);
    expect(Object.keys(z)).toContain('full_q_indices.npy');
  });

  it('reads input arrays from .npy and reports bad ones', () => {
    const ids = new Int32Array(256).map((_, i) => Math.floor(i / 100));
    const npy = path.join(dir, 'doc.npy');
    fs.writeFileSync(npy, writeNpy({ dtype: 'i4', shape: [256], data: ids }));
    const r = attnc('schedule', doc, '--q-len', '256', '--block-q', '32', '--block-kv', '32', '--input', `doc=${npy}`);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('q 7: full [] partial [6-7]');
    expect(r.stdout).toContain('q 5: full [4] partial [3 5]');
    const bad = attnc('schedule', doc, '--q-len', '300', '--input', `doc=${npy}`);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('error[bad_input]');
    const missing = attnc('schedule', doc, '--q-len', '300');
    expect(missing.stderr).toContain('error[bad_input]');
  });

  it('rejects bad sizes and parameters with codes', () => {
    expect(attnc('schedule', file, '--q-len', '100', '--block-q', '48').stderr).toContain('error[bad_size]');
    expect(attnc('schedule', file, '--q-len', 'lots').stderr).toContain('error[bad_size]');
    expect(attnc('schedule', file, '--q-len', '100', '--param', 'window=wide').stderr).toContain('error[bad_param_value]');
    expect(attnc('schedule', file, '--q-len', '100', '--param', 'windw=3').stderr).toContain('error[unknown_param]');
    expect(attnc('schedule', file, '--q-len', '100', '--pattern', 'nope').stderr).toContain('error[unknown_pattern]');
  });

  it('warns about fully masked rows', () => {
    const f = path.join(dir, 'gap.attn');
    fs.writeFileSync(f, 'pattern gap() {\n  allow k < 40 && q < 50\n}\n');
    const r = attnc('schedule', f, '--q-len', '100', '--block-q', '16', '--block-kv', '16');
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('warning[fully_masked_rows]');
    expect(r.stderr).toContain('50..100');
  });
});

describe('attnc viz', () => {
  it('draws svg and png, and a terminal map', () => {
    const svg = path.join(dir, 'm.svg');
    expect(attnc('viz', file, '--q-len', '4k', '-o', svg).status).toBe(0);
    const text = fs.readFileSync(svg, 'utf8');
    expect(text).toContain('<svg');
    expect(text).toContain('ideal speedup');
    const png = path.join(dir, 'm.png');
    expect(attnc('viz', file, '--q-len', '4k', '-o', png).status).toBe(0);
    expect(Array.from(fs.readFileSync(png).subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);
    const t = attnc('viz', file, '--q-len', '2k', '--format', 'term');
    expect(t.status).toBe(0);
    expect(t.stdout).toContain('█');
    expect(t.stdout).toContain('▒');
  });
});
