/**
 * The playground page: a CodeMirror editor for `.attn` with highlighting from the TextMate
 * grammar and live diagnostics, and, for the pattern it holds, the tile map (redrawn as you
 * type), the simulator with its sweep plot, a WebGPU run checked against the reference, and
 * every target's output to download. The compiler runs here, in the browser
 * (scripts/build-playground.ts); nothing is sent anywhere.
 */
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { linter, setDiagnostics, lintGutter, type Diagnostic as CmDiagnostic } from '@codemirror/lint';
import { zipSync, strToU8 } from 'fflate';
import assets from 'attnc:assets';
import {
  AttncError, PlanError, bind, check, emit, plan, profileNames, renderSvg, scheduleToJson, scheduleToNpz, simulate, summarize, targets,
  type CheckedPattern, type Diagnostic, type Pattern, type Schedule, type SimPass, type SimResult,
} from '../../compiler/index.ts';
import { loadProfile } from '../../compiler/5-simulate/profile.ts';
import { sweepSvg, type SweepPoint } from '../../compiler/5-simulate/plot.ts';
import { parseIntText } from '../../compiler/2-check/bind.ts';
import { attnLanguage } from './highlight.ts';
import { summaryOf } from './gallery.ts';
import { download, fill, h, svgImage } from './dom.ts';
import { runOnWebGpu } from './webgpu.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

// ---- The pattern library -------------------------------------------------------------------

/** The bundled patterns (patterns/*.attn), by file name. */
const GALLERY = Object.keys(assets).filter((k) => /^patterns\/[^/]+\.attn$/.test(k)).map((k) => k.slice('patterns/'.length)).sort();

/** Imports resolve among the bundled patterns. */
const readBundled = (name: string) => assets[`patterns/${name.split('/').pop()}`];

// ---- State ---------------------------------------------------------------------------------

interface Sizes { qLen: string; kvLen: string; heads: string; blockQ: string; blockKv: string }
const state = {
  fileName: 'streaming.attn',
  patternName: undefined as string | undefined,
  sizes: { qLen: '8k', kvLen: '', heads: '8', blockQ: '128', blockKv: '128' } as Sizes,
  /** Parameter values as typed, by name (kept across edits). */
  params: new Map<string, string>(),
  sim: { gpu: 'h200', kernel: 'attnc-cuda', pass: 'forward' as SimPass, headDim: '128', sweepLo: '4k', sweepHi: '64k' },
  run: { batch: '1', heads: '2', qLen: '256', headDim: '64' },
  /** The last successful compile: the bound pattern and its schedule. */
  pattern: undefined as Pattern | undefined,
  schedule: undefined as Schedule | undefined,
  /** Bumped by every analysis: later work of a stale one stops. */
  generation: 0,
};

const num = (text: string, what: string, min = 1): number => {
  const n = parseIntText(text.trim());
  if (n === undefined || n < min) throw new InputError(`${what} must be an integer of at least ${min} (4k = 4096), got \`${text}\``);
  return n;
};

/** A bad value in one of the page's fields. */
class InputError extends Error {}

// ---- Diagnostics ---------------------------------------------------------------------------

function where(d: Diagnostic): string {
  return d.span ? `${d.span.file.name}:${d.span.line}:${d.span.col}` : '';
}

function renderDiagnostics(diags: readonly Diagnostic[]): void {
  const list = $('diagnostics');
  fill(list, ...diags.map((d) => h('li', { class: `diag ${d.severity}`, 'data-code': d.code, 'data-line': d.span?.line ?? '' },
    h('span', { class: 'sev' }, d.severity), ' ',
    h('code', { class: 'code' }, `[${d.code}]`), ' ',
    d.span ? h('a', { class: 'loc', href: '#', onclick: (e: Event) => { e.preventDefault(); goTo(d); } }, where(d)) : null, ' ',
    h('span', { class: 'msg' }, d.message),
    ...(d.notes ?? []).map((n) => h('div', { class: 'note' }, `= note: ${n}`)))));
  $('diag-count').textContent = diags.length ? `${diags.filter((d) => d.severity === 'error').length} errors, ${diags.filter((d) => d.severity !== 'error').length} warnings` : 'no problems';
}

function goTo(d: Diagnostic): void {
  if (!d.span || d.span.file.name !== state.fileName) return;
  const at = Math.min(d.span.start, view.state.doc.length);
  view.dispatch({ selection: { anchor: at, head: Math.min(Math.max(d.span.end, at), view.state.doc.length) }, scrollIntoView: true });
  view.focus();
}

/** Diagnostics of this file as CodeMirror lint marks (others, from imports, only in the list). */
function toLint(diags: readonly Diagnostic[], docLength: number): CmDiagnostic[] {
  return diags.filter((d) => d.span && d.span.file.name === state.fileName).map((d) => {
    const from = Math.min(d.span!.start, docLength);
    return {
      from, to: Math.min(Math.max(d.span!.end, from), docLength),
      severity: d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'info',
      source: d.code,
      message: [d.message, ...(d.notes ?? []).map((n) => `note: ${n}`)].join('\n'),
    };
  });
}

// ---- Parameters ----------------------------------------------------------------------------

/** Values of a per-token input array: `0,1,2` cuts the sequence into equal runs with those values. */
export function inputArray(spec: string, length: number): Int32Array {
  const vals = spec.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const n = parseIntText(s.replace(/^-/, ''));
    if (n === undefined) throw new InputError(`input values are integers separated by commas, got \`${s}\``);
    return s.startsWith('-') ? -n : n;
  });
  if (!vals.length) throw new InputError('give the input array\'s values (e.g. 0,1,2: three equal runs)');
  return Int32Array.from({ length }, (_, i) => vals[Math.floor((i * vals.length) / length)]);
}

/**
 * Values of any input array: per token (`rows` undefined: `spec` as in `inputArray`), per batch
 * element (`rows` 'batch': the values of `spec`, cycled over `length` batch elements), or `rows`
 * rows of `length` tokens, one spec per row separated by `;` (row b uses spec b mod n).
 */
export function batchInputArray(spec: string, length: number, rows?: number | 'batch'): Int32Array {
  if (rows === undefined) return inputArray(spec, length);
  if (rows === 'batch') {
    const vals = inputArray(spec, spec.split(',').filter((s) => s.trim()).length || 1);
    return Int32Array.from({ length }, (_, b) => vals[b % vals.length]);
  }
  const specs = spec.split(';');
  const out = new Int32Array(rows * length);
  for (let r = 0; r < rows; r++) out.set(inputArray(specs[r % specs.length], length), r * length);
  return out;
}

let paramKey = '';
function renderParamControls(p: CheckedPattern): void {
  const key = JSON.stringify(p.params.map((x) => [x.name, x.mode, x.type, x.default ?? null]));
  if (key === paramKey) return;
  paramKey = key;
  const box = $('params');
  fill(box, ...p.params.map((x) => {
    const hint = x.mode === 'input'
      ? x.length === 'batch' ? 'comma-separated ints: one per batch element (cycled)'
        : x.batched ? `rows separated by ;, each comma-separated ints: equal runs over ${x.length} tokens (row b uses row b mod rows)`
          : `comma-separated ints: equal runs over ${x.length ?? 'kv_len'} tokens`
      : x.default !== undefined ? `default ${String(x.default)}` : 'required';
    const input = h('input', {
      name: `param-${x.name}`, 'data-param': x.name, value: state.params.get(x.name) ?? (x.mode === 'input' ? '0,1' : ''),
      placeholder: x.default !== undefined ? String(x.default) : '', title: x.doc, oninput: (e: Event) => { state.params.set(x.name, (e.target as HTMLInputElement).value); refresh(); },
    });
    if (x.mode === 'input' && !state.params.has(x.name)) state.params.set(x.name, '0,1');
    return h('label', { class: 'param' }, h('span', {}, `${x.mode === 'const' ? '' : `${x.mode} `}${x.name}: ${x.type}`), input, h('small', {}, hint));
  }));
  if (!p.params.length) box.append(h('p', { class: 'muted' }, 'This pattern has no parameters.'));
}

/** Compile-time values (for `bind`): the fields left empty take their defaults. */
function constValues(p: CheckedPattern): Record<string, string> {
  const out: Record<string, string> = {};
  for (const x of p.params) if (x.mode === 'const' && (state.params.get(x.name) ?? '').trim()) out[x.name] = state.params.get(x.name)!.trim();
  return out;
}

/** Runtime scalars and input arrays (for `plan`, `simulate` and runs) at the given lengths. */
function runtimeValues(p: CheckedPattern, qLen: number, kvLen: number, batch = 1): { params: Record<string, number | boolean>; inputs: Record<string, Int32Array> } {
  const params: Record<string, number | boolean> = {}, inputs: Record<string, Int32Array> = {};
  for (const x of p.params) {
    const text = (state.params.get(x.name) ?? '').trim();
    if (x.mode === 'runtime') {
      if (!text) continue;  // the planner uses the default, or says it is missing
      if (x.type === 'bool') {
        if (text !== 'true' && text !== 'false') throw new InputError(`runtime ${x.name} is a bool: true or false, got \`${text}\``);
        params[x.name] = text === 'true';
      } else {
        const v = x.type === 'int' ? parseIntText(text.replace(/^-/, '')) : Number(text.replace(/^-/, ''));
        if (v === undefined || !Number.isFinite(v)) throw new InputError(`runtime ${x.name} is ${x.type === 'int' ? 'an int' : 'a number'}, got \`${text}\``);
        params[x.name] = text.startsWith('-') ? -v : v;
      }
    } else if (x.mode === 'input') inputs[x.name] = batchInputArray(text, x.length === 'q_len' ? qLen : x.length === 'batch' ? batch : kvLen, x.length === 'batch' ? 'batch' : x.batched ? batch : undefined);
  }
  return { params, inputs };
}

// ---- Analysis: check, bind, plan, draw -----------------------------------------------------

function problem(where: string, message: string): void {
  fill($(where), h('p', { class: 'problem' }, message));
}

function clearOutputs(why: string): void {
  state.pattern = undefined;
  state.schedule = undefined;
  fill($('tile-counts'));
  $('tile-counts').removeAttribute('data-full');
  problem('tilemap', why);
}

/** Checks the editor's text (the linter calls this): returns its lint marks and redraws the rest. */
function analyze(text: string): CmDiagnostic[] {
  const gen = ++state.generation;
  const res = check(text, { name: state.fileName, readFile: readBundled });
  const diags = [...res.diagnostics];
  const patternSelect = $<HTMLSelectElement>('pattern-select');
  fill(patternSelect, ...res.patterns.map((p) => h('option', { value: p.name, selected: p.name === state.patternName }, p.name)));
  patternSelect.disabled = res.patterns.length < 2;
  const p = res.patterns.find((x) => x.name === state.patternName) ?? res.patterns[0];
  if (!res.ok || !p) {
    renderDiagnostics(diags);
    clearOutputs(res.ok ? 'This file defines no pattern.' : 'Fix the errors to see the tile map.');
    return toLint(diags, text.length);
  }
  state.patternName = p.name;
  renderParamControls(p);
  try {
    state.pattern = bind(p, constValues(p));
  } catch (e) {
    if (!(e instanceof AttncError)) throw e;
    diags.push(...e.diagnostics);
    renderDiagnostics(diags);
    clearOutputs('The parameter values are refused (see the diagnostics).');
    return toLint(diags, text.length);
  }
  renderDiagnostics(diags);
  drawTileMap();
  setTimeout(() => { if (gen === state.generation) runSimulation(); }, 0);
  return toLint(diags, text.length);
}

function drawTileMap(): void {
  const p = state.pattern;
  if (!p) return;
  const s = state.sizes;
  let schedule: Schedule;
  try {
    const qLen = num(s.qLen, 'q_len'), kvLen = s.kvLen.trim() ? num(s.kvLen, 'kv_len') : qLen;
    const { params, inputs } = runtimeValues(p.bound.pattern, qLen, kvLen);
    schedule = plan(p, { qLen, kvLen, heads: num(s.heads, 'heads'), blockQ: num(s.blockQ, 'block_q'), blockKv: num(s.blockKv, 'block_kv'), params, inputs, tiles: 'auto' });
  } catch (e) {
    if (!(e instanceof PlanError || e instanceof InputError)) throw e;
    state.schedule = undefined;
    fill($('tile-counts'));
    $('tile-counts').removeAttribute('data-full');
    problem('tilemap', e instanceof PlanError ? `[${e.code}] ${e.message}` : e.message);
    return;
  }
  state.schedule = schedule;
  const sum = summarize(schedule);
  const counts = $('tile-counts');
  Object.assign(counts.dataset, { full: String(sum.full), partial: String(sum.partial), total: String(sum.total) });
  fill(counts,
    h('b', {}, schedule.pattern), `: ${schedule.numQBlocks} x ${schedule.numKvBlocks} blocks of ${schedule.blockQ} x ${schedule.blockKv}${schedule.tiles ? ` (box tiles ${schedule.tiles.q.shape.join('x')} of the grid ${schedule.tiles.axes.join(', ')})` : ''}, ${schedule.groups.length} head group${schedule.groups.length === 1 ? '' : 's'} · `,
    h('span', { class: 'full' }, `${sum.full} full`), ' + ', h('span', { class: 'partial' }, `${sum.partial} partial`), ` of ${sum.total} tiles · density ${(sum.density * 100).toFixed(1)}% · ideal speedup ${sum.idealSpeedup.toFixed(2)}x`);
  fill($('tilemap'), svgImage(renderSvg(schedule, { maxGroups: 4 }), `tile map of ${schedule.pattern}`, 'map'));
}

// ---- Simulator -----------------------------------------------------------------------------

function simShape(p: Pattern, qLen: number, kvLen: number) {
  const s = state.sizes;
  const { params, inputs } = runtimeValues(p.bound.pattern, qLen, kvLen);
  return { gpu: state.sim.gpu, kernel: state.sim.kernel, pass: state.sim.pass, qLen, kvLen, heads: num(s.heads, 'heads'), headDim: num(state.sim.headDim, 'head dim'), params, inputs };
}

function renderKernelChoices(): void {
  const prof = loadProfile(state.sim.gpu);
  const kernels = prof ? Object.keys(prof.kernels) : [];
  if (!kernels.includes(state.sim.kernel)) state.sim.kernel = kernels[0] ?? '';
  fill($('sim-kernel'), ...kernels.map((k) => h('option', { value: k, selected: k === state.sim.kernel }, k)));
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

function simRow(r: SimResult): HTMLTableRowElement {
  return h('tr', {}, ...[`${r.qLen}`, `${r.kvLen}`, ms(r.sparseMs), ms(r.denseMs), ms(r.baselineMs), `${r.speedup.toFixed(2)}x`, `${r.speedupVsBaseline.toFixed(2)}x`, `${r.idealSpeedup.toFixed(2)}x`].map((c) => h('td', {}, c)));
}

function simTable(rows: SimResult[]): HTMLTableElement {
  return h('table', { class: 'sim' },
    h('thead', {}, h('tr', {}, ...['q_len', 'kv_len', 'sparse ms', 'dense ms', 'SDPA ms', 'speedup', 'vs SDPA', 'tile ideal'].map((c) => h('th', {}, c)))),
    h('tbody', {}, ...rows.map(simRow)));
}

function runSimulation(): void {
  const p = state.pattern;
  if (!p) return problem('sim-result', 'No pattern to simulate.');
  try {
    const qLen = num(state.sizes.qLen, 'q_len'), kvLen = state.sizes.kvLen.trim() ? num(state.sizes.kvLen, 'kv_len') : qLen;
    const r = simulate(p, simShape(p, qLen, kvLen));
    fill($('sim-result'), simTable([r]), r.calibrated ? null : h('p', { class: 'muted' }, `The ${r.gpu} profile is not calibrated: an estimate.`));
  } catch (e) {
    if (!(e instanceof PlanError || e instanceof InputError || e instanceof AttncError)) throw e;
    problem('sim-result', e instanceof PlanError ? `[${e.code}] ${e.message}` : e.message);
  }
}

let lastSweepSvg = '';
function runSweep(): void {
  const p = state.pattern;
  if (!p) return problem('sweep', 'No pattern to simulate.');
  try {
    const lo = num(state.sim.sweepLo, 'sweep from'), hi = num(state.sim.sweepHi, 'sweep to');
    if (hi < lo) throw new InputError('the sweep must end at or above where it starts');
    const rows: SimResult[] = [], points: SweepPoint[] = [];
    for (let x = lo; x <= hi && rows.length < 16; x *= 2) {
      const r = simulate(p, simShape(p, x, x));
      rows.push(r);
      points.push({ x, speedup: r.speedupVsBaseline, ideal: r.idealSpeedup * (r.baselineMs / r.denseMs) });
    }
    const gpu = loadProfile(state.sim.gpu)!;
    const title = `${p.name} on ${gpu.name}${gpu.calibrated ? '' : ' (uncalibrated estimate)'}, ${state.sim.kernel}${state.sim.pass === 'forward' ? '' : `, ${state.sim.pass === 'both' ? 'forward + backward' : 'backward'}`}`;
    lastSweepSvg = sweepSvg(title, `q_len = kv_len (tokens), ${state.sizes.heads} heads, head dim ${state.sim.headDim}`, points, [], 'predicted speedup over dense SDPA (the table\'s vs SDPA)');
    fill($('sweep'), svgImage(lastSweepSvg, `sweep plot of ${p.name}`, 'plot'), simTable(rows));
  } catch (e) {
    if (!(e instanceof PlanError || e instanceof InputError || e instanceof AttncError)) throw e;
    problem('sweep', e instanceof PlanError ? `[${e.code}] ${e.message}` : e.message);
  }
}

// ---- WebGPU --------------------------------------------------------------------------------

async function runGpu(): Promise<void> {
  const p = state.pattern;
  const out = $('webgpu-result');
  out.removeAttribute('data-ok');
  if (!p) return problem('webgpu-result', 'Fix the pattern first.');
  const button = $<HTMLButtonElement>('run-webgpu');
  button.disabled = true;
  fill(out, h('p', {}, 'running…'));
  try {
    const r = state.run;
    const qLen = num(r.qLen, 'run q_len'), heads = num(r.heads, 'run heads'), batch = num(r.batch, 'batch'), headDim = num(r.headDim, 'head dim');
    const { params, inputs } = runtimeValues(p.bound.pattern, qLen, qLen, batch);
    const rep = await runOnWebGpu(p, { batch, heads, qLen, kvLen: qLen, headDim, params, inputs });
    const c = rep.check;
    out.dataset.ok = String(c.ok);
    fill(out,
      h('p', { class: c.ok ? 'ok' : 'problem' }, c.ok ? 'matches the float64 reference' : 'DOES NOT match the float64 reference'),
      h('ul', {},
        h('li', {}, `adapter: ${rep.adapter}`),
        h('li', {}, `batch ${batch}, heads ${heads}, q_len = kv_len ${qLen}, head dim ${headDim}, f32; tiles ${rep.tiles}`),
        h('li', {}, p.bound.select ? `key blocks selected on the GPU at every run (\`select\`), besides the static part's ${rep.fullTiles} full + ${rep.partialTiles} partial tiles` : `${rep.fullTiles} full + ${rep.partialTiles} partial tiles per head group`),
        h('li', { class: 'time' }, `${rep.ms.toFixed(2)} ms per run (mean of ${rep.repeats}, after a warm-up run)`),
        h('li', {}, `max abs error ${c.maxAbs.toExponential(3)}, relative ${c.rel.toExponential(3)} (tolerance ${c.tolerance.toExponential(3)})${c.nonFinite ? `, ${c.nonFinite} non-finite outputs` : ''}`)));
  } catch (e) {
    out.dataset.ok = 'false';
    problem('webgpu-result', e instanceof PlanError ? `[${e.code}] ${e.message}` : (e as Error).message ?? String(e));
  } finally {
    button.disabled = false;
  }
}

// ---- Downloads -----------------------------------------------------------------------------

async function downloadTarget(target: string): Promise<void> {
  const p = state.pattern;
  if (!p) return;
  const files = await emit(p, target, { sourceName: state.fileName });
  if (files.length === 1) download(files[0].name, files[0].contents);
  else download(`${p.name}_${target}.zip`, zipSync(Object.fromEntries(files.map((f) => [f.name, strToU8(f.contents)]))), 'application/zip');
}

async function downloadAll(): Promise<void> {
  const p = state.pattern;
  if (!p) return;
  const entries: Record<string, Uint8Array> = {};
  for (const t of targets) for (const f of await emit(p, t, { sourceName: state.fileName })) entries[`${t}/${f.name}`] = strToU8(f.contents);
  if (state.schedule) entries[`${p.name}_schedule.json`] = strToU8(`${JSON.stringify(scheduleToJson(state.schedule), null, 2)}\n`);
  download(`${p.name}.zip`, zipSync(entries), 'application/zip');
}

async function guarded(what: string, f: () => Promise<void> | void): Promise<void> {
  const status = $('download-status');
  status.textContent = '';
  try {
    await f();
  } catch (e) {
    status.textContent = `${what}: ${e instanceof AttncError ? e.diagnostics.map((d) => d.message).join('; ') : (e as Error).message}`;
  }
}

function renderDownloads(): void {
  const descr: Record<string, string> = { wgsl: 'WGSL kernel', ts: 'TypeScript WebGPU binding', cuda: 'CUDA kernel, header, PyTorch extension (zip)', flex: 'FlexAttention module' };
  fill($('downloads'),
    ...targets.map((t) => h('button', { type: 'button', 'data-target': t, title: descr[t] ?? t, onclick: () => guarded(t, () => downloadTarget(t)) }, t)),
    h('button', { type: 'button', 'data-target': 'all', onclick: () => guarded('all targets', downloadAll) }, 'all (zip)'),
    h('button', { type: 'button', onclick: () => guarded('schedule', () => { if (state.schedule) download(`${state.schedule.pattern}_schedule.json`, `${JSON.stringify(scheduleToJson(state.schedule), null, 2)}\n`, 'application/json'); }) }, 'schedule.json'),
    h('button', { type: 'button', onclick: () => guarded('schedule', () => { if (state.schedule) download(`${state.schedule.pattern}_schedule.npz`, scheduleToNpz(state.schedule), 'application/zip'); }) }, 'schedule.npz'),
    h('button', { type: 'button', onclick: () => guarded('tile map', () => { if (state.schedule) download(`${state.schedule.pattern}.svg`, renderSvg(state.schedule, { maxGroups: 4 }), 'image/svg+xml'); }) }, 'tile map.svg'),
    h('button', { type: 'button', onclick: () => guarded('sweep plot', () => { if (lastSweepSvg) download(`${state.pattern?.name ?? 'sweep'}_sweep.svg`, lastSweepSvg, 'image/svg+xml'); }) }, 'sweep plot.svg'));
}

// ---- The page ------------------------------------------------------------------------------

/** Re-runs the analysis (and so the lint marks) shortly after a size or parameter changed. */
let pending: ReturnType<typeof setTimeout> | undefined;
function refresh(): void {
  clearTimeout(pending);
  pending = setTimeout(() => view.dispatch(setDiagnostics(view.state, analyze(view.state.doc.toString()))), 150);
}

function field(label: string, value: string, set: (v: string) => void, attrs: Record<string, unknown> = {}): HTMLLabelElement {
  return h('label', {}, h('span', {}, label), h('input', { value, size: 6, oninput: (e: Event) => { set((e.target as HTMLInputElement).value); refresh(); }, ...attrs }));
}

function select(id: string, options: readonly string[], value: string, set: (v: string) => void): HTMLSelectElement {
  return h('select', { id, onchange: (e: Event) => set((e.target as HTMLSelectElement).value) }, ...options.map((o) => h('option', { value: o, selected: o === value }, o)));
}

function loadGallery(file: string): void {
  const text = assets[`patterns/${file}`];
  if (text === undefined) return;
  state.fileName = file;
  state.patternName = undefined;
  state.params.clear();
  paramKey = '';
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  for (const li of document.querySelectorAll('#gallery-list li')) li.classList.toggle('current', (li as HTMLElement).dataset.file === file);
  $('file-name').textContent = file;
  window.history.replaceState(null, '', `#${encodeURIComponent(file)}`);
}

function setUp(): void {
  fill($('gallery-list'), ...GALLERY.map((f) => h('li', { 'data-file': f },
    h('button', { type: 'button', onclick: () => loadGallery(f) }, f.replace(/\.attn$/, '')),
    h('small', {}, summaryOf(assets[`patterns/${f}`])))));
  fill($('sizes'),
    field('q_len', state.sizes.qLen, (v) => { state.sizes.qLen = v; }, { name: 'q_len' }),
    field('kv_len', state.sizes.kvLen, (v) => { state.sizes.kvLen = v; }, { name: 'kv_len', placeholder: '= q_len' }),
    field('heads', state.sizes.heads, (v) => { state.sizes.heads = v; }, { name: 'heads' }),
    field('block_q', state.sizes.blockQ, (v) => { state.sizes.blockQ = v; }, { name: 'block_q' }),
    field('block_kv', state.sizes.blockKv, (v) => { state.sizes.blockKv = v; }, { name: 'block_kv' }));
  $('pattern-select').addEventListener('change', (e) => { state.patternName = (e.target as HTMLSelectElement).value; paramKey = ''; refresh(); });
  fill($('sim-controls'),
    h('label', {}, h('span', {}, 'GPU'), select('sim-gpu', profileNames(), state.sim.gpu, (v) => { state.sim.gpu = v; renderKernelChoices(); runSimulation(); })),
    h('label', {}, h('span', {}, 'kernel'), select('sim-kernel', [], '', (v) => { state.sim.kernel = v; runSimulation(); })),
    h('label', {}, h('span', {}, 'pass'), select('sim-pass', ['forward', 'backward', 'both'], state.sim.pass, (v) => { state.sim.pass = v as SimPass; runSimulation(); })),
    field('head dim', state.sim.headDim, (v) => { state.sim.headDim = v; }),
    field('sweep q_len from', state.sim.sweepLo, (v) => { state.sim.sweepLo = v; }, { name: 'sweep-lo' }),
    field('to', state.sim.sweepHi, (v) => { state.sim.sweepHi = v; }, { name: 'sweep-hi' }),
    h('button', { type: 'button', id: 'run-sweep', onclick: runSweep }, 'Plot sweep'));
  renderKernelChoices();
  fill($('webgpu-controls'),
    field('batch', state.run.batch, (v) => { state.run.batch = v; }, { name: 'run-batch' }),
    field('heads', state.run.heads, (v) => { state.run.heads = v; }, { name: 'run-heads' }),
    field('q_len = kv_len', state.run.qLen, (v) => { state.run.qLen = v; }, { name: 'run-q-len' }),
    h('label', {}, h('span', {}, 'head dim'), select('run-head-dim', ['32', '64', '128'], state.run.headDim, (v) => { state.run.headDim = v; })),
    h('button', { type: 'button', id: 'run-webgpu', onclick: () => void runGpu() }, 'Run on WebGPU'));
  renderDownloads();
}

const initialFile = (() => {
  const f = decodeURIComponent(location.hash.slice(1));
  return GALLERY.includes(f) ? f : GALLERY.includes('streaming.attn') ? 'streaming.attn' : GALLERY[0];
})();
state.fileName = initialFile;

setUp();
const view = new EditorView({
  parent: $('editor'),
  state: EditorState.create({
    doc: assets[`patterns/${initialFile}`] ?? '',
    extensions: [
      lineNumbers(), history(), drawSelection(), highlightActiveLine(), indentOnInput(), bracketMatching(),
      keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
      attnLanguage, syntaxHighlighting(defaultHighlightStyle),
      lintGutter(), linter((v) => analyze(v.state.doc.toString()), { delay: 250 }),
      EditorView.lineWrapping,
    ],
  }),
});
$('file-name').textContent = initialFile;
for (const li of document.querySelectorAll('#gallery-list li')) li.classList.toggle('current', (li as HTMLElement).dataset.file === initialFile);
// Tests and scripts: the editor view (to type into), and a flag once the page is ready.
Object.assign(window, { attncPlayground: { view, analyze: () => analyze(view.state.doc.toString()) } });
document.body.dataset.ready = 'true';
