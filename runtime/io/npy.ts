/**
 * NumPy `.npy` files (format version 1.0/2.0/3.0): little-endian numeric arrays, C order.
 * Enough of the format for attention tensors and per-token int arrays.
 */

/** Element types supported. */
export type NpyDtype = 'f2' | 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'b1';

/** A decoded array: shape plus data (float16 stays as raw Uint16 bits). */
export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array;
}

/** Why a file is not a readable .npy. */
export class NpyError extends Error {}

const CTORS = {
  f2: Uint16Array, f4: Float32Array, f8: Float64Array, i1: Int8Array, i2: Int16Array, i4: Int32Array,
  i8: BigInt64Array, u1: Uint8Array, u2: Uint16Array, u4: Uint32Array, b1: Uint8Array,
} as const;

/** Parses a .npy file. */
export function readNpy(bytes: Uint8Array): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((m, i) => bytes[i] !== m)) throw new NpyError('not a .npy file (bad magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(hstart, hstart + hlen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new NpyError('malformed .npy header');
  if (fortran === 'True') throw new NpyError('Fortran-order arrays are not supported; save with np.ascontiguousarray');
  const m = /^([<>|=])([fiub])(\d)$/.exec(descr);
  if (!m) throw new NpyError(`unsupported dtype ${descr}`);
  if (m[1] === '>') throw new NpyError('big-endian arrays are not supported');
  const dtype = `${m[2]}${m[3]}` as NpyDtype;
  if (!(dtype in CTORS)) throw new NpyError(`unsupported dtype ${descr}`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const Ctor = CTORS[dtype];
  const start = hstart + hlen;
  const nbytes = count * Ctor.BYTES_PER_ELEMENT;
  if (bytes.length - start < nbytes) throw new NpyError(`file is truncated: expected ${nbytes} data bytes`);
  const copy = bytes.slice(start, start + nbytes);
  return { dtype, shape, data: new Ctor(copy.buffer, 0, count) as NpyArray['data'] };
}

/** Encodes an array as .npy (version 1.0). */
export function writeNpy(arr: NpyArray): Uint8Array {
  const descr = arr.dtype === 'b1' ? '|b1' : arr.dtype.endsWith('1') ? `|${arr.dtype}` : `<${arr.dtype}`;
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + arr.data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength), 10 + header.length);
  return out;
}

/** Converts any integer-typed array to plain numbers (for per-token inputs). */
export function toIntArray(arr: NpyArray): Int32Array {
  if (arr.dtype.startsWith('f')) throw new NpyError(`expected an integer array, got dtype ${arr.dtype}`);
  const out = new Int32Array(arr.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Number(arr.data[i]);
    if (!(v >= -(2 ** 31) && v <= 2 ** 31 - 1)) throw new NpyError(`value ${v} at ${i} does not fit in 32 bits`);
    out[i] = v;
  }
  return out;
}
