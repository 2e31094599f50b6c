/**
 * Browser stand-in for `runtime/io/files.ts`: the bounded reader over the embedded package
 * files (`fs.ts`). The playground writes nothing; writers throw.
 */
import { existsSync, readFileSync } from './fs.ts';

const MiB = 1024 * 1024;
export const MAX_SOURCE_BYTES = 16 * MiB;
export const MAX_NPY_BYTES = 2048 * MiB;

/** As in Node: why a file could not be read. */
export class FileReadError extends Error {
  constructor(readonly file: string, readonly code: 'file_not_found' | 'not_a_regular_file' | 'file_too_large', readonly reason: string) {
    super(`${file} ${reason}`);
    this.name = 'FileReadError';
  }
}

export function readTextBounded(file: string, limit = MAX_SOURCE_BYTES): string {
  if (!existsSync(file)) throw new FileReadError(file, 'file_not_found', 'does not exist');
  const text = readFileSync(file);
  if (text.length > limit) throw new FileReadError(file, 'file_too_large', `is larger than ${limit} bytes`);
  return text;
}

function unsupported(): never {
  throw new Error('the playground has no file system');
}
export const readFileBounded = unsupported;
export const readStdinBounded = unsupported;
export const writeFileAtomic = unsupported;
export class FileWriteError extends Error {}
export class OutputBatch {
  add(): void { unsupported(); }
  commit(): void { unsupported(); }
}
