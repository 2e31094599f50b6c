/**
 * The register-tiled WGSL kernel (`kernel: 'tiled'`) on the bundled patterns, shard 1 of 2:
 * the same cases, reference and tolerances as patterns-1.test.ts.
 */
import { describe } from 'vitest';
import { describeTiledBundled } from './tiled-bundled.ts';
import { webgpuUnavailable } from './harness.ts';

describe.skipIf(webgpuUnavailable())('bundled patterns on WebGPU, tiled kernel (shard 1)', () => describeTiledBundled(1, 2));
