/**
 * Data-dependent selection on a real GPU through WebGPU (Deno's wgpu, Vulkan): the CI's
 * selection cases (test/wgsl/select-cases.ts: outputs against the float64 oracle, the GPU's
 * selected cells and merged tiles against the oracle's) and timings of the bundled MoBA and
 * NSA selection patterns next to the static causal pattern at the same shape.
 *
 * The GPU machine has no Node.js, so this runs in three steps (from the project root):
 *   npx tsx bench/webgpu-select.ts prepare            # here: writes bench/webgpu-work/ (job + tensors)
 *   # there, with .gpu-kit and bench/webgpu-work carried, bench/webgpu-work/out -> $OUT, and the
 *   # timing tensors of bench/webgpu-work/tensors.json written (random normal; numpy):
 *   bash .gpu-kit/run.sh deno run -A runtime/webgpu/deno-runner.ts bench/webgpu-work/check.json $OUT/check-result.json
 *   bash .gpu-kit/run.sh deno run -A runtime/webgpu/deno-runner.ts bench/webgpu-work/time.json $OUT/time-result.json
 *   npx tsx bench/webgpu-select.ts finish DIR        # here: DIR holds what came back from $OUT
 * `finish` prints the comparison and the timing table (markdown) and exits 1 on a failed case.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bindText } from '../test/helpers/compile.ts';
import { selectCases } from '../test/wgsl/select-cases.ts';
import { prepareSelectCases, selectFailures, type CaseFiles } from '../test/wgsl/select-harness.ts';
import { emitWgsl } from '../compiler/4-emit/wgsl/emit-wgsl.ts';
import { printSelection } from '../compiler/4-emit/planner/print-selection.ts';
import { lowerToPlanner } from '../compiler/pipeline.ts';
import type { RunnerJob, RunnerKernel, RunnerResult } from '../runtime/webgpu/runner-protocol.ts';

const WORK = 'bench/webgpu-work';
const OUT = `${WORK}/out`;

/** Tensor files: inputs written under WORK, outputs named under OUT (on the GPU machine, $OUT); read back from `back`. */
function caseFiles(back?: string): CaseFiles {
  return {
    file(name, data) {
      if (!data) return `${OUT}/${name}`;
      const p = `${WORK}/in/${name}`;
      fs.writeFileSync(p, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      return p;
    },
    read: (name) => new Uint8Array(fs.readFileSync(path.join(back ?? OUT, name))),
  };
}

/** The timing runs: each pattern at each shape, the mean of ten calls after an untimed first one. */
const TIMED: { name: string; file: string; params: Record<string, number>; heads: number; kvHeads: number }[] = [
  { name: 'causal', file: 'patterns/causal.attn', params: {}, heads: 16, kvHeads: 16 },
  { name: 'moba (block 512, top 3)', file: 'patterns/moba.attn', params: { block: 512, topk: 3 }, heads: 16, kvHeads: 16 },
  { name: 'nsa_select (top 16, GQA 16/4)', file: 'patterns/nsa-select.attn', params: {}, heads: 16, kvHeads: 4 },
];
const SIZES = [4096, 16384];
const HEAD_DIM = 64;

/** The timing runs' random tensors: path -> element count and type (tensors.json). */
const tensors = new Map<string, { count: number; dtype: string }>();

function timingJob(): RunnerJob {
  const kernels: RunnerKernel[] = [];
  for (const t of TIMED) {
    const bound = bindText(fs.readFileSync(t.file, 'utf8'), t.params);
    const { spec, body } = emitWgsl(bound);
    const runs: RunnerKernel['runs'][number][] = [];
    for (const S of SIZES) {
      for (const dtype of ['f32', 'f16'] as const) {
        // Written on the GPU machine (too large to carry): tensors.json lists them.
        const tensor = (rows: number, tag: string) => {
          const p = `/tmp/attnc-t-${tag}-${rows}-${S}-${dtype}`;
          tensors.set(p, { count: rows * S * HEAD_DIM, dtype });
          return p;
        };
        for (const repeat of [10]) {
          runs.push({
            id: `${t.name}|${S}|${dtype}`,
            config: { headDim: HEAD_DIM, dtype },
            options: { batch: 1, heads: t.heads, kvHeads: t.kvHeads, qLen: S, kvLen: S },
            q: tensor(t.heads, 'q'), k: tensor(t.kvHeads, 'k'), v: tensor(t.kvHeads, 'v'),
            out: '/tmp/attnc-t-o', lseOut: '/tmp/attnc-t-l', repeat,
          });
        }
      }
    }
    kernels.push({ spec, body, plannerSource: lowerToPlanner(bound).plannerSource, ...(bound.select ? { selectSource: printSelection(bound) } : {}), runs });
  }
  return { kernels };
}

const [mode, back] = process.argv.slice(2);
if (mode === 'prepare') {
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(`${WORK}/in`, { recursive: true });
  const { job } = prepareSelectCases(selectCases(), caseFiles());
  fs.writeFileSync(`${WORK}/check.json`, JSON.stringify(job));
  fs.writeFileSync(`${WORK}/time.json`, JSON.stringify(timingJob()));
  fs.writeFileSync(`${WORK}/tensors.json`, JSON.stringify(Object.fromEntries(tensors)));
  console.log(`wrote ${WORK}/check.json (${selectCases().length} cases) and ${WORK}/time.json`);
} else if (mode === 'finish' && back) {
  const cases = selectCases();
  const { finish } = prepareSelectCases(cases, caseFiles(back));
  const results = JSON.parse(fs.readFileSync(path.join(back, 'check-result.json'), 'utf8')) as RunnerResult[];
  const outcomes = finish(results);
  const failures = outcomes.flatMap((o, i) => selectFailures(o, cases[i].dtype));
  const adapter = results[0]?.adapter ?? '?';
  console.log(`## Selection cases on ${adapter}\n`);
  console.log('| case | dtype | ok | rel. error | cells differing | tiles differing | selected / candidates |\n|---|---|---|---:|---:|---:|---:|');
  outcomes.forEach((o, i) => console.log(`| ${o.name} | ${cases[i].dtype} | ${selectFailures(o, cases[i].dtype).length ? 'FAIL' : 'ok'} | ${o.rel.toExponential(2)} | ${o.cellDiffs} | ${o.tileDiffs} | ${o.selected} / ${o.candidates} |`));
  console.log(`\n${outcomes.length - new Set(failures.map((f) => f.split(':')[0])).size} of ${outcomes.length} cases match the oracle${failures.length ? `\n\n${failures.join('\n')}` : ''}\n`);
  const times = JSON.parse(fs.readFileSync(path.join(back, 'time-result.json'), 'utf8')) as RunnerResult[];
  const ms = (id: string) => {
    const r = times.find((x) => x.id === id);
    return r && r.ok ? r.ms : NaN;
  };
  console.log(`## Time per call (ms), batch 1, 16 heads, head dim ${HEAD_DIM}: the mean of 10 calls after a first, selection included\n`);
  console.log('| pattern | S | dtype | ms | vs causal |\n|---|---:|---|---:|---:|');
  for (const S of SIZES) {
    for (const dtype of ['f32', 'f16']) {
      const steady = (n: string) => ms(`${n}|${S}|${dtype}`);
      const causal = steady('causal');
      for (const t of TIMED) console.log(`| ${t.name} | ${S} | ${dtype} | ${steady(t.name).toFixed(2)} | ${(causal / steady(t.name)).toFixed(2)}x |`);
    }
  }
  for (const r of times) if (!r.ok) console.log(`timing run ${r.id} failed: ${r.code}: ${r.message}`);
  process.exit(failures.length ? 1 : 0);
} else {
  console.error('usage: npx tsx bench/webgpu-select.ts prepare | finish DIR');
  process.exit(2);
}
