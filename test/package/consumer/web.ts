/// <reference types="@webgpu/types" />
// A browser consumer of the installed package: a generated binding (attnc compile --target ts,
// importing attnc/webgpu) called with the standard GPUDevice type.
import { create } from './gen/streaming.ts';
import { planSchedule, type Schedule } from 'attnc/webgpu';

export async function go(): Promise<number> {
  const adapter = await navigator.gpu.requestAdapter();
  const device: GPUDevice = await adapter!.requestDevice();
  const attn = create(device, { headDim: 64, dtype: 'f32' });
  const q = new Float32Array(2 * 64 * 64);
  const r = await attn.run(q, q, q, { batch: 1, heads: 2, qLen: 64, kvLen: 64 });
  const s: Schedule | undefined = undefined;
  void planSchedule; void s;
  return r.o.length;
}
