/**
 * Deno script: compiles WGSL files on Deno's WebGPU and reports the ones that do not compile.
 * Usage: `deno run --allow-read --allow-write wgsl-validate.deno.ts files.json result.json`,
 * where files.json lists paths; result.json gets `{ path: messages }` for each failure.
 * Exit status 3 when there is no WebGPU adapter. Only the shader module is created (wgpu's
 * naga parses and validates it); no pipeline is built, so no driver compile runs.
 */
declare const Deno: {
  readonly args: string[];
  readTextFileSync(path: string): string;
  writeTextFileSync(path: string, data: string): void;
  exit(code: number): never;
};
interface Message { readonly type: string; readonly message: string; readonly lineNum: number; readonly linePos: number }
interface Device {
  pushErrorScope(filter: string): void;
  popErrorScope(): Promise<{ message: string } | null>;
  createShaderModule(desc: { code: string }): { getCompilationInfo?(): Promise<{ messages: readonly Message[] }> };
}
declare const navigator: { gpu?: { requestAdapter(): Promise<{ requestDevice(): Promise<Device> } | null> } };

const files = JSON.parse(Deno.readTextFileSync(Deno.args[0])) as string[];
const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
if (!adapter) Deno.exit(3);
const device = await adapter.requestDevice();
const bad: Record<string, string> = {};
for (const file of files) {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: Deno.readTextFileSync(file) });
  const info = module.getCompilationInfo ? await module.getCompilationInfo() : { messages: [] };
  const scoped = await device.popErrorScope();
  const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos}: ${m.message}`);
  if (scoped) errors.push(scoped.message);
  if (errors.length) bad[file] = errors.join('\n');
}
Deno.writeTextFileSync(Deno.args[1], JSON.stringify(bad));
