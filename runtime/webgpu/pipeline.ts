/**
 * Turns a kernel body plus a tile shape into a compute pipeline, with its bind group layout
 * built from the kernel spec. A shader that does not compile is reported with the offending
 * WGSL lines shown, never as an opaque failure.
 */
import { SHADER_STAGE_COMPUTE, type GpuBindGroupLayout, type GpuComputePipeline, type GpuDevice, type GpuCompilationMessage } from './gpu.ts';
import type { KernelSpec } from './interface.ts';
import { kernelSource, type TileConfig } from './tiles.ts';

/** Why the runtime refused or failed a run. `code` matches attnc's diagnostic codes. */
export class AttentionError extends Error {
  constructor(readonly code: 'bad_size' | 'bad_input' | 'bad_tile_shape' | 'no_webgpu' | 'shader_error', message: string) {
    super(message);
    this.name = 'AttentionError';
  }
}

/** A compiled kernel specialisation. */
export interface CompiledKernel {
  readonly tiles: TileConfig;
  readonly source: string;
  readonly layout: GpuBindGroupLayout;
  readonly pipeline: GpuComputePipeline;
  /**
   * The tiled kernel's combine pass ([Note: Split rows] in schedule-buffer.ts), for patterns
   * without `select`: compiled on first use (most calls split no row), then kept.
   */
  readonly combine?: () => Promise<GpuComputePipeline>;
}

/** Compiler messages with the WGSL line each one points at. */
export function formatShaderMessages(source: string, messages: readonly GpuCompilationMessage[], fallback = ''): string {
  const lines = source.split('\n');
  const out: string[] = [];
  for (const m of messages) {
    out.push(`${m.type}: ${m.message.trim()}`);
    if (m.lineNum > 0) out.push(`  --> wgsl:${m.lineNum}:${m.linePos}`, `  ${m.lineNum} | ${lines[m.lineNum - 1] ?? ''}`);
  }
  if (!out.length && fallback) {
    out.push(fallback.trim());
    const at = /wgsl:(\d+):(\d+)/.exec(fallback);
    if (at) out.push(`  ${at[1]} | ${lines[Number(at[1]) - 1] ?? ''}`);
  }
  return out.join('\n');
}

/** Compiles `body` specialised to `tiles`; throws `AttentionError('shader_error')` with the lines shown. */
export async function compileKernel(device: GpuDevice, spec: KernelSpec, body: string, tiles: TileConfig): Promise<CompiledKernel> {
  const source = kernelSource(tiles, body);
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: source, label: `attnc ${spec.pattern}` });
  const info = module.getCompilationInfo ? await module.getCompilationInfo() : { messages: [] };
  const errors = info.messages.filter((m) => m.type === 'error');
  const layout = device.createBindGroupLayout({
    label: `attnc ${spec.pattern}`,
    entries: [
      { binding: 0, visibility: SHADER_STAGE_COMPUTE, buffer: { type: 'uniform' } },
      ...spec.bindings.map((b) => ({ binding: b.binding, visibility: SHADER_STAGE_COMPUTE, buffer: { type: b.access === 'read' ? ('read-only-storage' as const) : ('storage' as const) } })),
    ],
  });
  const pipelineLayout = errors.length ? undefined : device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const entry = (entryPoint: string) => device.createComputePipeline({ label: `attnc ${spec.pattern}${entryPoint === 'main' ? '' : ` ${entryPoint}`}`, layout: pipelineLayout!, compute: { module, entryPoint } });
  const pipeline = errors.length ? undefined : entry('main');
  const scoped = await device.popErrorScope();
  const fail = (message: string) => new AttentionError('shader_error', `the WGSL kernel of \`${spec.pattern}\` does not compile:\n${formatShaderMessages(source, errors, message)}`);
  if (errors.length || scoped || !pipeline) throw fail(scoped?.message ?? '');
  let combine: Promise<GpuComputePipeline> | undefined;
  const compileCombine = async () => {
    device.pushErrorScope('validation');
    const p = entry('combine');
    const err = await device.popErrorScope();
    if (err) throw fail(err.message);
    return p;
  };
  return { tiles, source, layout, pipeline, ...(tiles.kernel === 'tiled' && !spec.select ? { combine: () => (combine ??= compileCombine()) } : {}) };
}
