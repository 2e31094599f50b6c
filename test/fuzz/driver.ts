/**
 * The fuzzer: generates `.attn` programs (`generate.ts`), runs each through check, bind,
 * plan (at the sizes in `protocol.ts`) and every emit target in a worker process, then parses
 * every emitted file in its language (`test/helpers/parse-output.ts`), a chunk of programs
 * at a time so that each parser starts once per chunk.
 *
 * A failure is: an internal error (anything thrown that is not a coded user error), a
 * program that takes longer than the time limit (the worker is killed and restarted), a
 * worker that crashes or grows past the memory limit, an emitted file that does not parse,
 * and (when asked) a schedule that disagrees with the dense oracle. Each failure carries a
 * reproducer: the program, its values, the seed and its index.
 *
 * `scripts/fuzz.ts` runs it from the command line; `fuzz.test.ts` in CI.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cppSyntaxErrors, has, pythonSyntaxErrors, tsSyntaxErrors, tsTypeErrors, wgslErrors, type CppUnit } from '../helpers/parse-output.ts';
import { samplePrograms, type FuzzProgram } from './generate.ts';
import type { ChildRequest, ProgramResult } from './protocol.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

export interface FuzzOptions {
  readonly seed: number;
  readonly runs: number;
  /** Wall-clock limit per program (check, bind, plan, emit), in ms. */
  readonly timeoutMs?: number;
  /** The worker's resident memory limit, in MiB (its V8 heap is capped below it too). */
  readonly memoryMb?: number;
  /** Programs per parse batch. */
  readonly chunk?: number;
  /** Also compare every schedule with the dense oracle. */
  readonly oracle?: boolean;
  /** Only this program of the seed's sequence (to reproduce one). */
  readonly only?: number;
  /** Run these programs instead of generated ones (`seed` and `runs` are then ignored). */
  readonly programs?: readonly FuzzProgram[];
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export type FailureKind = 'internal' | 'timeout' | 'memory' | 'crash' | 'parse' | 'typecheck' | 'imports' | 'oracle';

export interface FuzzFailure {
  readonly kind: FailureKind;
  /** The generated program's seed and index; undefined for a given program. */
  readonly seed?: number;
  readonly index: number;
  readonly program: FuzzProgram;
  readonly detail: string;
}

export interface FuzzReport {
  seed: number;
  programs: number;
  /** Programs of several files (with imports), and those of them whose imports all load. */
  multiFile: number;
  multiFileLoaded: number;
  /** Multi-file programs by the hostile import they have (generate.ts `HOSTILE`). */
  hostile: Record<string, number>;
  checkedClean: number;
  patterns: number;
  bound: number;
  plans: number;
  planUserErrors: number;
  emitted: number;
  /** Emitted files per language, and how many of them were parsed. */
  files: Record<string, number>;
  parsed: Record<string, number>;
  parseFailures: Record<string, number>;
  /** TypeScript files type-checked (strict, as a consumer), and those with type errors. */
  typeChecked: number;
  typeCheckFailures: number;
  /** Multi-file programs that did not report what their imports must, or differ from one file. */
  importFailures: number;
  /** Why a language was not parsed (tool missing). */
  skipped: Record<string, string>;
  internalErrors: number;
  timeouts: number;
  memory: number;
  crashes: number;
  oracleMismatches: number;
  /** Programs by diagnostic code reported. */
  codes: Record<string, number>;
  /** Slowest program, ms. */
  maxMs: number;
  maxRssMb: number;
  failures: FuzzFailure[];
  ms: number;
}

type Outcome = { result: ProgramResult } | { timeout: true } | { crash: string };

/** The worker process; restarted after a timeout or crash. */
class Worker {
  private child?: ChildProcess;
  private stderr = '';
  private ready?: Promise<void>;
  constructor(private readonly heapMb: number) {}

  private start(): Promise<void> {
    this.stderr = '';
    const child = fork(path.join(here, 'child.ts'), [], {
      cwd: root,
      execArgv: ['--import', 'tsx', `--max-old-space-size=${this.heapMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    child.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
    this.child = child;
    return new Promise((resolve, reject) => {
      const onMsg = (m: { ready?: boolean }) => { if (m.ready) { child.off('message', onMsg); child.off('exit', onExit); resolve(); } };
      const onExit = (code: number | null) => reject(new Error(`the fuzz worker exited at start (${code}): ${this.stderr}`));
      child.on('message', onMsg);
      child.on('exit', onExit);
    });
  }

  async run(req: ChildRequest, timeoutMs: number): Promise<Outcome> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) this.ready = this.start();
    await this.ready;
    const child = this.child!;
    return new Promise<Outcome>((resolve) => {
      const done = (o: Outcome) => {
        clearTimeout(timer);
        child.off('message', onMsg);
        child.off('exit', onExit);
        resolve(o);
      };
      const onMsg = (m: ProgramResult) => { if (m.id === req.id) done({ result: m }); };
      const onExit = (code: number | null, signal: string | null) => done({ crash: `worker exited (${code ?? signal}): ${this.stderr.trim().split('\n').slice(-8).join('\n')}` });
      const timer = setTimeout(() => { this.kill(); done({ timeout: true }); }, timeoutMs);
      child.on('message', onMsg);
      child.on('exit', onExit);
      child.send(req);
    });
  }

  kill(): void {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.child = undefined;
  }
}

const LANG_OF: Record<string, string> = { '.ts': 'typescript', '.py': 'python', '.wgsl': 'wgsl', '.h': 'c/c++', '.cu': 'c/c++', '.cpp': 'c/c++' };

/** Prints a failure as a reproducer. */
export function formatFailure(f: FuzzFailure): string {
  return [
    f.seed === undefined ? `${f.kind} (program ${f.index}):` : `${f.kind} (seed ${f.seed}, program ${f.index}; rerun: npx tsx scripts/fuzz.ts --seed ${f.seed} --only ${f.index}):`,
    `  ${f.detail.split('\n').slice(0, 12).join('\n  ')}`,
    '--- program ---',
    f.program.text.replace(/\r\n?/g, '\n'),
    ...Object.entries(f.program.files ?? {}).filter(([name]) => !name.startsWith('chain/')).flatMap(([name, text]) => [`--- file root/${name} ---`, text.replace(/\r\n?/g, '\n')]),
    ...(f.program.files && Object.keys(f.program.files).some((n) => n.startsWith('chain/')) ? [`--- and root/chain/c0.attn .. c${Object.keys(f.program.files).filter((n) => n.startsWith('chain/')).length - 1}.attn, each importing the next ---`] : []),
    ...(f.program.links ? [`--- links: ${JSON.stringify(f.program.links)}`] : []),
    ...(f.program.dirs ? [`--- folders: ${JSON.stringify(f.program.dirs)}`] : []),
    ...(f.program.files ? [`--- entry root/main.attn${f.program.importRoot ? ', --import-root root' : ''}`] : []),
    `--- values: ${JSON.stringify(f.program.values)}`,
  ].join('\n');
}

/** Runs the fuzzer. */
export async function fuzz(o: FuzzOptions): Promise<FuzzReport> {
  const t0 = Date.now();
  const timeoutMs = o.timeoutMs ?? 5000;
  const memoryMb = o.memoryMb ?? 1536;
  const chunk = o.chunk ?? 200;
  const log = o.log ?? (() => {});
  const all = o.programs ?? samplePrograms(o.seed, o.only === undefined ? o.runs : o.only + 1);
  const indices = o.only === undefined || o.programs ? all.map((_, i) => i) : [o.only];
  const rep: FuzzReport = {
    seed: o.seed, programs: 0, multiFile: 0, multiFileLoaded: 0, hostile: {}, checkedClean: 0, patterns: 0, bound: 0, plans: 0, planUserErrors: 0, emitted: 0,
    files: {}, parsed: {}, parseFailures: {}, typeChecked: 0, typeCheckFailures: 0, importFailures: 0, skipped: {}, internalErrors: 0, timeouts: 0, memory: 0, crashes: 0,
    oracleMismatches: 0, codes: {}, maxMs: 0, maxRssMb: 0, failures: [], ms: 0,
  };
  const fail = (kind: FailureKind, index: number, detail: string) => rep.failures.push({ kind, seed: o.programs ? undefined : o.seed, index, program: all[index], detail });
  const bump = (rec: Record<string, number>, key: string, n = 1) => { rec[key] = (rec[key] ?? 0) + n; };
  const haveGpp = has('g++', ['--version']) && has('gcc', ['--version']);
  const havePython = has('python3', ['--version']);
  if (!haveGpp) rep.skipped['c/c++'] = 'g++ or gcc not found';
  if (!havePython) rep.skipped.python = 'python3 not found';

  const worker = new Worker(Math.max(256, Math.floor(memoryMb * 0.75)));
  try {
    for (let c = 0; c < indices.length; c += chunk) {
      const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-fuzz-'));
      const results: ProgramResult[] = [];
      try {
        for (const index of indices.slice(c, c + chunk)) {
          rep.programs++;
          if (all[index].files) rep.multiFile++;
          if (all[index].hostile) bump(rep.hostile, all[index].hostile!);
          const out = await worker.run({ id: index, program: all[index], outDir, oracle: o.oracle ?? false }, timeoutMs);
          if ('timeout' in out) {
            rep.timeouts++;
            fail('timeout', index, `check, plan and emit took longer than ${timeoutMs} ms`);
            continue;
          }
          if ('crash' in out) {
            const oom = /heap out of memory|allocation failed/i.test(out.crash);
            if (oom) rep.memory++;
            else rep.crashes++;
            fail(oom ? 'memory' : 'crash', index, out.crash);
            continue;
          }
          const r = out.result;
          results.push(r);
          if (r.clean) rep.checkedClean++;
          if (all[index].files && !r.codes.some((c) => /import|not_a_regular_file/.test(c))) rep.multiFileLoaded++;
          if (r.expect.length) {
            rep.importFailures++;
            fail('imports', index, r.expect.join('\n'));
          }
          for (const code of r.codes) bump(rep.codes, code);
          rep.patterns += r.patterns;
          rep.bound += r.bound;
          rep.plans += r.plans;
          rep.planUserErrors += r.planUserErrors;
          rep.emitted += r.emitted;
          rep.maxMs = Math.max(rep.maxMs, r.ms ?? 0);
          rep.maxRssMb = Math.max(rep.maxRssMb, r.rssMb ?? 0);
          if (r.internal) {
            rep.internalErrors++;
            fail('internal', index, `${r.internal.phase}: ${r.internal.message}\n${r.internal.stack ?? ''}`);
          }
          if (r.oracle.length) {
            rep.oracleMismatches++;
            fail('oracle', index, r.oracle.join('\n'));
          }
          if ((r.rssMb ?? 0) > memoryMb) {
            rep.memory++;
            fail('memory', index, `the worker's resident memory reached ${Math.round(r.rssMb!)} MiB (limit ${memoryMb})`);
            worker.kill();
          }
        }
        log(`seed ${o.seed}: ${rep.programs} programs run (${((Date.now() - t0) / 1000).toFixed(1)} s), parsing their output`);
        const tp = Date.now();
        parseChunk(results, outDir);
        log(`seed ${o.seed}: parsed in ${((Date.now() - tp) / 1000).toFixed(1)} s`);
      } finally {
        fs.rmSync(outDir, { recursive: true, force: true });
      }
    }
  } finally {
    worker.kill();
  }
  rep.ms = Date.now() - t0;
  return rep;

  function parseChunk(results: ProgramResult[], outDir: string): void {
    const byLang: Record<string, { index: number; file: string; pattern: string }[]> = {};
    for (const r of results) {
      for (const f of r.files) {
        const lang = LANG_OF[path.extname(f.name)] ?? path.extname(f.name);
        bump(rep.files, lang);
        (byLang[lang] ??= []).push({ index: r.id, file: path.join(outDir, String(r.id), f.name), pattern: f.pattern });
      }
    }
    const parseFail = (lang: string, index: number, file: string, why: string) => {
      bump(rep.parseFailures, lang);
      fail('parse', index, `${path.basename(file)} does not parse as ${lang}: ${why}`);
    };
    let tl = Date.now();
    const lap = (what: string) => { log(`  ${what}: ${Date.now() - tl} ms`); tl = Date.now(); };
    const parsedTs: { index: number; file: string }[] = [];
    for (const f of byLang.typescript ?? []) {
      bump(rep.parsed, 'typescript');
      const errs = tsSyntaxErrors(fs.readFileSync(f.file, 'utf8'), f.file);
      if (errs.length) parseFail('typescript', f.index, f.file, errs.join('; '));
      else parsedTs.push(f);
    }
    lap('typescript');
    // Type-check what parsed, as a strict consumer's project would: one program for the chunk.
    if (parsedTs.length) {
      fs.writeFileSync(path.join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));
      const bad = tsTypeErrors(parsedTs.map((f) => f.file));
      rep.typeChecked += parsedTs.length;
      for (const f of parsedTs) {
        if (!bad.has(f.file)) continue;
        rep.typeCheckFailures++;
        fail('typecheck', f.index, `${path.basename(f.file)} does not type-check: ${bad.get(f.file)!.slice(0, 8).join('\n')}`);
      }
    }
    lap('typescript types');
    if (havePython && byLang.python) {
      const bad = pythonSyntaxErrors(byLang.python.map((f) => f.file));
      for (const f of byLang.python) {
        bump(rep.parsed, 'python');
        if (bad.has(f.file)) parseFail('python', f.index, f.file, bad.get(f.file)!);
      }
    }
    lap('python');
    if (byLang.wgsl) {
      const { errors, unavailable } = wgslErrors(byLang.wgsl.map((f) => f.file));
      if (unavailable) rep.skipped.wgsl = unavailable;
      else {
        for (const f of byLang.wgsl) {
          bump(rep.parsed, 'wgsl');
          if (errors.has(f.file)) parseFail('wgsl', f.index, f.file, errors.get(f.file)!);
        }
      }
    }
    lap('wgsl');
    if (haveGpp && byLang['c/c++']) {
      // One unit per pattern; batches of units whose pattern names differ.
      const units = new Map<string, { index: number; unit: CppUnit }>();
      for (const f of byLang['c/c++']) units.set(`${f.index}/${f.pattern}`, { index: f.index, unit: { dir: path.dirname(f.file), name: f.pattern } });
      const batches: { names: Set<string>; units: { index: number; unit: CppUnit }[] }[] = [];
      for (const u of units.values()) {
        let b = batches.find((x) => !x.names.has(u.unit.name) && x.units.length < 60);
        if (!b) batches.push((b = { names: new Set(), units: [] }));
        b.names.add(u.unit.name);
        b.units.push(u);
      }
      for (const b of batches) {
        bump(rep.parsed, 'c/c++', 3 * b.units.length);
        if (!cppSyntaxErrors(b.units.map((u) => u.unit)).length) continue;
        // Find the culprits one by one.
        for (const u of b.units) {
          const errs = cppSyntaxErrors([u.unit]);
          if (errs.length) parseFail('c/c++', u.index, `${u.unit.name}.cu`, errs.slice(0, 6).join('\n'));
        }
      }
      lap('c/c++');
    }
  }
}

/** A one-paragraph summary of a report. */
export function summarize(r: FuzzReport): string {
  const kv = (rec: Record<string, number | string>) => Object.entries(rec).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  return [
    `seed ${r.seed}: ${r.programs} programs, ${r.checkedClean} checked clean, ${r.patterns} patterns, ${r.bound} bound, ${r.plans} schedules planned (${r.planUserErrors} refused with a coded error), ${r.emitted} emitted for every target, in ${(r.ms / 1000).toFixed(1)} s (slowest ${Math.round(r.maxMs)} ms, worker rss up to ${Math.round(r.maxRssMb)} MiB)`,
    `files: ${kv(r.files)}; parsed: ${kv(r.parsed)}${Object.keys(r.skipped).length ? `; not parsed: ${kv(r.skipped)}` : ''}`,
    `multi-file programs ${r.multiFile} (${r.multiFileLoaded} with every import loaded; hostile imports: ${kv(r.hostile)}), import expectation failures ${r.importFailures}; TypeScript files type-checked ${r.typeChecked}, with type errors ${r.typeCheckFailures}`,
    `parse failures: ${kv(r.parseFailures)}; internal errors ${r.internalErrors}, timeouts ${r.timeouts}, memory ${r.memory}, crashes ${r.crashes}, oracle mismatches ${r.oracleMismatches}`,
    `diagnostic codes (programs): ${kv(r.codes)}`,
  ].join('\n');
}
