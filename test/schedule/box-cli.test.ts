/** `--tiles` of `attnc schedule`, `viz` and `simulate` as a user runs them (docs/schedule.md, "Box tiles"). */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function attnc(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const natten = ['patterns/natten-2d.attn', '--q-len', '4096', '--heads', '1', '--param', 'height=64', '--param', 'width=64', '--param', 'kernel_y=13', '--param', 'kernel_x=13'];

describe('--tiles', () => {
  it('schedule --format json carries the box shape chosen by default, and none for strips', () => {
    const auto = JSON.parse(attnc('schedule', ...natten, '--format', 'json').stdout);
    expect(auto.tiles).toEqual({ kind: 'box', axes: ['y', 'x'], strides: [64, 1], q: { shape: [8, 16], extent: [64, 64], grid: [8, 4] }, kv: { shape: [8, 16], extent: [64, 64], grid: [8, 4] } });
    expect(auto.num_q_blocks).toBe(32);
    const strip = JSON.parse(attnc('schedule', ...natten, '--format', 'json', '--tiles', 'strip').stdout);
    expect(strip.tiles).toBeUndefined();
    expect(strip.num_q_blocks).toBe(32);
  });

  it('schedule --format text and viz show the boxes in grid coordinates', () => {
    const text = attnc('schedule', ...natten, '--tiles', '16x8,8x16');
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('query boxes 16x8 (4x8 of them), key boxes 8x16 (8x4)');
    expect(text.stdout).toContain('q  1 (y 0-15, x 8-15): full []');
    const viz = attnc('viz', ...natten, '--format', 'term');
    expect(viz.stdout).toContain('box tiles: query 8x16, key 8x16 over (y, x)');
    expect(viz.stdout).toContain('q ( 8, 16)');
  });

  it('refuses shapes that do not fit with bad_tile_shape', () => {
    for (const [tiles, msg] of [['8x8', 'holds 64 tokens'], ['8x16x1', 'has 3 sizes'], ['8by16', '--tiles expects']]) {
      const r = attnc('schedule', ...natten, '--tiles', tiles);
      expect(r.status, tiles).toBe(1);
      expect(r.stderr).toContain('error[bad_tile_shape]');
      expect(r.stderr).toContain(msg);
    }
    expect(attnc('simulate', ...natten, '--kernel', 'flex', '--tiles', '8x16').stderr).toContain('take strips only');
    // The CUDA Hopper forward runs boxes whose last side is at least 8 tokens.
    const short = attnc('simulate', ...natten, '--gpu', 'h200', '--tiles', '32x4');
    expect(short.status).toBe(1);
    expect(short.stderr).toContain('last side is at least 8');
    expect(attnc('simulate', ...natten, '--gpu', 'h200', '--tiles', '8x16').status).toBe(0);
  });
});
