/**
 * The Python runtime (runtime/python, package `attnc`) passes its tests (test/python), run
 * with pytest on the CPU against a reference extension in plain PyTorch: forward values,
 * gradients of q, k and v, GQA, fully masked rows, torch.library.opcheck, torch.compile
 * without graph breaks, argument validation, and the module rendered from
 * templates/cuda/loader.py.hbs. Needs python3 with torch and pytest: when they are missing
 * the test is skipped, except under CI (the CI environment variable set), where it fails.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const PYTHON = process.env.PYTHON ?? 'python3';

/** Why the Python tests cannot run here, or undefined when they can. */
function missing(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, pytest'], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === 'ENOENT') return `${PYTHON} is not installed`;
    const last = err.stderr?.toString().trim().split('\n').pop() ?? '';
    return `${PYTHON} cannot import torch and pytest (${last}); install them with: ${PYTHON} -m pip install torch pytest`;
  }
}

const reason = missing();

if (reason && process.env.CI) {
  describe('Python runtime', () => {
    it('has python3 with torch and pytest (required under CI)', () => {
      throw new Error(reason);
    });
  });
} else {
  if (reason) console.warn(`test/python.test.ts skipped: ${reason}`);
  describe.skipIf(Boolean(reason))('Python runtime', () => {
    it('passes test/python (pytest, CPU, reference extension)', async () => {
      let result: { code: number; output: string };
      try {
        const { stdout, stderr } = await run(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test/python'], {
          env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
          maxBuffer: 1 << 24,
          timeout: 170_000,
        });
        result = { code: 0, output: stdout + stderr };
      } catch (e) {
        const err = e as { code?: number; stdout?: string; stderr?: string };
        result = { code: typeof err.code === 'number' ? err.code : -1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
      }
      expect(result.code, result.output).toBe(0);
    }, 180_000);
  });
}
