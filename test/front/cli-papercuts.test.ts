/** CLI papercuts (each found by a user): simulate --sweep without --q-len, one report per unknown --param, check --json, viz --groups, the missing-input hint, `-` for standard input, whole doc summaries in generated Python, located plan-time assert failures, no PNG bytes to a terminal, one --heads default, equal-mask head groups, the sweep plot's label, schedule and viz formats from the output's name. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

describe('CLI papercuts', () => {
  const attnc = (...args: string[]) => spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8' });
  it('simulate --sweep q_len=... needs no --q-len; without either, a coded error', () => {
    const s = attnc('simulate', 'patterns/causal.attn', '--sweep', 'q_len=4k..8k');
    expect(s.status).toBe(0);
    expect(s.stdout).toContain('| 8192 x 8192');
    const none = attnc('simulate', 'patterns/causal.attn');
    expect(none.status).not.toBe(0);
    expect(none.stderr).toContain('error[bad_size]: --q-len is required');
  });
  it('the sweep plot names what it plots: the speedup over dense SDPA (the vs baseline column), not the same-kernel speedup', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-sweep-'));
    const svg = path.join(dir, 'sweep.svg');
    const r = attnc('simulate', 'patterns/causal.attn', '--sweep', 'q_len=4k..16k', '--format', 'json', '-o', svg);
    expect(r.status).toBe(0);
    const text = fs.readFileSync(svg, 'utf8');
    expect(text).toContain('predicted speedup over dense SDPA');
    const rows = JSON.parse(r.stdout) as { speedup: number; speedupVsBaseline: number }[];
    // The two speedups differ, so which one the line shows matters.
    expect(rows.some((x) => Math.abs(x.speedup - x.speedupVsBaseline) > 0.01)).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('--heads has one default (16) in schedule, viz and simulate', () => {
    expect(attnc('schedule', 'patterns/causal.attn', '--q-len', '1k', '--format', 'text').stdout).toMatch(/heads=16 /);
    expect(JSON.parse(attnc('schedule', 'patterns/causal.attn', '--q-len', '1k', '--format', 'json').stdout).heads).toBe(16);
    const sim = (...more: string[]) => JSON.parse(attnc('simulate', 'patterns/causal.attn', '--q-len', '4k', '--format', 'json', ...more).stdout).fullTiles;
    expect(sim()).toBe(sim('--heads', '16'));
    expect(sim()).not.toBe(sim('--heads', '1'));
  });

  it('heads whose masks are equal share a group even when their slot values differ', () => {
    // h = 0 and h = 1 allow nothing beyond the sinks (q - k < -64 and q - k < 0 under causal); h = 2.. differ.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-groups-'));
    const f = path.join(dir, 'mix.attn');
    fs.writeFileSync(f, 'pattern mix(window: int = 64) {\n  causal\n  allow q - k < window * (h - 1)\n  allow k < 4\n}\n');
    const s = JSON.parse(attnc('schedule', f, '--q-len', '1000', '--heads', '6', '--format', 'json').stdout);
    expect(s.groups.map((g: { members: number[] }) => g.members)).toEqual([[0, 1], [2], [3], [4], [5]]);
    expect(s.head_group).toEqual([[0, 0, 1, 2, 3, 4]]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an unknown --param is reported once', () => {
    const r = attnc('schedule', 'patterns/sliding-window.attn', '--q-len', '1k', '--param', 'nope=1');
    expect(r.status).not.toBe(0);
    expect(r.stderr.match(/error\[unknown_param\]/g)).toHaveLength(1);
    expect(r.stderr).toContain('1 error');
  });
  it('check --json prints the diagnostics as data with positions, and the exit status', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-check-'));
    const bad = path.join(dir, 'bad.attn');
    fs.writeFileSync(bad, 'pattern p(w: int = 4) {\n  allow q - k < x\n}\n');
    const r = attnc('check', '--json', bad);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j.errors).toBe(1);
    expect(j.diagnostics[0]).toMatchObject({ code: 'unknown_name', severity: 'error', file: bad, line: 2, col: 17, endLine: 2, endCol: 18 });
    const ok = attnc('check', '--json', 'patterns/causal.attn');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ files: 1, patterns: 1, errors: 0, diagnostics: [] });
  });
  it('viz --groups N draws N head groups, and the footer names that option', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-viz-'));
    const src = path.join(dir, 'mix.attn');
    fs.writeFileSync(src, 'pattern mix() {\n  causal\n  allow q - k < 64 * (h + 1)\n}\n');
    const svg = path.join(dir, 'm.svg');
    expect(attnc('viz', src, '--q-len', '1k', '--heads', '8', '-o', svg).status).toBe(0);
    expect(fs.readFileSync(svg, 'utf8')).toContain('4 more groups not shown: attnc viz --groups N');
    expect(attnc('viz', src, '--q-len', '1k', '--heads', '8', '--groups', '8', '-o', svg).status).toBe(0);
    expect(fs.readFileSync(svg, 'utf8')).not.toContain('more groups not shown');
    const bad = attnc('viz', src, '--q-len', '1k', '--groups', '0', '-o', svg);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('error[bad_param_value]: --groups');
  });
  it('a missing input array says how to pass it', () => {
    const r = attnc('schedule', 'patterns/document.attn', '--q-len', '1k');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error[bad_input]: input array `doc` is required: pass it with --input doc=FILE.npy');
  });
  it('- reads the pattern from standard input', () => {
    const run = (input: string, ...args: string[]) => spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8', input });
    const ok = run('pattern p() {\n  causal\n}\n', 'schedule', '-', '--q-len', '256', '--format', 'json');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).pattern).toBe('p');
    const bad = run('pattern p() {\n  allow q - k < x\n}\n', 'check', '-');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--> <stdin>:2:17');
  });
  it('generated Python docstrings carry the whole first paragraph of the pattern\'s doc, not its first line', () => {
    const py = fs.readFileSync('generated/cuda/streaming/streaming.py', 'utf8');
    const first = py.split('\n').find((l) => l.startsWith('"""'))!;
    expect(first).toContain('Attention Sinks"): the first `sink` tokens');
    expect(first.trimEnd().endsWith('most recent tokens.')).toBe(true);
  });
  it('an assert that fails when planning is reported at its line, with the sizes it was checked against', () => {
    const run = (input: string, ...args: string[]) => spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8', input });
    const r = run('pattern p() {\n  assert q_len % 64 == 0, "q_len must be a multiple of 64"\n  causal\n}\n', 'schedule', '-', '--q-len', '100');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error[assertion_failed]: q_len must be a multiple of 64\n --> <stdin>:2:3');
    expect(r.stderr).toContain('= note: with q_len = 100, kv_len = 100, heads = 1');
  });
  const haveScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!haveScript)('viz --format png refuses to write binary to a terminal, and writes it to a pipe', () => {
    // `script` gives the command a terminal as its standard output.
    const tty = spawnSync('script', ['-qec', `${process.execPath} bin/attnc.mjs viz patterns/causal.attn --q-len 1k --format png`, '/dev/null'], { encoding: 'utf8' });
    expect(tty.stdout).toContain('error[bad_param_value]: a PNG is binary');
    const piped = spawnSync(process.execPath, ['bin/attnc.mjs', 'viz', 'patterns/causal.attn', '--q-len', '1k', '--format', 'png']);
    expect(piped.status).toBe(0);
    expect(piped.stdout.subarray(1, 4).toString()).toBe('PNG');
  });
  it('schedule takes its format from -o (.json, .npz); a --format that contradicts the name is refused, for viz too', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-fmt-'));
    expect(attnc('schedule', 'patterns/causal.attn', '--q-len', '1k', '-o', path.join(dir, 's.npz')).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 's.npz')).subarray(0, 2).toString()).toBe('PK');
    expect(attnc('schedule', 'patterns/causal.attn', '--q-len', '1k', '-o', path.join(dir, 's.json')).status).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 's.json'), 'utf8')).format).toBe('attnc.schedule/1');
    expect(attnc('schedule', 'patterns/causal.attn', '--q-len', '1k', '-o', path.join(dir, 's.txt')).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 's.txt'), 'utf8')).toMatch(/^schedule causal_mask/);
    for (const args of [['schedule', '--format', 'text', '-o', path.join(dir, 'x.json')], ['viz', '--format', 'png', '-o', path.join(dir, 'x.svg')]]) {
      const r = attnc(args[0], 'patterns/causal.attn', '--q-len', '1k', ...args.slice(1));
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('error[bad_param_value]: --format');
      expect(fs.existsSync(args[args.length - 1])).toBe(false);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  it('simulate --sweep -o names a picture (.svg, .png); --input without =file.npy names --input', () => {
    const txt = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-sw-')), 'sw.txt');
    const r = attnc('simulate', 'patterns/causal.attn', '--sweep', 'q_len=1k..4k', '-o', txt);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("-o with --sweep writes the sweep's plot");
    expect(fs.existsSync(txt)).toBe(false);
    const i = attnc('schedule', 'patterns/document.attn', '--q-len', '1k', '--input', 'doc');
    expect(i.status).toBe(1);
    expect(i.stderr).toContain('--input expects name=file.npy, got `doc`');
  });
});
