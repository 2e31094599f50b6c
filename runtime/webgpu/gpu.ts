/**
 * The slice of the WebGPU API that the attention runtime uses, as structural types, so the
 * runtime type-checks without DOM typings and a test can hand it a mock device. A real
 * `GPUDevice` (browser, Deno, Node with a WebGPU package) satisfies these interfaces: every
 * parameter is at least as wide as the standard's (`@webgpu/types`), checked by the package
 * test (test/package), which type-checks a consumer passing a `GPUDevice`.
 * Flag values are the WebGPU spec's; the globals (`GPUBufferUsage`, ...) do not exist in
 * Node, so they are repeated here.
 */

/** `GPUBufferUsage` flags. */
export const BufferUsage = { MAP_READ: 0x1, MAP_WRITE: 0x2, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
/** `GPUShaderStage.COMPUTE`. */
export const SHADER_STAGE_COMPUTE = 0x4;
/** `GPUMapMode.READ`. */
export const MAP_MODE_READ = 0x1;

/** A GPU buffer. */
export interface GpuBuffer {
  readonly size: number;
  readonly usage: number;
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

/** Bind group layout entry (compute buffers only). */
export interface GpuBindGroupLayoutEntry {
  binding: number;
  visibility: number;
  buffer: { type: 'uniform' | 'storage' | 'read-only-storage' };
}

/** Opaque handles. */
export type GpuBindGroupLayout = object;
export type GpuBindGroup = object;
export type GpuPipelineLayout = object;
export type GpuShaderModule = {
  getCompilationInfo?(): Promise<{ readonly messages: readonly GpuCompilationMessage[] }>;
};
/** One shader compiler message. */
export interface GpuCompilationMessage {
  readonly type: string;
  readonly message: string;
  readonly lineNum: number;
  readonly linePos: number;
}
/** A compute pipeline. */
export type GpuComputePipeline = object;

/** A compute pass encoder. */
export interface GpuComputePassEncoder {
  setPipeline(p: GpuComputePipeline): void;
  setBindGroup(index: number, g: GpuBindGroup | null | undefined): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

/** A command encoder. */
export interface GpuCommandEncoder {
  beginComputePass(desc?: object): GpuComputePassEncoder;
  copyBufferToBuffer(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, size: number): void;
  finish(): object;
}

/** Adapter/device limits the tile chooser reads. */
export interface GpuLimits {
  readonly maxComputeWorkgroupStorageSize: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
  readonly maxComputeWorkgroupSizeX: number;
  readonly maxStorageBuffersPerShaderStage: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxStorageBufferBindingSize: number;
}

/** A device. */
export interface GpuDevice {
  readonly limits: GpuLimits;
  readonly features: { has(name: string): boolean };
  /**
   * The adapter's description (`GPUDevice.adapterInfo`, where the implementation has it): the
   * subgroup sizes of `subgroups`, and whether it is a fallback (software, CPU) adapter.
   */
  readonly adapterInfo?: { readonly subgroupMinSize?: number; readonly isFallbackAdapter?: boolean };
  readonly queue: {
    // Wider than any WebGPU implementation's parameter, so that a real GPUDevice (@webgpu/types) is a GpuDevice.
    writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBuffer | SharedArrayBuffer | ArrayBufferView): void;
    submit(cmds: Iterable<object>): void;
    onSubmittedWorkDone(): Promise<void>;
  };
  createBuffer(desc: { size: number; usage: number; mappedAtCreation?: boolean; label?: string }): GpuBuffer;
  createShaderModule(desc: { code: string; label?: string }): GpuShaderModule;
  createBindGroupLayout(desc: { entries: GpuBindGroupLayoutEntry[]; label?: string }): GpuBindGroupLayout;
  createPipelineLayout(desc: { bindGroupLayouts: Iterable<GpuBindGroupLayout | null | undefined> }): GpuPipelineLayout;
  createComputePipeline(desc: { layout: GpuPipelineLayout | 'auto'; compute: { module: GpuShaderModule; entryPoint?: string }; label?: string }): GpuComputePipeline;
  createBindGroup(desc: { layout: GpuBindGroupLayout; entries: Iterable<{ binding: number; resource: { buffer: GpuBuffer } | object }> }): GpuBindGroup;
  createCommandEncoder(): GpuCommandEncoder;
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<{ readonly message: string } | null>;
}
