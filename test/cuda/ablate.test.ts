/**
 * bench/cuda/ablate.py makes its leave-one-stage-out variants by editing the Hopper forward
 * kernel's text (runtime/cuda/attnc/forward_sm90.cuh); every edit must still find its line in
 * the current kernel, or the GPU run would stop at the first variant.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

let havePython = true;
try { execFileSync('python3', ['--version'], { stdio: 'ignore' }); } catch { havePython = false; }

describe.skipIf(!havePython)('bench/cuda/ablate.py', () => {
  it("applies every variant's edits to the Hopper kernel", () => {
    const out = execFileSync('python3', ['bench/cuda/ablate.py', '--self-check', 'runtime/cuda/attnc/forward_sm90.cuh'], { encoding: 'utf8' });
    expect(out).toMatch(/variants apply to 1 files/);
  });
});
