/**
 * attnc's WebGPU runtime (`import ... from 'attnc/webgpu'`), safe for browsers: no Node.js
 * modules. Generated bindings (`attnc compile --target ts`) call `createAttention` with their
 * kernel, spec and embedded planner; the rest is here for callers that build their own.
 */
export * as ops from '../schedule/ops.ts';
export { asPlannerModule, type EmbeddedPlanner } from './embedded-planner.ts';
export { createAttention, type Attention, type AttentionConfig, type AttentionKernel, type AttentionResult, type InputValues, type ParamValues, type RunOptions, type SelectionResult, type Tensor } from './attention.ts';
export { asSelectionModule, loadSelection, type EmbeddedSelection, type SelectionModule, type SelectionValues } from './select.ts';
export { AttentionError } from './pipeline.ts';
export { BufferUsage, MAP_MODE_READ, type GpuBuffer, type GpuDevice, type GpuLimits } from './gpu.ts';
export { kernelSpec, packUniforms, type KernelSpec } from './interface.ts';
export { chooseTiledTiles, chooseTiles, describeTiles, DEFAULT_LIMITS, HEAD_DIMS, subgroupMinSize, type Dtype, type KernelVariant, type TileConfig, type TiledOverride } from './tiles.ts';
export { planSchedule } from '../schedule/plan.ts';
export { loadPlanner, type PlannerModule } from '../schedule/planner.ts';
export { PlanError, type PlanConfig, type Schedule } from '../schedule/types.ts';
