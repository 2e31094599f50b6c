/**
 * Node side of the Deno bridge: finds a Deno binary (the `deno` npm package, or `deno` on
 * PATH), runs `deno-runner.ts` on a job and returns its results. Node itself has no WebGPU;
 * Deno's (wgpu) runs on any Vulkan driver, Mesa's lavapipe included.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunnerJob, RunnerResult } from './runner-protocol.ts';
import { packagePath } from '../io/package-root.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

/** No usable WebGPU implementation: no Deno, or no adapter (no Vulkan driver). */
export class NoWebGpuError extends Error {}

/** npm's package of Deno's binary for this platform (an optional dependency of attnc). */
function denoPackage(): string | undefined {
  const arch = process.arch === 'x64' || process.arch === 'arm64' ? process.arch : undefined;
  if (!arch) return undefined;
  if (process.platform === 'linux') return `@deno/linux-${arch}-glibc`;
  if (process.platform === 'darwin' || process.platform === 'win32') return `@deno/${process.platform}-${arch}`;
  return undefined;
}

/** Path of a Deno binary, or undefined. `ATTNC_DENO` names the one to use; otherwise the npm
 * package installed with attnc, then `deno` on PATH. */
export function findDeno(): string | undefined {
  if (process.env.ATTNC_DENO !== undefined) return fs.existsSync(process.env.ATTNC_DENO) ? process.env.ATTNC_DENO : undefined;
  const pkg = denoPackage();
  if (pkg) {
    try {
      const dir = path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
      const bin = path.join(dir, process.platform === 'win32' ? 'deno.exe' : 'deno');
      if (fs.existsSync(bin)) return bin;
    } catch {
      // not installed: optional dependencies are skipped on unsupported platforms
    }
  }
  const r = spawnSync('deno', ['--version'], { stdio: 'ignore' });
  return r.status === 0 ? 'deno' : undefined;
}

/** The script Deno runs: the source in a checkout, else the bundle the package ships. */
function runnerPath(): string {
  const source = path.join(here, 'deno-runner.ts');
  return fs.existsSync(source) ? source : packagePath('dist/deno-runner.mjs');
}

/**
 * Runs a Deno script on WebGPU: `script input.json result.json`, with `input` written as JSON;
 * returns the parsed result. Throws `NoWebGpuError` when there is no Deno, or no adapter
 * (the script exits 3); `what` names the script in other failures.
 */
export function runDenoScript<T>(script: string, input: unknown, what: string, timeoutMs = 600_000): T {
  const deno = findDeno();
  if (!deno) throw new NoWebGpuError(`Deno is not installed: npm installs it with attnc (optional dependency \`deno\`, package ${denoPackage() ?? '(none for this platform)'}); or put \`deno\` on PATH, or set ATTNC_DENO`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-job-'));
  try {
    const jobFile = path.join(dir, 'job.json'), resultFile = path.join(dir, 'result.json');
    fs.writeFileSync(jobFile, JSON.stringify(input));
    const r = spawnSync(deno, ['run', '--quiet', '--allow-read', '--allow-write', '--no-config', '--no-lock', script, jobFile, resultFile], {
      encoding: 'utf8',
      timeout: timeoutMs,
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? os.tmpdir(), NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
    });
    if (r.status === 3) throw new NoWebGpuError(`Deno found no WebGPU adapter: install a Vulkan driver (Debian: apt-get install mesa-vulkan-drivers libvulkan1)`);
    if (r.status !== 0 || !fs.existsSync(resultFile)) {
      throw new Error(`${what} failed (${r.error ? r.error.message : `exit ${r.status ?? r.signal}`}): ${(r.stderr ?? '').trim().split('\n').slice(-20).join('\n')}`);
    }
    return JSON.parse(fs.readFileSync(resultFile, 'utf8')) as T;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `job` in Deno; throws `NoWebGpuError` when there is no WebGPU to run on. */
export function runInDeno(job: RunnerJob, timeoutMs = 600_000): RunnerResult[] {
  return runDenoScript<RunnerResult[]>(runnerPath(), job, 'the Deno WebGPU runner', timeoutMs);
}

/** A temporary folder for tensor files, removed by the returned function. */
export function tensorDir(): { dir: string; file(name: string, data?: ArrayBufferView): string; read(name: string): Uint8Array; dispose(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-tensors-'));
  return {
    dir,
    file(name, data) {
      const p = path.join(dir, name);
      if (data) fs.writeFileSync(p, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return p;
    },
    read: (name) => new Uint8Array(fs.readFileSync(path.join(dir, name))),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
