/**
 * The job and result files exchanged between Node (the CLI, the tests) and
 * `deno-runner.ts`. Tensors travel as raw little-endian files named in the job.
 */
import type { AttentionConfig, RunOptions } from './attention.ts';
import type { KernelSpec } from './interface.ts';
import type { TileConfig } from './tiles.ts';

/** One run of a kernel. */
export interface RunnerRun {
  readonly id: string;
  readonly config: AttentionConfig;
  readonly options: Omit<RunOptions, 'inputs' | 'out' | 'lse'>;
  readonly inputs?: Readonly<Record<string, readonly number[]>>;
  /** Raw tensor files to read. */
  readonly q: string;
  readonly k: string;
  readonly v: string;
  /** Raw files to write. */
  readonly out: string;
  readonly lseOut: string;
  /** A raw float32 file: the score input of a pattern that selects by one. */
  readonly scores?: string;
  /**
   * A pattern with a `select` clause: also run its selection alone and write the selected
   * cells (`[batch, heads, nQ, nK]` bytes) and the merged tile states
   * (`[batch * heads, numQBlocks, numKvBlocks]` bytes, 0 EMPTY, 1 PARTIAL, 2 FULL) here.
   */
  readonly cellsOut?: string;
  readonly tilesOut?: string;
  /** Benchmarks: after a first, untimed call, run this many times and report the mean time. */
  readonly repeat?: number;
}

/** One kernel (a bound pattern) and its runs. */
export interface RunnerKernel {
  readonly spec: KernelSpec;
  readonly body: string;
  /** The register-tiled body, for runs whose config asks for `kernel: 'tiled'`. */
  readonly tiledBody?: string;
  readonly plannerSource: string;
  /** The printed selection module of a pattern with a `select` clause (`print-selection.ts`). */
  readonly selectSource?: string;
  readonly runs: readonly RunnerRun[];
}

/** A job file. */
export interface RunnerJob {
  readonly kernels: readonly RunnerKernel[];
  /** Request a device with WebGPU's default limits (tiles as every device gets them). */
  readonly defaultLimits?: boolean;
}

/** What happened to one run. */
export type RunnerResult =
  | { readonly id: string; readonly adapter: string; readonly fallback?: boolean; readonly f16: boolean; readonly ok: true; readonly tiles: TileConfig; readonly ms: number; readonly callMs?: number; readonly fullTiles: number; readonly partialTiles: number; readonly splitRows?: number; readonly boxes?: string; readonly nQ?: number; readonly nK?: number }
  | { readonly id: string; readonly adapter: string; readonly fallback?: boolean; readonly f16: boolean; readonly ok: false; readonly code: string; readonly message: string };
