/**
 * bench/cuda/ablate.py makes its leave-one-stage-out variants by editing the generated Hopper
 * kernel's text; every edit must still find its line in the current template's output, or the
 * GPU run would stop at the first variant.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';

let havePython = true;
try { execFileSync('python3', ['--version'], { stdio: 'ignore' }); } catch { havePython = false; }

describe.skipIf(!havePython)('bench/cuda/ablate.py', () => {
  it("applies every variant's edits to every bundled pattern's kernel", () => {
    const files = fs.readdirSync('generated/cuda').sort().map((p) => `generated/cuda/${p}/${p}.cu`);
    const out = execFileSync('python3', ['bench/cuda/ablate.py', '--self-check', ...files], { encoding: 'utf8' });
    expect(out).toMatch(new RegExp(`variants apply to ${files.length} files`));
  });
});
