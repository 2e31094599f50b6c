/**
 * Compares a schedule with the dense oracle: for every (b, h) and tile, the expected class
 * is computed from the reference evaluator on all points of the tile. Used by the lowering
 * property tests and the bundled-pattern agreement test; sizes must be small.
 */
import type { BoundPattern } from '../../compiler/2-check/bind.ts';
import { denseMask, type EvalContext } from '../../compiler/eval/evaluate.ts';
import type { Schedule } from '../../runtime/schedule/types.ts';
import { blockOverhangs, tileTokens } from '../../runtime/schedule/box.ts';

/** The tokens of query (`q`) or key block `blk` (strips or box tiles), padding left out, and whether it overhangs. */
export function blockTokens(s: Schedule, side: 'q' | 'kv', blk: number): { tokens: number[]; overhangs: boolean } {
  const len = side === 'q' ? s.qLen : s.kvLen;
  if (s.tiles) {
    const t = s.tiles, bs = side === 'q' ? t.q : t.kv;
    return { tokens: Array.from(tileTokens(t, bs, blk, len)).filter((x) => x >= 0), overhangs: blockOverhangs(t, bs, blk, len) };
  }
  const block = side === 'q' ? s.blockQ : s.blockKv;
  const tokens: number[] = [];
  for (let x = blk * block; x < Math.min((blk + 1) * block, len); x++) tokens.push(x);
  return { tokens, overhangs: (blk + 1) * block > len };
}

/** Mismatch descriptions (empty when the schedule is exact); `soundOnly` skips exactness of PARTIAL. */
export function compareWithOracle(bp: BoundPattern, s: Schedule, ctx: EvalContext, batch: number, opts: { soundOnly?: boolean } = {}): string[] {
  const errs: string[] = [];
  const { qLen, kvLen } = ctx.sizes;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < ctx.sizes.heads; h++) {
      const dense = denseMask(bp, b, h, ctx);
      const g = s.groups[s.groupOf[(s.batch === 1 ? 0 : b) * s.heads + h]];
      const kvTiles = Array.from({ length: s.numKvBlocks }, (_, kb) => blockTokens(s, 'kv', kb));
      const covered = new Uint8Array(qLen);
      for (let qb = 0; qb < s.numQBlocks; qb++) {
        const qTile = blockTokens(s, 'q', qb);
        for (const q of qTile.tokens) {
          if (covered[q]) errs.push(`b=${b} h=${h}: query ${q} lies in two query blocks`);
          covered[q] = 1;
        }
        const full = new Set(g.fullKvIndices.subarray(g.fullKvRowPtr[qb], g.fullKvRowPtr[qb + 1]));
        const part = new Set(g.kvIndices.subarray(g.kvRowPtr[qb], g.kvRowPtr[qb + 1]));
        for (let kb = 0; kb < s.numKvBlocks; kb++) {
          let allowed = 0, area = 0;
          for (const q of qTile.tokens) {
            for (const k of kvTiles[kb].tokens) {
              area++;
              allowed += dense[q * kvLen + k];
            }
          }
          const overhang = qTile.overhangs || kvTiles[kb].overhangs;
          const want = allowed === 0 ? 'empty' : allowed === area && !overhang ? 'full' : 'partial';
          const got = full.has(kb) ? 'full' : part.has(kb) ? 'partial' : 'empty';
          const where = `b=${b} h=${h} tile (${qb}, ${kb})`;
          if (got === 'full' && want !== 'full') errs.push(`${where}: listed FULL but ${allowed}/${area} allowed${overhang ? ', overhangs' : ''}`);
          if (got === 'empty' && allowed > 0) errs.push(`${where}: not listed but ${allowed} elements allowed`);
          if (!opts.soundOnly && got !== want) errs.push(`${where}: ${got}, expected ${want}`);
        }
      }
      if (covered.some((c) => !c)) errs.push(`b=${b} h=${h}: some query lies in no query block`);
      if (kvTiles.reduce((n, t) => n + t.tokens.length, 0) !== kvLen) errs.push(`b=${b} h=${h}: key blocks do not cover the keys once each`);
      // Fully masked rows.
      const masked: number[] = [];
      for (let q = 0; q < qLen; q++) {
        let any = 0;
        for (let k = 0; k < kvLen && !any; k++) any = dense[q * kvLen + k];
        if (!any) masked.push(q);
      }
      const got: number[] = [];
      for (const [a, e] of g.fullyMaskedRows) for (let q = a; q < e; q++) got.push(q);
      if (masked.join(',') !== got.join(',')) errs.push(`b=${b} h=${h}: fully masked rows ${got.join(',')} expected ${masked.join(',')}`);
      if (errs.length > 20) return errs;
    }
  }
  return errs;
}
