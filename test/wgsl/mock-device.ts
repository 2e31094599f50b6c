/** A recording mock of the WebGPU device slice the runtime uses (runtime/webgpu/gpu.ts). */
import type { GpuBindGroupLayoutEntry, GpuBuffer, GpuDevice } from '../../runtime/webgpu/gpu.ts';
import { DEFAULT_LIMITS } from '../../runtime/webgpu/tiles.ts';

/** Everything the mock saw. */
export interface MockLog {
  layouts: GpuBindGroupLayoutEntry[][];
  shaders: string[];
  pipelines: number;
  bindGroups: { binding: number; size: number; usage: number }[][];
  dispatches: [number, number, number][];
  writes: { size: number; usage: number; data: Uint8Array }[];
}

/** A device with WebGPU's default limits that records calls and reads back zeros. */
export function mockDevice(features: string[] = []): { device: GpuDevice; log: MockLog } {
  const log: MockLog = { layouts: [], shaders: [], pipelines: 0, bindGroups: [], dispatches: [], writes: [] };
  const buffer = (size: number, usage: number): GpuBuffer => ({
    size, usage,
    mapAsync: async () => {},
    getMappedRange: () => new ArrayBuffer(size),
    unmap: () => {},
    destroy: () => {},
  });
  const device: GpuDevice = {
    limits: DEFAULT_LIMITS,
    features: new Set(features),
    queue: {
      writeBuffer: (b, _o, data) => {
        const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
        log.writes.push({ size: b.size, usage: b.usage, data: bytes.slice() });
      },
      submit: () => {},
      onSubmittedWorkDone: async () => {},
    },
    createBuffer: (d) => buffer(d.size, d.usage),
    createShaderModule: (d) => (log.shaders.push(d.code), { getCompilationInfo: async () => ({ messages: [] }) }),
    createBindGroupLayout: (d) => (log.layouts.push(d.entries), {}),
    createPipelineLayout: () => ({}),
    createComputePipeline: () => (log.pipelines++, {}),
    createBindGroup: (d) => (log.bindGroups.push(Array.from(d.entries, (e) => { const b = (e.resource as { buffer: GpuBuffer }).buffer; return { binding: e.binding, size: b.size, usage: b.usage }; })), {}),
    createCommandEncoder: () => ({
      beginComputePass: () => ({
        setPipeline: () => {},
        setBindGroup: () => {},
        dispatchWorkgroups: (x, y = 1, z = 1) => { log.dispatches.push([x, y, z]); },
        end: () => {},
      }),
      copyBufferToBuffer: () => {},
      finish: () => ({}),
    }),
    pushErrorScope: () => {},
    popErrorScope: async () => null,
  };
  return { device, log };
}
