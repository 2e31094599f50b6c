/**
 * The WebGPU report: joins the JSON of bench/webgpu.ts (the suite, per dtype) and of
 * bench/webgpu-ort.ts (the ONNX Runtime Web anchor, with attnc's dense kernel measured in the
 * same run) into one markdown table per shape, with attnc's speed-up over the anchor's dense
 * kernel per pattern and the targets of issue 14 checked.
 *
 *   npx tsx bench/webgpu-report.ts [--select-tiles TILES.json] OUT.md ORT.json SUITE.json [SUITE.json...]
 * (a SUITE.json from `--dense-only` becomes a table of the kernels' dense paths). ORT.json may
 * be several runs' files joined by commas (their rows together). --select-tiles: the merged tile
 * counts of bench/webgpu-select-tiles.ts, the ideal of a select pattern's rows where the suite
 * was run before bench/webgpu.ts read the call's own count back (their ideal counted the
 * static part alone); such rows are marked ˢ.
 */
import * as fs from 'node:fs';

interface OrtRow { dtype: string; D: number; S: number; ms?: number; callMs?: number; tflops?: number; kernels?: string[]; attncMs?: number; attncTflops?: number; attncTiles?: string; error?: string; attncError?: string }
interface OrtFile { adapter: string; ort: string; ortDeviceFeatures: string[]; date: string; command: string; heads: number; iters: number; rows: OrtRow[] }
interface SuiteRow { dtype: string; D: number; S: number; kernel: string; tiles: string; pattern: string; denseMs?: number; denseTflops?: number; ms?: number; callMs?: number; asPlannedMs?: number; speedup?: number; ideal?: number; idealChosen?: number; full?: number; partial?: number; error?: string }
interface SuiteFile { adapter: string; date: string; command: string; heads: number; iters: number; rows: SuiteRow[] }

const argv = process.argv.slice(2);
const selAt = argv.indexOf('--select-tiles');
const selectFile = selAt >= 0 ? argv.splice(selAt, 2)[1] : undefined;
const [outFile, ortFile, ...suiteFiles] = argv;
if (!outFile || !ortFile || !suiteFiles.length || (selAt >= 0 && !selectFile)) {
  console.error('usage: npx tsx bench/webgpu-report.ts [--select-tiles TILES.json] OUT.md ORT.json SUITE.json [SUITE.json...]');
  process.exit(2);
}
const orts = ortFile.split(',').map((file) => JSON.parse(fs.readFileSync(file, 'utf8')) as OrtFile);
const ort: OrtFile = { ...orts[0], command: orts.map((o) => o.command).join('`, `'), rows: orts.flatMap((o) => o.rows) };
interface SelectTiles { rows: { pattern: string; S: number; ideal: number }[] }
const selectIdeals = new Map(selectFile ? (JSON.parse(fs.readFileSync(selectFile, 'utf8')) as SelectTiles).rows.map((t) => [`${t.pattern}|${t.S}`, t.ideal]) : []);
const all = suiteFiles.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as SuiteFile);
// A --dense-only run (every row the dense path) compares the kernels; the others are suites.
const denseRuns = all.filter((s) => s.rows.every((r) => r.pattern === 'dense'));
const suites = all.filter((s) => !denseRuns.includes(s));
// A later file's row of the same shape and pattern (a re-measurement) replaces an earlier one;
// each row keeps the dense time of its own run.
const keyOf = (r: SuiteRow) => `${r.dtype}|${r.D}|${r.S}|${r.pattern}`;
const latest = new Map<string, SuiteRow>();
for (const s of suites) for (const r of s.rows) latest.set(keyOf(r), r);
const f = (x: number | undefined, d = 3) => (x === undefined ? '' : x.toFixed(d));
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
const geomean = (xs: number[]) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / Math.max(1, xs.length));

const lines: string[] = [
  `# WebGPU attention on ${ort.adapter}: attnc against ONNX Runtime Web`,
  '',
  `Deno's WebGPU (Vulkan), ${ort.date}. Batch 1, ${ort.heads} heads, non-causal dense anchor. Two clocks, since`,
  '`onSubmittedWorkDone` resolves ~12 ms late under Deno (runtime/webgpu/timing.ts): GPU time from timestamp queries (the',
  'median over the timed calls for attnc; for ONNX Runtime Web the sum of its compute passes per run, averaged) and "call',
  'ms", the wall time per call in a steady stream (CPU work included). Both are read in a stream after a second of',
  'calls, so that the GPU\'s clock has risen (timing.ts, [Note: GPU clock]); the GPU time of a call is the smaller of its',
  'pass\'s span and the time since the previous call ended. A pattern\'s time ("ms") is the smaller of the two clocks;',
  'rows whose clocks disagree by 2x or more (or whose stream reads 0) are marked †.',
  '',
  `- Anchor: \`${ort.command}\` (onnxruntime-web ${ort.ort}, \`com.microsoft.MultiHeadAttention\`, WebGPU EP; its device features: ${ort.ortDeviceFeatures.join(', ') || 'none'}; ${ort.iters} timed runs).`,
  ...suites.map((s) => `- Suite: \`${s.command}\` (${s.date}, ${s.iters} timed calls).`),
  '',
  '## Dense: attnc against the anchor, same device, same run',
  '',
  '| dtype | D | S | ORT ms | ORT TFLOP/s | attnc ms | attnc TFLOP/s | attnc / ORT speed | attnc tiles | ORT programs |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
for (const r of ort.rows) {
  if (r.error) { lines.push(`| ${r.dtype} | ${r.D} | ${r.S} | failed: ${r.error} | | ${f(r.attncMs)} | ${f(r.attncTflops, 2)} | | ${r.attncTiles ?? ''} | |`); continue; }
  lines.push(`| ${r.dtype} | ${r.D} | ${r.S} | ${f(r.ms)} | ${f(r.tflops, 2)} | ${r.attncError ? `failed: ${r.attncError}` : f(r.attncMs)} | ${f(r.attncTflops, 2)} | ${r.attncMs && r.ms ? `${(r.ms / r.attncMs).toFixed(2)}x` : ''} | ${r.attncTiles ?? ''} | ${(r.kernels ?? []).join(', ')} |`);
}
for (const d of denseRuns) {
  lines.push('', `## Dense path of each WGSL kernel: \`${d.command}\``, '', '| dtype | D | S | kernel | tiles | GPU ms | TFLOP/s |', '|---|---|---|---|---|---|---|',
    ...d.rows.map((r) => `| ${r.dtype} | ${r.D} | ${r.S} | ${r.kernel} | ${r.tiles} | ${f(r.denseMs)} | ${f(r.denseTflops, 2)} |`));
}
const anchorOf = (dtype: string, D: number, S: number) => ort.rows.find((r) => r.dtype === dtype && r.D === D && r.S === S && !r.error)?.ms;

lines.push('', '## Every suite pattern', '',
  'ms: the smaller of GPU ms and call ms (a select pattern\'s call ms includes its selection passes, its GPU ms only the',
  'attention pass); speedup: the dense path\'s GPU time over ms; ideal: dense tiles / listed tiles; % of ideal 64: of the',
  'ideal of the chosen tiles where the call ran half-height ones ([Note: Short rows], runtime/webgpu/attention.ts), the',
  'figure the 85% target reads; vs ORT dense: the',
  "anchor's dense time over ms; as planned: the GPU time with rows in planned order instead of longest first",
  '(longest-first gain = as planned / GPU ms; both timestamps, so box patterns\' rows are noisy).', '');
const shapeOf = (r: SuiteRow) => `${r.dtype}|${r.D}|${r.S}`;
{
  const shapes = [...new Set([...latest.values()].map(shapeOf))];
  for (const shape of shapes) {
    const [dtype, D, S] = shape.split('|');
    const rows = [...latest.values()].filter((r) => shapeOf(r) === shape);
    // Rows from a later file than the shape's first: re-measured (marked *).
    const first = suites.findIndex((s) => s.rows.some((r) => shapeOf(r) === shape));
    const later = (r: SuiteRow) => suites.findIndex((s) => s.rows.includes(r)) > first;
    const anchor = anchorOf(dtype, Number(D), Number(S));
    const dense = rows.find((r) => r.denseMs !== undefined);
    lines.push(`### ${dtype}, head dim ${D}, S = ${S}`, '',
      `Tiles: ${dense?.tiles ?? rows[0]?.tiles}. Dense path: ${f(dense?.denseMs)} ms, ${f(dense?.denseTflops, 2)} TFLOP/s; anchor dense ${f(anchor)} ms.`, '',
      '| pattern | ms | GPU ms | call ms | speedup | ideal | % of ideal | % of ideal 64 | vs ORT dense | as planned GPU ms | longest-first gain | full / partial |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|');
    const fracs: number[] = [];
    const below: string[] = [];
    const disagree: string[] = [];
    const selected: string[] = [];
    for (const given of rows) {
      if (given.error) { lines.push(`| ${given.pattern} | failed: ${given.error} | | | | | | | | | | |`); continue; }
      const sel = selectIdeals.get(`${given.pattern}|${given.S}`);
      if (sel !== undefined) selected.push(given.pattern);
      const r = sel === undefined ? given : { ...given, ideal: sel, idealChosen: sel };
      // A stream's wall time per call of 0 or less (the longer stream took no longer) says
      // nothing; the clocks disagreeing by 2x or more is marked (†) and counted in the note below.
      const call = r.callMs !== undefined && r.callMs > 0 ? r.callMs : undefined;
      const ms = Math.min(r.ms!, call ?? Infinity), speedup = r.denseMs! / ms, frac = speedup / r.ideal!;
      const apart = call === undefined || Math.max(r.ms!, call) >= 2 * Math.min(r.ms!, call);
      if (apart) disagree.push(r.pattern);
      // The target reads the chosen tiles' ideal where the call ran half-height ones.
      const chosen = r.idealChosen !== undefined && r.idealChosen !== r.ideal ? speedup / r.idealChosen : undefined;
      fracs.push(chosen ?? frac);
      if ((chosen ?? frac) < 0.85) below.push(r.pattern);
      lines.push(`| ${r.pattern}${later(given) ? ' *' : ''}${apart ? ' †' : ''}${sel === undefined ? '' : ' ˢ'} | ${f(ms)} | ${f(r.ms)} | ${f(r.callMs)} | ${speedup.toFixed(2)}x | ${r.ideal!.toFixed(2)}x | ${pct(frac)} | ${chosen === undefined ? '' : pct(chosen)} | ${anchor ? `${(anchor / ms).toFixed(2)}x` : ''} | ${f(r.asPlannedMs)} | ${r.asPlannedMs ? `${(r.asPlannedMs / r.ms!).toFixed(2)}x` : ''} | ${r.full} / ${r.partial} |`);
    }
    const again = rows.filter(later).map((r) => suites.find((s) => s.rows.includes(r))!.command);
    lines.push('', `Geomean % of ideal (64 where it applies) ${pct(geomean(fracs))}; below 85%: ${below.length ? below.join(', ') : 'none'}.${selected.length ? ` ˢ The ideal of the tiles the call ran, static and selected (\`${selectFile}\`): ${selected.join(', ')}.` : ''}${disagree.length ? ` † The two clocks disagree by 2x or more (or the stream's is void): ${disagree.join(', ')}; their ms is not trustworthy.` : ''}${again.length ? ` Rows marked * were measured again by \`${[...new Set(again)].join('`, `')}\`, which replace the first run's.` : ''}`, '');
  }
}
fs.writeFileSync(`${outFile}.tmp`, `${lines.join('\n')}\n`);
fs.renameSync(`${outFile}.tmp`, outFile);
console.log(`wrote ${outFile}`);
