/**
 * The package as a user gets it: `npm pack` (of dist/ as the test setup left it), installed from the tarball
 * into a fresh project (dependencies from npm's cache, as `npm ci` left it), then
 *   - the tarball holds the built package and none of the repository's tests, benchmarks or
 *     TypeScript sources;
 *   - the installed CLI runs (version, check, schedule, compile) and `attnc playground` serves its page;
 *   - a consumer of the library API and of a generated binding (importing `attnc/webgpu`,
 *     given a standard `GPUDevice` from @webgpu/types) type-checks with the package's
 *     declarations (skipLibCheck off), bundles with esbuild (browser and Node), and runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

let dir = '';
let proj = '';
let files: string[] = [];

function run(cmd: string, args: string[], cwd = proj): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
const attnc = (...args: string[]) => run(process.execPath, [path.join(proj, 'node_modules/attnc/bin/attnc.mjs'), ...args]);

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-pack-'));
  // dist/ is current (test/helpers/setup.ts built it if a source was newer): pack it as it is.
  const out = JSON.parse(run(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT)) as { filename: string; files: { path: string }[] }[];
  files = out[0].files.map((f) => f.path);
  proj = path.join(dir, 'consumer');
  fs.mkdirSync(proj);
  fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  for (const f of ['api.ts', 'web.ts', 'tsconfig.json']) fs.copyFileSync(path.join(ROOT, 'test/package/consumer', f), path.join(proj, f));
  const dev = (name: string) => `${name}@${pkg.devDependencies[name]}`;
  run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(dir, out[0].filename), dev('typescript'), dev('esbuild'), dev('@webgpu/types')]);
}, 600_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds the built package, not the repository', () => {
    for (const f of ['bin/attnc.mjs', 'dist/cli.mjs', 'dist/index.mjs', 'dist/webgpu.mjs', 'dist/deno-runner.mjs', 'dist/types/compiler/index.d.ts', 'dist/types/runtime/webgpu/index.d.ts', 'templates/wgsl/attention.wgsl.hbs', 'profiles/h200.json', 'patterns/streaming.attn', 'runtime/cuda/attnc/runtime.h', 'runtime/python/attnc/flex.py', 'README.md', 'dist/playground/index.html', 'dist/playground/main.js', 'dist/playground/style.css']) {
      expect(files, f).toContain(f);
    }
    const unwanted = files.filter((f) => /^(test|bench|generated|scripts|compiler)\//.test(f) || (/\.ts$/.test(f) && !f.endsWith('.d.ts')));
    expect(unwanted).toEqual([]);
  });

  it('serves the playground from the installed package', async () => {
    const server = spawn(process.execPath, [path.join(proj, 'node_modules/attnc/bin/attnc.mjs'), 'playground', '--port', '0'], { cwd: proj, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d) => { out += d; const m = /http:\/\/\S+/.exec(out); if (m) resolve(m[0]); });
        server.once('exit', (code) => reject(new Error(`attnc playground exited ${code}: ${out}`)));
      });
      const page = await fetch(url);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('<script type="module" src="main.js">');
      expect((await fetch(new URL('main.js', url))).status).toBe(200);
      expect((await fetch(new URL('../package.json', url))).status).toBe(404);
    } finally {
      server.kill();
    }
  });

  it('installs a CLI that runs', () => {
    expect(attnc('--version').trim()).toBe(pkg.version);
    const patterns = path.join(proj, 'node_modules/attnc/patterns');
    expect(attnc('check', path.join(patterns, 'streaming.attn'))).toMatch(/no errors/);
    expect(attnc('schedule', path.join(patterns, 'sliding-window.attn'), '--q-len', '4k', '--format', 'text')).toMatch(/tiles: \d+ full, \d+ partial/);
    expect(attnc('compile', path.join(patterns, 'streaming.attn'), '--target', 'ts,cuda,flex', '--out', path.join(proj, 'gen'))).toMatch(/wrote .*streaming\.ts/);
    expect(fs.readFileSync(path.join(proj, 'gen/streaming.ts'), 'utf8')).toMatch(/from 'attnc\/webgpu';/);
  });

  it('type-checks, bundles and runs a consumer of the API and of a generated binding', () => {
    run(process.execPath, [path.join(proj, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
    const esbuild = path.join(proj, 'node_modules/esbuild/bin/esbuild');
    run(esbuild, ['web.ts', '--bundle', '--format=esm', '--platform=browser', '--outfile=out/web.js', '--log-level=error']);
    const web = fs.readFileSync(path.join(proj, 'out/web.js'), 'utf8');
    expect(web).toMatch(/function createAttention\(/);
    expect(web).not.toMatch(/from ["']node:/);
    run(esbuild, ['api.ts', '--bundle', '--format=esm', '--platform=node', '--packages=external', '--outfile=out/api.mjs', '--log-level=error']);
    const got = JSON.parse(run(process.execPath, ['out/api.mjs'])) as Record<string, unknown>;
    expect(got).toEqual({ full: expect.any(Number), partial: expect.any(Number), files: ['w.cu', 'w.h', 'w_torch.cpp', 'w.py'], faster: true, bad: 'syntax_error', err: 'unknown_param' });
    expect(got.full as number).toBeGreaterThan(0);
  });
});
