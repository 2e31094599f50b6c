/**
 * `--tiles`: the tiles a layout pattern is planned with (docs/schedule.md, "Box tiles"):
 * `auto`, `strip`, a box such as `8x16` (query and key boxes alike; axes in layout order),
 * or `8x16,16x8` (query box, key box). Bad syntax is `bad_tile_shape`; whether a shape fits
 * the pattern is the planner's check.
 */
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import type { TileRequest } from '../../runtime/schedule/types.ts';

const BOX = /^\d+(x\d+)+$/;

/** Parses `--tiles`; undefined (reported) when it is not `auto`, `strip` or one or two boxes. */
export function parseTilesOption(text: string, diags: Diagnostics): TileRequest | undefined {
  const t = text.trim();
  if (t === 'auto' || t === 'strip') return t;
  const parts = t.split(',');
  if (parts.length > 2 || !parts.every((p) => BOX.test(p))) {
    diags.report('bad_tile_shape', `--tiles expects auto, strip, a box such as 8x16 (sizes in layout order), or a query and a key box such as 8x16,16x8; got \`${text}\``);
    return undefined;
  }
  const [q, kv] = parts.map((p) => p.split('x').map(Number));
  return { q, kv: kv ?? q };
}
