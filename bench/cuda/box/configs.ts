/**
 * The configurations of the box-tile benchmark (bench/cuda/box/prepare.ts, box_bench.py):
 * pattern file, parameters, sequence length. The tests that hold the CUDA host's tile choice
 * and the simulator to the measurements (test/cuda/box-choice.test.ts,
 * test/simulate/box-cuda-measured.test.ts) look the measured ids up here.
 */
export interface Config { id: string; file: string; params: Record<string, number>; len: number; label: string }

const natten2d = (k: number, n: number): Config => ({
  id: `natten2d_k${k}_${n}`, file: 'patterns/natten-2d.attn', params: { kernel_y: k, kernel_x: k, height: n, width: n }, len: n * n, label: `natten-2d ${n}x${n}, kernel ${k}x${k}`,
});
const swin = (w: number, shift: number, n: number): Config => ({
  id: `swin_w${w}${shift ? `s${shift}` : ''}_${n}`, file: 'patterns/swin.attn', params: { window: w, shift, height: n, width: n }, len: n * n, label: `swin ${n}x${n}, window ${w}${shift ? `, shift ${shift}` : ''}`,
});
const radial = (frames: number, frameTokens: number): Config => ({
  id: `radial_f${frames}`, file: 'patterns/radial.attn', params: { frame_tokens: frameTokens, frames }, len: frames * frameTokens, label: `radial ${frames} frames x ${frameTokens} tokens`,
});

export const CONFIGS: readonly Config[] = [
  natten2d(7, 128), natten2d(7, 256), natten2d(13, 128), natten2d(13, 256),
  {
    id: 'natten3d_k7_16x64x64', file: 'patterns/natten-3d.attn', params: { kernel_t: 7, kernel_y: 7, kernel_x: 7, frames: 16, height: 64, width: 64 },
    len: 16 * 64 * 64, label: 'natten-3d 16x64x64, kernel 7x7x7',
  },
  swin(8, 0, 128), swin(8, 0, 256), swin(8, 4, 256),
  radial(16, 1024), radial(32, 1024),
  // Wan 2.1 at 480p: 21 latent frames of 30 x 52 tokens, frames not a multiple of the 128-token tile.
  radial(21, 1560),
];

