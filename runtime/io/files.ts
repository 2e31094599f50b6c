/**
 * Reading input files with a bound, and writing output files atomically.
 *
 * Reading: every file attnc reads (sources, imports, .npy arrays, JSON) goes through
 * `readFileBounded`. It opens the file once, asks the open descriptor what it is, refuses
 * anything but a regular file (folders, devices such as /dev/zero, fifos, sockets) and any
 * file over a limit, and reads from that same descriptor, so the file checked is the file
 * read. Files under /proc and /sys are regular files that report size 0 but have content:
 * a file that has more bytes than its size said is refused too.
 *
 * Writing: `OutputBatch` stages each file in a fresh temporary folder (mkdtemp: an
 * unpredictable name, created by us, mode 0700) next to its target, creating the file there
 * exclusively (so nothing planted can be followed), and renames every staged file into place
 * only when all of them have been written: a command that fails leaves no new file behind.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const MiB = 2 ** 20;
/** Largest .attn source or import, and largest JSON file (profiles, --results): 16 MiB. */
export const MAX_SOURCE_BYTES = 16 * MiB;
/** Largest .npy file (q, k, v tensors and input arrays): 2 GiB. */
export const MAX_NPY_BYTES = 2048 * MiB;

/** Why a file could not be read. `code` names the diagnostic the CLI reports. */
export class FileReadError extends Error {
  constructor(
    readonly file: string,
    readonly code: 'file_not_found' | 'not_a_regular_file' | 'file_too_large',
    /** The reason, without the file name: "is a folder", "does not exist", ... */
    readonly reason: string,
  ) {
    super(`${file} ${reason}`);
    this.name = 'FileReadError';
  }
}

const ERRNO_REASON: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'does not exist (a folder on its path is a file)',
  EACCES: 'cannot be read (permission denied)',
  EPERM: 'cannot be read (operation not permitted)',
  ELOOP: 'cannot be read (too many symbolic links)',
  ENAMETOOLONG: 'cannot be read (the name is too long)',
  EISDIR: 'is a folder, not a file',
};

/** Words for a size limit: "16 MiB". */
function describeBytes(n: number): string {
  return n >= 1024 * MiB && n % (1024 * MiB) === 0 ? `${n / (1024 * MiB)} GiB` : n >= MiB ? `${+(n / MiB).toFixed(1)} MiB` : `${n} bytes`;
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a fifo (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Waits `ms` milliseconds without spinning (for a pipe that has no data yet). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** `fs.readSync`, waiting while a non-blocking pipe (standard input) has no data yet. */
function readSome(fd: number, buf: Buffer, at: number, length: number): number {
  for (;;) {
    try {
      return fs.readSync(fd, buf, at, length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      pause(5);
    }
  }
}

/** Reads from `fd` until end of file or `limit + 1` bytes. */
function readAtMost(fd: number, limit: number, sizeHint: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let buf = Buffer.allocUnsafe(Math.min(Math.max(sizeHint + 1, 64 * 1024), limit + 1));
  let at = 0;
  for (;;) {
    if (at === buf.length) {
      chunks.push(buf);
      buf = Buffer.allocUnsafe(Math.min(Math.max(buf.length, 64 * 1024), limit + 1 - total));
      at = 0;
      if (buf.length === 0) break;
    }
    const n = readSome(fd, buf, at, Math.min(buf.length - at, 2 ** 30));
    if (n === 0) break;
    at += n;
    total += n;
    if (total > limit) break;
  }
  chunks.push(buf.subarray(0, at));
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}

/** A read failure as a `FileReadError` (one already is stays as it is). */
function readError(file: string, e: unknown): FileReadError {
  if (e instanceof FileReadError) return e;
  const errno = (e as NodeJS.ErrnoException).code ?? '';
  return new FileReadError(file, errno === 'EISDIR' ? 'not_a_regular_file' : 'file_not_found', ERRNO_REASON[errno] ?? `cannot be read (${errno || 'error'})`);
}

/**
 * Reads a regular file of at most `limit` bytes. Throws `FileReadError` (never another
 * error) for a missing or unreadable file, a file that is not regular, or one too large.
 */
export function readFileBounded(file: string, limit: number): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a fifo does not wait for a writer (it is refused below).
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | (fs.constants.O_NOCTTY ?? 0));
  } catch (e) {
    throw readError(file, e);
  }
  try {
    let st: fs.Stats;
    let data: Buffer;
    try {
      st = fs.fstatSync(fd);
      if (!st.isFile()) throw new FileReadError(file, 'not_a_regular_file', `is ${kindOf(st)}, not a regular file`);
      if (st.size > limit) throw new FileReadError(file, 'file_too_large', `is ${describeBytes(st.size)}; the limit is ${describeBytes(limit)}`);
      data = readAtMost(fd, limit, st.size);
    } catch (e) {
      throw readError(file, e);
    }
    if (data.length > limit) throw new FileReadError(file, 'file_too_large', `is larger than the limit of ${describeBytes(limit)}`);
    // /proc and /sys files say size 0 and have content; a file being written grows.
    if (data.length > st.size) throw new FileReadError(file, 'not_a_regular_file', `has more bytes than its size (${st.size}) says: a /proc or /sys file, or a file being written, is not read`);
    return data;
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a UTF-8 text file of at most `limit` bytes (default: `MAX_SOURCE_BYTES`); see `readFileBounded`. */
export function readTextBounded(file: string, limit = MAX_SOURCE_BYTES): string {
  return readFileBounded(file, limit).toString('utf8');
}

/** Reads standard input (a pipe, terminal or file) up to `limit` bytes; throws `FileReadError`. */
export function readStdinBounded(limit = MAX_SOURCE_BYTES): string {
  let data: Buffer;
  try {
    data = readAtMost(0, limit, 0);
  } catch (e) {
    throw new FileReadError('standard input', 'file_not_found', `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (data.length > limit) throw new FileReadError('standard input', 'file_too_large', `is larger than the limit of ${describeBytes(limit)}`);
  return data.toString('utf8');
}

/** Why an output file could not be written: the path and the system's error code. */
export class FileWriteError extends Error {
  constructor(readonly file: string, readonly errno: string, readonly reason: string) {
    super(`cannot write ${file}: ${reason}`);
    this.name = 'FileWriteError';
  }
}

const WRITE_REASON: Readonly<Record<string, string>> = {
  EISDIR: 'it is a folder',
  ENOTDIR: 'a folder on its path is a file',
  EEXIST: 'a folder on its path is a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  ENOENT: 'a folder on its path does not exist',
};

function writeError(file: string, e: unknown): FileWriteError {
  if (e instanceof FileWriteError) return e;
  const errno = (e as NodeJS.ErrnoException)?.code ?? 'error';
  return new FileWriteError(file, errno, WRITE_REASON[errno] ?? `${errno}`);
}

interface Staged {
  /** The name as given, for messages. */
  readonly name: string;
  readonly target: string;
  readonly tmpDir: string;
  readonly tmpFile: string;
}

/**
 * Output files written all or none: `add` stages each file, `commit` moves them all into
 * place, `abort` (or a failed `add`/`commit`) removes everything staged and every folder the
 * batch created. Errors are `FileWriteError`s naming the path.
 */
export class OutputBatch {
  private readonly staged: Staged[] = [];
  /** Folders created for this batch (deepest last), removed again on abort if still empty. */
  private readonly createdDirs: string[] = [];
  private done = false;

  /** Stages `data` for `file`. Throws `FileWriteError` (after aborting the batch) on failure. */
  add(file: string, data: string | Uint8Array): void {
    if (this.done) throw new Error('OutputBatch: add after commit or abort');
    try {
      this.stage(file, data);
    } catch (e) {
      this.abort();
      throw writeError(file, e);
    }
  }

  private stage(file: string, data: string | Uint8Array): void {
    const target = path.resolve(file);
    const dir = path.dirname(target);
    if (path.basename(file) === '' || file.endsWith(path.sep) || file.endsWith('/')) throw Object.assign(new Error('a folder'), { code: 'EISDIR' });
    this.makeDir(dir);
    // A folder (or a link to one) cannot be replaced by a file.
    const existing = fs.statSync(target, { throwIfNoEntry: false });
    if (existing?.isDirectory()) throw Object.assign(new Error('a folder'), { code: 'EISDIR' });
    const tmpDir = fs.mkdtempSync(path.join(dir, '.attnc-'));
    const tmpFile = path.join(tmpDir, 'out');
    this.staged.push({ name: file, target, tmpDir, tmpFile });
    // 'wx': O_CREAT | O_EXCL, which never follows a link at that name.
    fs.writeFileSync(tmpFile, data, { flag: 'wx' });
  }

  private makeDir(dir: string): void {
    const parents: string[] = [];
    for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) {
      parents.unshift(d);
      if (path.dirname(d) === d) break;
    }
    const first = fs.mkdirSync(dir, { recursive: true });
    if (first !== undefined) this.createdDirs.push(...parents.filter((d) => d.length >= first.length));
    else if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  }

  /**
   * Moves every staged file into place. Throws `FileWriteError` if a move fails; the moves
   * before it stay done (a rename within one folder fails only for reasons `add` has already
   * checked, such as a folder at the target, unless the folder changes meanwhile).
   */
  commit(): void {
    if (this.done) throw new Error('OutputBatch: commit after commit or abort');
    let i = 0;
    try {
      for (; i < this.staged.length; i++) fs.renameSync(this.staged[i].tmpFile, this.staged[i].target);
    } catch (e) {
      const failed = this.staged[i].name;
      this.abort();
      throw writeError(failed, e);
    }
    this.done = true;
    for (const s of this.staged) fs.rmSync(s.tmpDir, { recursive: true, force: true });
  }

  /** Removes everything staged, and the folders the batch created. */
  abort(): void {
    this.done = true;
    for (const s of this.staged) fs.rmSync(s.tmpDir, { recursive: true, force: true });
    for (const d of [...this.createdDirs].reverse()) {
      try { fs.rmdirSync(d); } catch { /* not empty: something else is in it now */ }
    }
  }
}

/** Writes `data` to `file` atomically (see `OutputBatch`). Throws `FileWriteError`. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const batch = new OutputBatch();
  batch.add(file, data);
  batch.commit();
}
