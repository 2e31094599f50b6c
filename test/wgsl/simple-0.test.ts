/**
 * The simple WGSL kernel (`kernel: 'simple'`) on the bundled patterns, shard 0 of 2: the same
 * cases, reference and tolerances as patterns-0.test.ts, which runs the default (tiled) kernel.
 */
import { describe } from 'vitest';
import { describeSimpleBundled } from './simple-bundled.ts';
import { webgpuUnavailable } from './harness.ts';

describe.skipIf(webgpuUnavailable())('bundled patterns on WebGPU, simple kernel (shard 0)', () => describeSimpleBundled(0, 2));
