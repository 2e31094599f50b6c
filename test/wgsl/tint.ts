/**
 * Compiles WGSL modules with Tint, Chromium's WGSL compiler (the lavapipe tests compile with
 * Naga, Deno's): headless Chromium on SwiftShader, driven by playwright-core (never a
 * downloaded browser). `CHROMIUM` is undefined when Chromium is not installed.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = (process.env.ATTNC_CHROMIUM ? [process.env.ATTNC_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser']).find((p) => fs.existsSync(p));
const FLAGS = ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan,WebGPUSwiftShader', '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** A module to compile, and its entry points. */
export interface Module { readonly name: string; readonly code: string; readonly entryPoints: readonly string[]; readonly f16: boolean }

/** Compiles `modules` (f16 ones only where the adapter has shader-f16); returns the errors. */
export async function compileWithTint(modules: readonly Module[]): Promise<{ adapter: boolean; f16: boolean; errors: string[] }> {
  // WebGPU needs a secure context: a page from localhost.
  const server = http.createServer((_, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><title>attnc</title>'); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-chromium-'));
  const context = await chromium.launchPersistentContext(userData, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const report = await page.evaluate(async (mods: Module[]) => {
      /* eslint-disable @typescript-eslint/no-explicit-any */
      const gpu = (globalThis as any).navigator?.gpu;
      const adapter = gpu && (await gpu.requestAdapter());
      if (!adapter) return { adapter: false, f16: false, errors: ['no WebGPU adapter'] };
      const f16 = adapter.features.has('shader-f16');
      const device = await adapter.requestDevice({ requiredFeatures: f16 ? ['shader-f16'] : [] });
      const errors: string[] = [];
      for (const m of mods) {
        if (m.f16 && !f16) continue;
        device.pushErrorScope('validation');
        const module = device.createShaderModule({ code: m.code });
        const info = await module.getCompilationInfo();
        for (const msg of info.messages) if (msg.type === 'error') errors.push(`${m.name}:${msg.lineNum}: ${msg.message}`);
        for (const entryPoint of m.entryPoints) device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint } });
        const scoped = await device.popErrorScope();
        if (scoped) errors.push(`${m.name}: ${scoped.message}`);
      }
      return { adapter: true, f16, errors };
    }, modules as Module[]);
    return report;
  } finally {
    await context.close();
    server.close();
    fs.rmSync(userData, { recursive: true, force: true });
  }
}
