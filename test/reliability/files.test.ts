/**
 * Reliability issue, section 1: files attnc reads and writes. Inputs are regular files of a
 * bounded size; only `.attn` files are imported and another file's contents never reach a
 * diagnostic; imports can be confined to given folders; outputs are staged in fresh
 * temporary folders (nothing planted is followed) and written all or none; file-system
 * errors are coded user errors.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../compiler/cli/main.ts';
import { Diagnostics } from '../../compiler/diagnostics/diagnostic.ts';
import { checkSource } from '../../compiler/pipeline.ts';
import { FileReadError, MAX_NPY_BYTES, MAX_SOURCE_BYTES, OutputBatch, readFileBounded, writeFileAtomic } from '../../runtime/io/files.ts';

const SECRET = 'attnc-test-secret-7f3a9c';

/**
 * The CLI in a child process: for standard input, the environment, and inputs that could
 * hang or exhaust memory if a regression read them (the timeout turns that into a failure).
 */
function spawnAttnc(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, ['bin/attnc.mjs', ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 2 ** 20, input: opts.input, env: { ...process.env, ...opts.env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI in this process (starting a child costs seconds): exit status and what it printed. */
async function attnc(args: string[]) {
  let stdout = '', stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { stdout += String(s); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { stderr += String(s); return true; });
  try {
    const status = await main(['node', 'attnc', ...args]);
    return { status, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'attnc-files-'));

/** A user error: coded, exit 1, no internal error and no stack trace. */
const expectCoded = (r: { status: number | null; stderr: string }, code: string, text?: string) => {
  expect(r.stderr).toContain(`error[${code}]`);
  if (text) expect(r.stderr).toContain(text);
  expect(r.stderr).not.toContain('internal compiler error');
  expect(r.stderr).not.toMatch(/\n\s+at .*:\d+/);
  expect(r.status).toBe(1);
};

/** A source in a nested temporary folder (so `../..` leads somewhere), with its folder. */
function source(text: string, name = 'main.attn'): { dir: string; file: string; root: string } {
  const root = tmpDir();
  const dir = path.join(root, 'a', 'b');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return { dir, file, root };
}

const codes = (d: Diagnostics) => d.sorted().map((x) => [x.code, x.span?.line]);

describe('imports read only .attn files and never echo another file', () => {
  it('a non-.attn file (like ../../etc/passwd) is refused at the import, unread', async () => {
    const { file, root } = source('import "../../passwd"\npattern p() { causal }\n');
    fs.writeFileSync(path.join(root, 'passwd'), `root:x:0:0:${SECRET}:/root:/bin/sh\n`);
    const r = await attnc(['check', file]);
    expectCoded(r, 'import_refused', 'only .attn files can be imported');
    expect(r.stderr).toContain(`${file}:1:1`);
    expect(r.stderr).not.toContain(SECRET);
  });

  it('the real /etc/passwd, reached with ../ or a symbolic link named .attn, is not shown', async () => {
    const ups = '../'.repeat(40);
    const { file, dir } = source(`import "${ups}etc/passwd"\npattern p() { causal }\n`);
    const r = await attnc(['check', file]);
    expectCoded(r, 'import_refused');
    expect(r.stderr).not.toContain('root:');
    // The file a link leads to must be an .attn file too.
    fs.symlinkSync('/etc/passwd', path.join(dir, 'pw.attn'));
    fs.writeFileSync(file, 'import "pw.attn"\npattern p() { causal }\n');
    const link = await attnc(['check', file]);
    expectCoded(link, 'import_refused', 'is a link to a file that is not an .attn file');
    expect(link.stderr).not.toContain('root:');
  });

  it('/proc/self/environ: refused as an import (by path or by a link named .attn) and as a source', async () => {
    // This process's environment, as /proc/self/environ has it (from its start).
    const environ = fs.readFileSync('/proc/self/environ', 'utf8').split('\0').filter((e) => e.length > 12);
    const ups = '../'.repeat(40);
    const { file, dir } = source(`import "${ups}proc/self/environ"\npattern p() { causal }\n`);
    const r = await attnc(['check', file]);
    expectCoded(r, 'import_refused');
    for (const e of environ) expect(r.stderr).not.toContain(e);
    fs.symlinkSync('/proc/self/environ', path.join(dir, 'env.attn'));
    fs.writeFileSync(file, 'import "env.attn"\npattern p() { causal }\n');
    const link = await attnc(['check', file]);
    expectCoded(link, 'import_refused');
    for (const e of environ) expect(link.stderr).not.toContain(e);
    // Named on the command line too.
    const env = { ATTNC_TEST_SECRET: SECRET };
    const direct = spawnAttnc(['check', '/proc/self/environ'], { env });
    expectCoded(direct, 'not_a_regular_file', 'a /proc or /sys file');
    expect(direct.stderr).not.toContain(SECRET);
  });

  it('/dev/zero: as an import (by path or by a link named .attn), as a source, and as --input', async () => {
    const { file, dir } = source(`import "${'../'.repeat(40)}dev/zero"\npattern p() { causal }\n`);
    expectCoded(await attnc(['check', file]), 'import_refused');
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.attn'));
    fs.writeFileSync(file, 'import "zero.attn"\npattern p() { causal }\n');
    const link = await attnc(['check', file]);
    expectCoded(link, 'import_refused', '`zero.attn` is a link to a file that is not an .attn file');
    expect(link.stderr).toContain(`${file}:1:1`);
    expectCoded(spawnAttnc(['check', '/dev/zero']), 'not_a_regular_file', '`/dev/zero` is a character device, not a regular file');
    expectCoded(spawnAttnc(['schedule', 'patterns/document.attn', '--q-len', '256', '--input', 'doc=/dev/zero']), 'not_a_regular_file', 'input `doc`: /dev/zero is a character device');
  }, 180_000);

  it('a parse error inside an imported .attn file shows its lines', async () => {
    const { file, dir } = source('import "lib.attn"\npattern p() { causal }\n');
    fs.writeFileSync(path.join(dir, 'lib.attn'), 'pattern lib() {\n  allow q - k < @\n}\n');
    const r = await attnc(['check', file]);
    expectCoded(r, 'unexpected_character');
    expect(r.stderr).toContain('allow q - k < @');
  });
});

describe('every file is read as a bounded regular file', () => {
  it('a folder, a fifo and a file over the limit, as sources and imports', async () => {
    const dir = tmpDir();
    expectCoded(await attnc(['check', dir]), 'not_a_regular_file', 'is a folder');
    expectCoded(await attnc(['schedule', dir, '--q-len', '256']), 'not_a_regular_file');
    const fifo = path.join(dir, 'pipe.attn');
    spawnSync('mkfifo', [fifo]);
    expectCoded(spawnAttnc(['check', fifo]), 'not_a_regular_file', 'fifo');
    const big = path.join(dir, 'big.attn');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, MAX_SOURCE_BYTES + 1); // sparse: no disk used
    expectCoded(await attnc(['check', big]), 'file_too_large', 'the limit is 16 MiB');
    const main = path.join(dir, 'main.attn');
    fs.mkdirSync(path.join(dir, 'folder.attn'));
    fs.writeFileSync(main, 'import "big.attn"\nimport "pipe.attn"\nimport "folder.attn"\npattern p() { causal }\n');
    const r = await attnc(['check', main]);
    expectCoded(r, 'file_too_large', 'imported file `big.attn` is 16 MiB; the limit is 16 MiB');
    expectCoded(r, 'not_a_regular_file', 'imported file `pipe.attn` is a fifo');
    expect(r.stderr).toContain('imported file `folder.attn` is a folder');
    expect(r.stderr).toContain(`${main}:2:1`);
    expect(r.stderr).toContain(`${main}:3:1`);
  });

  it('standard input over the limit', async () => {
    expectCoded(spawnAttnc(['check', '-'], { input: `// ${'x'.repeat(MAX_SOURCE_BYTES)}\n` }), 'file_too_large', 'standard input is larger than the limit of 16 MiB');
  });

  it('.npy inputs over their limit, and --results and --gpu files that are not regular files', async () => {
    const dir = tmpDir();
    const big = path.join(dir, 'doc.npy');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, MAX_NPY_BYTES + 1);
    expectCoded(await attnc(['schedule', 'patterns/document.attn', '--q-len', '256', '--input', `doc=${big}`]), 'file_too_large', 'the limit is 2 GiB');
    expectCoded(spawnAttnc(['simulate', 'patterns/causal.attn', '--sweep', 'q_len=4k..8k', '--results', '/dev/zero']), 'not_a_regular_file');
    const bad = path.join(dir, 'r.json');
    fs.writeFileSync(bad, '{ not json');
    expectCoded(await attnc(['simulate', 'patterns/causal.attn', '--sweep', 'q_len=4k..8k', '--results', bad]), 'bad_param_value', 'is not valid JSON');
    const folder = path.join(dir, 'gpu.json');
    fs.mkdirSync(folder);
    expectCoded(await attnc(['simulate', 'patterns/causal.attn', '--q-len', '4k', '--gpu', folder]), 'not_a_regular_file');
  });

  it('readFileBounded reads from the descriptor it checked', async () => {
    const dir = tmpDir();
    const f = path.join(dir, 'x.attn');
    fs.writeFileSync(f, 'abc');
    expect(readFileBounded(f, 3).toString()).toBe('abc');
    expect(() => readFileBounded(f, 2)).toThrow(FileReadError);
    expect(() => readFileBounded(path.join(dir, 'none.attn'), 10)).toThrow(expect.objectContaining({ code: 'file_not_found' }));
    expect(() => readFileBounded('/proc/self/status', 1 << 20)).toThrow(expect.objectContaining({ code: 'not_a_regular_file' }));
  });
});

describe('imports confined to given folders', () => {
  function tree() {
    const base = tmpDir();
    const root = path.join(base, 'root');
    const outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'lib.attn'), 'pattern lib() { causal }\n');
    fs.writeFileSync(path.join(root, 'sub', 'ok.attn'), 'pattern ok() { causal }\n');
    return { base, root, outside };
  }
  const checkIn = (file: string, text: string, roots?: string[]) => {
    const diags = new Diagnostics();
    fs.writeFileSync(file, text);
    const prog = checkSource({ name: file, text }, diags, undefined, roots ? { importRoots: roots } : {});
    return { prog, diags };
  };

  it('an import inside the root is allowed, through a link inside it too', async () => {
    const { root } = tree();
    fs.symlinkSync(path.join(root, 'sub', 'ok.attn'), path.join(root, 'link.attn'));
    const { prog, diags } = checkIn(path.join(root, 'main.attn'), 'import "sub/ok.attn"\npattern p() { causal }\n', [root]);
    expect(codes(diags)).toEqual([]);
    expect(prog?.patterns.map((p) => p.name)).toEqual(['p']);
    expect(codes(checkIn(path.join(root, 'main2.attn'), 'import "link.attn"\npattern p() { causal }\n', [root]).diags)).toEqual([]);
  });

  it('`..` out of the root is refused at the import', async () => {
    const { root } = tree();
    const text = 'pattern p() { causal }\nimport "../outside/lib.attn"\n';
    const { diags } = checkIn(path.join(root, 'main.attn'), text, [root]);
    expect(codes(diags)).toEqual([['import_refused', 2]]);
    // Without roots the same import is fine.
    expect(codes(checkIn(path.join(root, 'main.attn'), text).diags)).toEqual([]);
  });

  it('a symbolic link out of the root is refused (a link to a file, and a link to a folder)', async () => {
    const { root, outside } = tree();
    fs.symlinkSync(path.join(outside, 'lib.attn'), path.join(root, 'lib.attn'));
    fs.symlinkSync(outside, path.join(root, 'dir'));
    expect(codes(checkIn(path.join(root, 'main.attn'), 'import "lib.attn"\npattern p() { causal }\n', [root]).diags)).toEqual([['import_refused', 1]]);
    expect(codes(checkIn(path.join(root, 'main.attn'), 'import "dir/lib.attn"\npattern p() { causal }\n', [root]).diags)).toEqual([['import_refused', 1]]);
  });

  it('imports of imports are confined too, and a root given through a link works', async () => {
    const { base, root } = tree();
    fs.writeFileSync(path.join(root, 'sub', 'mid.attn'), 'import "../../outside/lib.attn"\npattern mid() { causal }\n');
    const { diags } = checkIn(path.join(root, 'main.attn'), 'import "sub/mid.attn"\npattern p() { causal }\n', [root]);
    expect(diags.sorted().map((d) => [d.code, path.basename(d.span!.file.name)])).toEqual([['import_refused', 'mid.attn']]);
    fs.symlinkSync(root, path.join(base, 'rootlink'));
    const viaLink = path.join(base, 'rootlink');
    expect(codes(checkIn(path.join(viaLink, 'main.attn'), 'import "sub/ok.attn"\npattern p() { causal }\n', [viaLink]).diags)).toEqual([]);
  });

  it('the CLI takes --import-root (repeatable) on the commands that read sources', async () => {
    const { root, outside } = tree();
    const main = path.join(root, 'main.attn');
    fs.writeFileSync(main, 'import "../outside/lib.attn"\npattern p() { causal }\n');
    expect((await attnc(['check', main])).status).toBe(0);
    expectCoded(await attnc(['check', '--import-root', root, main]), 'import_refused');
    expect((await attnc(['check', '--import-root', root, '--import-root', outside, main])).status).toBe(0);
    expectCoded(await attnc(['schedule', main, '--pattern', 'p', '--q-len', '256', '--import-root', root]), 'import_refused');
    expectCoded(await attnc(['compile', main, '--out', tmpDir(), '--import-root', root]), 'import_refused');
    expectCoded(await attnc(['ast', main, '--import-root', root]), 'import_refused');
    expectCoded(await attnc(['check', '--import-root', path.join(root, 'nope'), main]), 'bad_param_value', 'is not a folder');
  });
});

describe('output files', () => {
  it('a link planted at the old temporary name (.NAME.PID.tmp) is not followed by schedule -o', async () => {
    const dir = tmpDir();
    const outDir = path.join(dir, 'out');
    fs.mkdirSync(outDir);
    const victim = path.join(dir, 'victim.txt');
    fs.writeFileSync(victim, 'precious\n');
    const out = path.join(outDir, 'sched.txt');
    // `exec` keeps the process id, so the name attnc would use is known before it runs.
    const child = spawn('sh', ['-c', `read go; exec "${process.execPath}" bin/attnc.mjs schedule patterns/causal.attn --q-len 256 -o "${out}"`], { stdio: ['pipe', 'pipe', 'pipe'] });
    fs.symlinkSync(victim, path.join(outDir, `.sched.txt.${child.pid}.tmp`));
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const status = await new Promise<number | null>((resolve) => { child.on('close', resolve); child.stdin.end('go\n'); });
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.readFileSync(out, 'utf8')).toContain('causal');
  });

  it('writeFileAtomic: a planted link at the old name, or as the target, leaves the file it points to alone', async () => {
    const dir = tmpDir();
    const victim = path.join(dir, 'victim.txt');
    fs.writeFileSync(victim, 'precious\n');
    const outDir = path.join(dir, 'out');
    fs.mkdirSync(outDir);
    fs.symlinkSync(victim, path.join(outDir, `.x.txt.${process.pid}.tmp`));
    writeFileAtomic(path.join(outDir, 'x.txt'), 'new\n');
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.readFileSync(path.join(outDir, 'x.txt'), 'utf8')).toBe('new\n');
    // A link as the target itself is replaced, not written through.
    fs.symlinkSync(victim, path.join(outDir, 'y.txt'));
    writeFileAtomic(path.join(outDir, 'y.txt'), 'new\n');
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(fs.lstatSync(path.join(outDir, 'y.txt')).isSymbolicLink()).toBe(false);
    // Nothing temporary is left behind.
    expect(fs.readdirSync(outDir).filter((f) => f.startsWith('.attnc-'))).toEqual([]);
  });

  it('OutputBatch writes all or none, and removes the folders it made', async () => {
    const dir = tmpDir();
    const batch = new OutputBatch();
    batch.add(path.join(dir, 'new', 'deep', 'a.txt'), 'a');
    fs.mkdirSync(path.join(dir, 'new', 'deep', 'b.txt'));
    expect(() => batch.add(path.join(dir, 'new', 'deep', 'b.txt'), 'b')).toThrow(expect.objectContaining({ errno: 'EISDIR' }));
    expect(fs.existsSync(path.join(dir, 'new', 'deep', 'a.txt'))).toBe(false);
    expect(fs.readdirSync(path.join(dir, 'new', 'deep'))).toEqual(['b.txt']);
    const ok = new OutputBatch();
    ok.add(path.join(dir, 'c', 'x.txt'), 'x');
    ok.add(path.join(dir, 'c', 'y.txt'), 'y');
    expect(fs.existsSync(path.join(dir, 'c', 'x.txt'))).toBe(false);
    ok.commit();
    expect(fs.readdirSync(path.join(dir, 'c')).sort()).toEqual(['x.txt', 'y.txt']);
    const aborted = new OutputBatch();
    aborted.add(path.join(dir, 'd', 'e', 'z.txt'), 'z');
    aborted.abort();
    expect(fs.existsSync(path.join(dir, 'd'))).toBe(false);
  });

  const twoPatterns = 'pattern a(w: int = 64) {\n  allow q - k < w\n}\npattern b(w: int = 100) {\n  assert w % 64 == 0, "w must be a multiple of 64"\n  allow q - k < w\n}\n';

  it('compile writes nothing when its second pattern fails (an assert with the given values)', async () => {
    const { file } = source(twoPatterns, 'two.attn');
    const out = path.join(tmpDir(), 'out');
    const r = await attnc(['compile', file, '--out', out]);
    expectCoded(r, 'assertion_failed', 'w must be a multiple of 64');
    expect(fs.existsSync(out)).toBe(false);
    const ok = await attnc(['compile', file, '--out', out, '--param', 'w=128']);
    expect(ok.stderr).toBe('');
    expect(fs.readdirSync(out).sort()).toEqual(['a.ts', 'a.wgsl', 'b.ts', 'b.wgsl']);
  });

  it('compile writes nothing when one of its files cannot be written', async () => {
    const { file } = source(twoPatterns, 'two.attn');
    const out = tmpDir();
    fs.mkdirSync(path.join(out, 'b.ts'));
    const r = await attnc(['compile', file, '--out', out, '--param', 'w=128', '--target', 'wgsl,ts']);
    expectCoded(r, 'cannot_write', `cannot write \`${path.join(out, 'b.ts')}\`: it is a folder`);
    expect(fs.readdirSync(out)).toEqual(['b.ts']);
  });

  it('compile refuses two outputs with one name (patterns x and x_flex) and writes nothing', async () => {
    const { file } = source('pattern x() {\n  causal\n}\npattern x_flex() {\n  allow q - k < 4\n}\n', 'clash.attn');
    const out = tmpDir();
    const r = await attnc(['compile', file, '--out', out, '--target', 'cuda,flex']);
    expectCoded(r, 'output_conflict', '`x_flex.py` would be both the flex output of pattern `x` and the cuda output of pattern `x_flex`');
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('-o a folder and --out a file are coded user errors naming the path', async () => {
    const dir = tmpDir();
    const sched = await attnc(['schedule', 'patterns/causal.attn', '--q-len', '256', '-o', dir]);
    expectCoded(sched, 'cannot_write', `cannot write \`${dir}\`: it is a folder`);
    expectCoded(await attnc(['viz', 'patterns/causal.attn', '--q-len', '256', '--format', 'svg', '-o', dir]), 'cannot_write');
    expectCoded(await attnc(['simulate', 'patterns/causal.attn', '--q-len', '4k', '-o', dir]), 'cannot_write');
    const file = path.join(dir, 'file.txt');
    fs.writeFileSync(file, 'keep\n');
    const comp = await attnc(['compile', 'patterns/causal.attn', '--out', file]);
    expectCoded(comp, 'cannot_write', 'a folder on its path is a file');
    expect(comp.stderr).toContain(file);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep\n');
    expectCoded(await attnc(['schedule', 'patterns/causal.attn', '--q-len', '256', '-o', path.join(file, 'x.txt')]), 'cannot_write');
    expectCoded(await attnc(['schedule', 'patterns/causal.attn', '--q-len', '256', '-o', path.join(dir, `${'n'.repeat(300)}.txt`)]), 'cannot_write', 'the name is too long');
  });
});
