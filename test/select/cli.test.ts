/**
 * `check`, `schedule`, `viz`, `compile` and `simulate` on patterns with a select clause, as a
 * user runs them: the static part with a note, the merged schedule with --q/--k or a score
 * input, coded diagnostics for bad shapes and for the targets that refuse; `run` on WebGPU.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeNpy } from '../../runtime/io/npy.ts';
import { webgpuUnavailable } from '../wgsl/harness.ts';

const F = 'test/select/fixtures';

function attnc(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-select-'));
function npy(name: string, shape: number[], f: (i: number) => number, float64 = false): string {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = float64 ? Float64Array.from({ length: n }, (_, i) => f(i)) : Float32Array.from({ length: n }, (_, i) => f(i));
  const file = path.join(dir, name);
  fs.writeFileSync(file, writeNpy({ dtype: float64 ? 'f8' : 'f4', shape, data }));
  return file;
}

const q = npy('q.npy', [1, 2, 300, 4], (i) => Math.sin(i * 0.37));
const k = npy('k.npy', [1, 1, 300, 4], (i) => Math.cos(i * 0.11), true);

describe('select on the command line', () => {
  it('check and ast take the paper patterns', () => {
    const r = attnc('check', ...['moba', 'nsa', 'quest', 'seer'].map((n) => `${F}/${n}.attn`));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('4 patterns: no errors');
    expect(attnc('ast', `${F}/nsa.attn`).stdout).toContain('select  top(topn) blocks(128, 64) by dot(mean(q), mean(k)) per kv_head');
  });

  it('schedule without data: the static part, and a note that the selection is per call', () => {
    const r = attnc('schedule', `${F}/moba.attn`, '--q-len', '300', '--heads', '2', '--param', 'block=64');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/note: pattern `moba` selects key blocks per call/);
    expect(r.stdout).toContain('q 2: full [] partial [2]');
    expect(r.stdout).not.toContain('selected by');
  });

  it('schedule and viz with --q/--k: the merged schedule, selected tiles marked', () => {
    const r = attnc('schedule', `${F}/moba.attn`, '--q-len', '300', '--heads', '2', '--param', 'block=64', '--param', 'topk=1', '--q', q, '--k', k);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/selected by this call's data: \(1, 0\)/);
    const v = attnc('viz', `${F}/moba.attn`, '--q-len', '300', '--heads', '2', '--param', 'block=64', '--q', q, '--k', k, '--format', 'term');
    expect(v.status).toBe(0);
    expect(v.stdout).toContain('selected by the data');
    expect(v.stdout).toMatch(/[▓░]/);
    const svg = path.join(dir, 'm.svg');
    expect(attnc('viz', `${F}/moba.attn`, '--q-len', '300', '--heads', '2', '--param', 'block=64', '--q', q, '--k', k, '-o', svg).status).toBe(0);
    expect(fs.readFileSync(svg, 'utf8')).toContain('selected: full');
  });

  it('a score input: the merged schedule; a wrong shape is bad_input', () => {
    const gate = npy('gate.npy', [1, 2, 5, 5], (i) => (i * 7) % 11);
    const r = attnc('schedule', `${F}/seer.attn`, '--q-len', '300', '--heads', '2', '--input', `gate=${gate}`, '--format', 'json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).format).toBe('attnc.schedule/1');
    const bad = npy('gate-bad.npy', [1, 2, 5, 4], () => 0);
    const b = attnc('schedule', `${F}/seer.attn`, '--q-len', '300', '--heads', '2', '--input', `gate=${bad}`);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain('error[bad_input]: input `gate` has shape (1, 2, 5, 4), but the call needs [batch, heads, q_blocks, kv_blocks] = [1, 2, 5, 5]');
    expect(b.stderr).not.toMatch(/\n\s+at /);
  });

  it('bad data shapes and sizes get coded diagnostics', () => {
    const cases: [string[], string][] = [
      [['--q', q], 'give both --q and --k'],
      [['--q', q, '--k', npy('k3.npy', [1, 3, 300, 4], () => 0)], 'must divide the 2 heads'],
      [['--q', q, '--k', npy('kd.npy', [1, 1, 300, 5], () => 0)], 'head dim 5'],
      [['--q', npy('q3.npy', [2, 300, 4], () => 0), '--k', k], 'expected a 4-D array'],
      [['--q', npy('qi.npy', [1, 2, 300, 4], () => 0), '--k', k, '--heads', '4'], 'give --heads 2'],
      [['--q', q, '--k', k, '--kv-heads', '2'], 'but --kv-heads is 2'],
      [['--q', npy('qb.npy', [1, 2, 300, 4], () => 0), '--k', k, '--batch', '3'], 'give --batch 1'],
    ];
    for (const [args, text] of cases) {
      const r = attnc('schedule', `${F}/moba.attn`, '--q-len', '300', '--heads', '2', ...args);
      expect(r.status, text).toBe(1);
      expect(r.stderr, text).toContain('error[bad_input]');
      expect(r.stderr, text).toContain(text);
    }
    const bq = attnc('schedule', `${F}/maxpool.attn`, '--q-len', '100', '--param', 'bq=-3');
    expect(bq.status).toBe(1);
    expect(bq.stderr).toContain('error[bad_select]');
    expect(bq.stderr).toContain('bq = -3');
  });

  it('compile emits the CUDA target of a selection, scored from q and k or by a score input, with its entry points', () => {
    const out = path.join(dir, 'out-cuda');
    const r = attnc('compile', `${F}/quest.attn`, '--target', 'cuda', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const cu = fs.readFileSync(path.join(out, 'quest.cu'), 'utf8');
    expect(cu).toContain('struct Pattern : Static {');
    expect(cu).toContain('struct Restriction {');
    expect(cu).toContain('struct Candidates {');
    expect(cu).toContain('SELECT_SCORE = attnc::SELECT_BOUND;');
    expect(cu).toContain('attnc::forwardDynamic<attnc_quest::Pattern>');
    expect(fs.readFileSync(path.join(out, 'quest.h'), 'utf8')).toContain('size_t attnc_quest_forward_workspace(const attnc_quest_args* args);');
    // A score input: the selection reads it instead of pooling q and k.
    const seer = attnc('compile', `${F}/seer.attn`, '--target', 'cuda', '--out', path.join(dir, 'out-seer'));
    expect(seer.status, seer.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'out-seer', 'seer.cu'), 'utf8')).toContain('SELECT_SCORE = attnc::SELECT_INPUT;');
  });

  it('simulate prices a pattern with select from its k: more picks, more tiles and time', () => {
    const run = (topk: string) => {
      const r = attnc('simulate', `${F}/moba.attn`, '--q-len', '16k', '--gpu', 'h200', '--param', `topk=${topk}`, '--format', 'json');
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { fullTiles: number; partialTiles: number; sparseMs: number; gap: { overheadMs: number } };
    };
    const [none, few, many] = [run('0'), run('2'), run('6')];
    expect(few.fullTiles).toBeGreaterThan(none.fullTiles);
    expect(many.fullTiles).toBeGreaterThan(few.fullTiles);
    expect(many.sparseMs).toBeGreaterThan(few.sparseMs);
    // The selection step is priced even when nothing is selected.
    expect(none.gap.overheadMs).toBeGreaterThan(0.02);
  });

  it('compile --target wgsl,ts emits any selection, a score input included', () => {
    for (const n of ['quest', 'seer']) {
      const out = path.join(dir, `out-web-${n}`);
      const r = attnc('compile', `${F}/${n}.attn`, '--target', 'wgsl,ts', '--out', out);
      expect(r.status, r.stderr).toBe(0);
      expect(fs.readFileSync(path.join(out, `${n}.wgsl`), 'utf8')).toContain('fn attn_selected(');
      expect(fs.readFileSync(path.join(out, `${n}.ts`), 'utf8')).toContain('export const selection = asSelectionModule(');
    }
  });

  it('compile --target flex refuses a pattern with select (dynamic_unsupported)', () => {
    const r = attnc('compile', `${F}/quest.attn`, '--target', 'flex', '--out', path.join(dir, 'out-flex'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[dynamic_unsupported]: pattern `quest` selects key blocks from each call's data (`select`), which the flex target does not support yet");
    expect(fs.existsSync(path.join(dir, 'out-flex', 'quest_flex.py'))).toBe(false);
  });

  it.skipIf(webgpuUnavailable())('run selects on WebGPU and --check compares with the reference selection', () => {
    const q32 = npy('q32.npy', [1, 2, 300, 32], (i) => Math.sin(i * 0.37));
    const k32 = npy('k32.npy', [1, 1, 300, 32], (i) => Math.cos(i * 0.11));
    const v32 = npy('v32.npy', [1, 1, 300, 32], (i) => Math.sin(i * 0.05));
    const m = attnc('run', `${F}/moba.attn`, '--param', 'block=64', '--param', 'topk=1', '--q', q32, '--k', k32, '--v', v32, '--check', '-o', path.join(dir, 'o.npy'));
    expect(m.stderr).toBe('');
    expect(m.status).toBe(0);
    expect(m.stdout).toContain('key blocks selected on the GPU per call');
    expect(m.stdout).toMatch(/check against the float64 reference: .*: ok/);
    const gate = npy('gate32.npy', [1, 2, 5, 5], (i) => (i * 7) % 11);
    const s = attnc('run', `${F}/seer.attn`, '--param', 'topk=2', '--q', q32, '--k', k32, '--v', v32, '--input', `gate=${gate}`, '--check');
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/: ok\n/);
    const bad = attnc('run', `${F}/seer.attn`, '--q', q32, '--k', k32, '--v', v32, '--input', `gate=${npy('gate-bad32.npy', [1, 2, 5, 4], () => 0)}`);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('error[bad_input]: input `gate` has shape (1, 2, 5, 4), but the call needs [batch, heads, q_blocks, kv_blocks] = [1, 2, 5, 5]');
    const missing = attnc('run', `${F}/seer.attn`, '--q', q32, '--k', k32, '--v', v32);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('error[bad_input]: pattern `seer` scores blocks by its input `gate`: give it with --input gate=FILE.npy');
    const bq = attnc('run', `${F}/maxpool.attn`, '--param', 'bq=-2', '--q', q32, '--k', k32, '--v', v32);
    expect(bq.status).toBe(1);
    expect(bq.stderr).toContain('error[bad_select]');
  });
});
