/**
 * Turns the JSON of `bench/cuda/run.py` (one file per GPU call) into the benchmark table:
 * per pattern and length, attnc's time (each kernel path timed; the ratios use the run's first,
 * default path), FlexAttention's, dense
 * SDPA's, the speedup over dense FA2, the ratio to FlexAttention, the percent of the tile
 * ideal, and the tile throughput (FLOPs of the 128 x 128 tiles the schedule lists, per second);
 * and the relative difference of attnc's output from FlexAttention's
 * (a check at full size); then the issue's bars: at least FlexAttention's speed on every pattern at S >= 16k, the
 * geometric mean over FlexAttention, and the full-tile throughput (chunk2048: FULL tiles only).
 * Run: `npx tsx bench/cuda/report.ts OUT.md RESULTS.json[@S,...]... [--command "..."]...`
 * (each --command is printed as a line saying how the results were measured). Where two files
 * hold the same pattern at the same length, the later file's row is the one shown.
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from '../../runtime/io/files.ts';

interface Row {
  id: string; S: number; ideal_128: number; attnc_ms: number; flex_ms: number | null; path?: string;
  [key: string]: unknown;
}
interface Results { device: string; torch: string; date: string; bench: Row[]; dense: Record<string, number> }

const B = 1, H = 16, D = 128;
const fmt = (x: number | null | undefined, digits: number) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

/** Paths timed in a row: the headline (`attnc_bk*_ms`) and others (`attnc_<path>_bk*_ms`). */
function pathTimes(r: Row): Record<string, number> {
  const out: Record<string, number> = {};
  const head = r.path ?? 'attnc';
  // Runs that timed the host's own choice of key block (bk0, the default) report it; older runs
  // timed only 64 and 128 and report the better of the two.
  const best = (prefix: string) =>
    typeof r[`${prefix}_bk0_ms`] === 'number'
      ? (r[`${prefix}_bk0_ms`] as number)
      : Math.min(...[64, 128].map((bk) => r[`${prefix}_bk${bk}_ms`]).filter((x): x is number => typeof x === 'number'));
  out[head] = best('attnc');
  for (const k of Object.keys(r)) {
    const m = /^attnc_([a-z0-9]+)_bk(0|64|128)_ms$/.exec(k);
    if (m) out[m[1]] = best(`attnc_${m[1]}`);
  }
  return out;
}

/** `files`: run.py JSON paths, each optionally `PATH@S1,S2` to take only those lengths from it. */
export function report(files: readonly string[], commands: readonly string[] = []): string {
  const loaded = files.map((spec) => {
    const [file, sizes] = spec.split('@');
    const run = JSON.parse(fs.readFileSync(file, 'utf8')) as Results;
    const keep = sizes ? new Set(sizes.split(',').map(Number)) : undefined;
    return { ...run, file: spec, bench: keep ? run.bench.filter((r) => keep.has(r.S)) : run.bench };
  });
  // A later file's row replaces an earlier file's row of the same pattern and length (a rerun
  // of some patterns after a kernel change); each row keeps its own run's dense times.
  const last = new Map<string, number>();
  loaded.forEach((run, i) => run.bench.forEach((r) => last.set(`${r.id}@${r.S}`, i)));
  const runs = loaded.map((run, i) => ({ ...run, bench: run.bench.filter((r) => last.get(`${r.id}@${r.S}`) === i) }));
  const lines: string[] = [];
  const paths = [...new Set(runs.flatMap((r) => r.bench.flatMap((row) => Object.keys(pathTimes(row)))))];
  lines.push('| S | pattern | ' + paths.map((p) => (p === 'attnc' ? 'attnc ms' : `attnc ${p} ms`)).join(' | ') + ' | FlexAttention ms | FA2 ms | cuDNN ms | attnc vs FA2 | vs Flex | ideal | % of ideal | tile TFLOP/s | output vs Flex |');
  lines.push('|' + '---|'.repeat(paths.length + 11));
  const ratios: { S: number; id: string; vsFlex: number }[] = [];
  let fullTile: { S: number; tflops: number } | undefined;
  for (const run of runs) {
    for (const r of [...run.bench].sort((a, b) => a.S - b.S)) {
      const t = pathTimes(r);
      // The headline path (the kernel a user's call launches) gives the ratios; other paths are columns.
      const best = t[r.path ?? 'attnc'];
      const fa2 = run.dense[`${r.S}_fa2`], cudnn = run.dense[`${r.S}_cudnn`];
      const vsFa2 = fa2 / best;
      const vsFlex = r.flex_ms ? r.flex_ms / best : null;
      const tileFlops = (4 * B * H * r.S * r.S * D) / r.ideal_128;
      const tflops = tileFlops / (best * 1e-3) / 1e12;
      if (vsFlex !== null) ratios.push({ S: r.S, id: r.id, vsFlex });
      if (r.id === 'chunk2048' && (!fullTile || r.S > fullTile.S)) fullTile = { S: r.S, tflops };
      lines.push(`| ${r.S} | ${r.id} | ${paths.map((p) => fmt(t[p], 3)).join(' | ')} | ${fmt(r.flex_ms, 3)} | ${fmt(fa2, 3)} | ${fmt(cudnn, 3)} | ${vsFa2.toFixed(2)}x | ${vsFlex === null ? '-' : vsFlex.toFixed(2) + 'x'} | ${r.ideal_128.toFixed(2)}x | ${((100 * cudnn) / best / r.ideal_128).toFixed(0)}% | ${tflops.toFixed(0)} | ${typeof r.rel_diff_vs_flex === 'number' ? r.rel_diff_vs_flex.toExponential(1) : '-'} |`);
    }
  }
  const long = ratios.filter((x) => x.S >= 16384);
  const behind = long.filter((x) => x.vsFlex < 1);
  const geo = ratios.length ? Math.exp(ratios.reduce((s, x) => s + Math.log(x.vsFlex), 0) / ratios.length) : NaN;
  const head = [
    `Devices: ${[...new Set(runs.map((r) => `${r.device} (PyTorch ${r.torch}, ${r.date})`))].join('; ')}. Files: ${runs.map((r) => '`' + r.file + '`').join(', ')}.`,
    ...commands.map((c) => `Command: \`${c}\``),
    `Batch ${B}, ${H} heads, head dim ${D}, bf16, forward. attnc: the key block the host picks (block_kv 0, the default; runs before that option: the better of 64 and 128) per path; ratios, % of ideal and TFLOP/s use the first path (the default kernel), the others are for comparison. ideal = dense tiles over the listed 128 x 128 tiles; % of ideal = the time of cuDNN's dense kernel divided by ideal, over attnc's time (100% = every listed tile at cuDNN's dense speed, with no cost for partial tiles or imbalance); tile TFLOP/s = the FLOPs of those tiles per second.`,
    '',
    `- First bar (at least FlexAttention's speed on every pattern at S >= 16k): ${long.length === 0 ? 'not measured' : behind.length === 0 ? `**met** (${long.length} of ${long.length})` : `**not met**: ${behind.map((x) => `${x.id} at ${x.S} (${x.vsFlex.toFixed(2)}x)`).join(', ')}`}.`,
    `- Geometric mean over FlexAttention: ${Number.isFinite(geo) ? geo.toFixed(2) + 'x' : '-'} (target 1.5x) over ${ratios.length} points.`,
    `- Full-tile throughput: ${fullTile ? `${fullTile.tflops.toFixed(0)} TFLOP/s (chunk2048 at ${fullTile.S})` : 'not measured'} (target 550).`,
    '',
  ];
  return [...head, ...lines, ''].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const commands: string[] = [];
  for (let i = args.indexOf('--command'); i >= 0; i = args.indexOf('--command')) commands.push(...args.splice(i, 2).slice(1));
  const [out, ...files] = args;
  if (!out || files.length === 0) {
    process.stderr.write('usage: npx tsx bench/cuda/report.ts OUT.md RESULTS.json[@S,...]... [--command "how the results were measured"]...\n');
    process.exit(1);
  }
  writeFileAtomic(out, report(files, commands));
  process.stdout.write(`wrote ${out}\n`);
}
