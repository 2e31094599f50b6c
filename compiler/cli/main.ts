/**
 * The `attnc` command line. Each subcommand is a thin shell over `pipeline.ts`.
 */
import { Command } from 'commander';
import { Diagnostics, UserError } from '../diagnostics/diagnostic.ts';
import { lineCol } from '../diagnostics/span.ts';
import { checkSource } from '../pipeline.ts';
import { dumpProgram } from './dump.ts';
import { EXIT, guard } from './report.ts';
import { addSourceOptions, loadOptions, readSource, requireSource, type SourceOptions } from './source.ts';
import { addPlanOptions, type PlanOptions } from './plan-args.ts';
import { runSchedule, runViz } from './schedule-cmds.ts';
import { registerCompileCommands } from './compile-cmds.ts';
import { registerSimulate } from './simulate-cmd.ts';
import { registerPlayground } from './playground.ts';

/** `check --json`: the diagnostics as data, in source order. */
function checkJson(files: number, patterns: number, diags: Diagnostics) {
  const ds = diags.sorted();
  return {
    files,
    patterns,
    errors: ds.filter((d) => d.severity === 'error').length,
    warnings: ds.filter((d) => d.severity === 'warning').length,
    diagnostics: ds.map((d) => {
      const end = d.span ? lineCol(d.span.file.text, d.span.end, d.span.file) : undefined;
      return {
        code: d.code,
        severity: d.severity,
        message: d.message,
        ...(d.span ? { file: d.span.file.name, line: d.span.line, col: d.span.col, endLine: end!.line, endCol: end!.col, start: d.span.start, end: d.span.end } : {}),
        notes: d.notes ?? [],
      };
    }),
    dropped: Object.fromEntries(diags.dropped),
  };
}

/** Runs the CLI on `argv` (as in `process.argv`) and returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let status: number = EXIT.ok;
  const program = new Command();
  program
    .name('attnc')
    .description('Compile sparse attention patterns (.attn files) to block-sparse schedules and kernels.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  addSourceOptions(program
    .command('check')
    .description('Parse and check .attn files; print every diagnostic (exit 1 if any error).')
    .argument('<files...>', '.attn files to check')
    .option('--quiet', 'print nothing when there are no diagnostics')
    .option('--json', 'print the diagnostics as JSON on stdout (code, severity, message, file, line, col, end, notes) instead of rendering them'))
    .action(async (files: string[], opts: SourceOptions & { quiet?: boolean; json?: boolean }) => {
      const diags = new Diagnostics();
      // With --json the findings go to stdout as data; `diags` keeps only what stops the command.
      const found = opts.json ? new Diagnostics() : diags;
      status = await guard(diags, () => {
        const load = loadOptions(opts, diags);
        if (diags.hasErrors) throw new UserError(diags);
        let patterns = 0;
        for (const name of files) {
          const src = readSource(name, found);
          if (!src) continue;
          const prog = checkSource(src, found, undefined, load);
          patterns += prog?.patterns.length ?? 0;
        }
        const errors = found.items.filter((d) => d.severity === 'error').length;
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(checkJson(files.length, patterns, found), null, 2)}\n`);
          return errors ? EXIT.user : EXIT.ok;
        }
        if (!opts.quiet && errors === 0) {
          process.stdout.write(`checked ${files.length} file${files.length === 1 ? '' : 's'}, ${patterns} pattern${patterns === 1 ? '' : 's'}: no errors\n`);
        }
        return errors ? EXIT.user : EXIT.ok;
      });
    });

  addSourceOptions(program
    .command('ast')
    .description('Print a readable dump of the checked patterns in a file (parameters, clauses, combined mask IR).')
    .argument('<file>', '.attn file')
    .option('--json', 'print the surface syntax tree as JSON instead'))
    .action(async (file: string, opts: SourceOptions & { json?: boolean }) => {
      const diags = new Diagnostics();
      status = await guard(diags, () => {
        const load = loadOptions(opts, diags);
        const src = requireSource(file, diags);
        if (diags.hasErrors) throw new UserError(diags);
        const prog = checkSource(src, diags, undefined, load);
        if (!prog) throw new UserError(diags);
        process.stdout.write(opts.json ? `${JSON.stringify(prog.patterns, astJsonReplacer, 2)}\n` : dumpProgram(prog));
        return EXIT.ok;
      });
    });

  addPlanOptions(
    program
      .command('schedule')
      .description('Plan the block-sparse schedule (full / partial / empty tiles per query block) for one problem size.')
      .argument('<file>', '.attn file'),
  )
    .option('--format <format>', 'text | json | npz (default: from -o: .json, .npz, else text)')
    .option('-o, --out <path>', 'write to a file instead of stdout (required for npz)')
    .action(async (file: string, opts: PlanOptions & { format: string; out?: string }) => {
      const diags = new Diagnostics();
      status = await guard(diags, () => runSchedule(file, opts, diags));
    });

  addPlanOptions(
    program
      .command('viz')
      .description('Draw the tile map of a pattern: SVG or PNG (by the -o extension), or Unicode in the terminal.')
      .argument('<file>', '.attn file'),
  )
    .option('-o, --out <path>', 'output file: .svg or .png')
    .option('--format <format>', 'svg | png | term (default: from -o, else term)')
    .option('--groups <n>', 'head groups drawn in SVG / PNG (heads with the same mask form a group)', '4')
    .action(async (file: string, opts: PlanOptions & { format?: string; out?: string; groups: string }) => {
      const diags = new Diagnostics();
      status = await guard(diags, () => runViz(file, opts, diags));
    });

  registerCompileCommands(program, (n) => { status = n; });
  registerSimulate(program, (n) => { status = n; });
  registerPlayground(program, (n) => { status = n; });
  try {
    await program.parseAsync(argv);
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    if (typeof code === 'number') return code === 0 ? EXIT.ok : EXIT.user;
    throw e;
  }
  return status;
}

/** JSON for `ast --json`: spans become `file:line:col`; source files are not repeated. */
function astJsonReplacer(key: string, value: unknown): unknown {
  if (key === 'file' && value && typeof value === 'object' && 'text' in value) return (value as unknown as { name: string }).name;
  if (key === 'span' && value && typeof value === 'object' && 'line' in value) {
    const s = value as { file: { name: string }; line: number; col: number };
    return `${s.file.name}:${s.line}:${s.col}`;
  }
  return value;
}
