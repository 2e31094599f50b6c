import { describe, expect, it } from 'vitest';
import { headDimScale, loadProfile } from '../../compiler/5-simulate/profile.ts';

describe('head dim scaling of a kernel model', () => {
  const h200 = loadProfile('h200')!.kernels['attnc-cuda'];
  it('uses the measured factor of the kernel a head dim runs on (the next width at or above it)', () => {
    expect(headDimScale(h200.headDimScale, 128)).toBe(1);
    expect(headDimScale(h200.headDimScale, 64)).toBe(h200.headDimScale!['64']);
    expect(headDimScale(h200.headDimScale, 32)).toBe(h200.headDimScale!['64']);
    expect(headDimScale(h200.headDimScale, 96)).toBe(1);
    expect(headDimScale(h200.headDimScale, 160)).toBe(h200.headDimScale!['256']);
    expect(h200.headDimScale!['64']).toBeGreaterThan(0.5);
  });
  it('scales linearly without a table', () => {
    expect(headDimScale(undefined, 64)).toBe(0.5);
    expect(headDimScale(undefined, 256)).toBe(2);
  });
});
