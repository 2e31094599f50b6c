/**
 * `attnc compile --target cuda` as a user runs it: the four files, the C interface, and a
 * host half that builds (g++, ATTNC_HOST_ONLY) and enforces the pattern's asserts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CUDA_RUNTIME_INCLUDE } from '../../bench/cuda/host.ts';

let haveGpp = true;
try { execFileSync('g++', ['--version'], { stdio: 'ignore' }); } catch { haveGpp = false; }

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-cuda-cli-'));
const file = path.join(dir, 'p.attn');
fs.writeFileSync(file, [
  '/// Local attention over equal-length sequences.',
  'pattern local(window: int = 20, runtime shift: int = 0) {',
  '  assert q_len == kv_len, "local attention needs q_len == kv_len"',
  '  allow abs(q - k) < window + shift',
  '}',
  '',
].join('\n'));

/**
 * Builds a host-only program around `<name>.cu` in `srcDir` that fills the args with `sizes`
 * (q_len, kv_len), calls the assert check, changes them by `change` and checks again; returns
 * "first|second" (each the message or -).
 */
function checkTwice(srcDir: string, name: string, sizes: [number, number], change: string): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `attnc-check-${name}-`));
  fs.mkdirSync(path.join(work, 'stub'), { recursive: true });
  fs.writeFileSync(path.join(work, 'stub', 'cuda_runtime.h'), 'typedef struct CUstream_st* cudaStream_t;\n');
  fs.writeFileSync(path.join(work, 'main.cpp'), [
    `#include "${name}.cu"`,
    '#include <cstdio>',
    'int main() {',
    `  attnc_${name}_args a{}; a.q_len = ${sizes[0]}; a.kv_len = ${sizes[1]}; a.heads = 2; a.batch = 1; a.kv_heads = 1; a.block_kv = 64;`,
    `  const char* first = attnc_${name}_check(&a);`,
    `  ${change};`,
    `  const char* second = attnc_${name}_check(&a);`,
    '  printf("%s|%s\\n", first ? first : "-", second ? second : "-");',
    '}',
    '',
  ].join('\n'));
  const exe = path.join(work, 'main');
  execFileSync('g++', ['-std=c++17', '-DATTNC_HOST_ONLY', '-I', path.join(work, 'stub'), '-I', srcDir, '-I', CUDA_RUNTIME_INCLUDE, '-o', exe, path.join(work, 'main.cpp')]);
  return execFileSync(exe, { encoding: 'utf8' }).trim();
}

function attnc(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('attnc compile --target cuda', () => {
  const out = path.join(dir, 'out');
  it('writes the kernel source, the C header, the PyTorch binding and loader', () => {
    const r = attnc(['compile', file, '--target', 'cuda', '--out', out, '--param', 'window=33']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['local.cu', 'local.h', 'local.py', 'local_torch.cpp']);
    const h = fs.readFileSync(path.join(out, 'local.h'), 'utf8');
    expect(h).toContain('int attnc_local_forward(const attnc_local_args* args, cudaStream_t stream);');
    expect(h).toContain('const char* attnc_local_check(const attnc_local_args* args);');
    expect(h).toContain('double p_shift;');
    const cu = fs.readFileSync(path.join(out, 'local.cu'), 'utf8');
    expect(cu).toContain('// mask(b, h, q, k) = abs(q - k) < 33 + shift');
    expect(cu).toContain('struct Pattern {');
    expect(cu).toContain('return attnc::forward<attnc_local::Pattern>(a, stream);');
    expect(cu).toContain('return attnc::backward<attnc_local::Pattern>(a, stream);');
    expect(h).toContain('int attnc_local_backward(const attnc_local_args* args, cudaStream_t stream);');
    expect(fs.readFileSync(path.join(out, 'local.py'), 'utf8')).toContain('def attention(q, k, v');
  });

  it.skipIf(!haveGpp)('builds a host half that refuses shapes the asserts reject', () => {
    expect(checkTwice(out, 'local', [100, 100], 'a.kv_len = 120')).toBe('-|local attention needs q_len == kv_len');
  });
});

describe('input arrays read past their length', () => {
  it.skipIf(!haveGpp)('are refused by the entry point: doc[q] with doc: int[kv_len] and q_len > kv_len', () => {
    expect(checkTwice('generated/cuda/document', 'document', [200, 200], 'a.q_len = 333'))
      .toBe('-|input array `doc` has kv_len entries but is read at every q: q_len must not exceed kv_len');
  });
});
