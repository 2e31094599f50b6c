/**
 * `--tiled-tiles blockQ=32,kvChunk=16,rows=4,lanes=8,stage=f32,math=f32,shortRows=false,splitTiles=8`:
 * the tiled kernel's tile fields fixed by hand (any subset), for the WebGPU benchmarks
 * (bench/webgpu.ts, bench/webgpu-check.ts).
 */
import type { TiledOverride } from '../runtime/webgpu/tiles.ts';

/** The override `text` names; throws on a field or value it does not know. */
export function parseTiledTiles(text: string | undefined): TiledOverride {
  const out: Record<string, unknown> = {};
  for (const kv of (text ?? '').split(',').filter((x) => x)) {
    const [k, v] = kv.split('=');
    if (k === 'stage' && v === 'f32') out[k] = v;
    else if (k === 'math' && (v === 'f16' || v === 'f32')) out[k] = v;
    else if (k === 'shortRows' && (v === 'true' || v === 'false')) out[k] = v === 'true';
    else if (k === 'splitTiles' && v === 'false') out[k] = false;
    else if (['blockQ', 'blockKv', 'kvChunk', 'lanes', 'rows', 'splitTiles'].includes(k) && Number(v) > 0) out[k] = Number(v);
    else throw new Error(`--tiled-tiles: bad field ${kv}`);
  }
  return out as TiledOverride;
}
