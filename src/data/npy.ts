/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0): little- and big-endian float32/64,
 * int8-64, uint8-64 and bool, C order. Read in row chunks, converted to float64.
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class NpyError extends Error {}

export interface NpyInfo {
  path: string;
  version: string;
  descr: string;
  shape: number[];
  /** Rows: shape[0] (1 for a 0-d array). */
  rows: number;
  /** Values per row: the product of the other dimensions. */
  rowSize: number;
  itemSize: number;
  dataOffset: number;
  kind: 'f' | 'i' | 'u' | 'b';
  littleEndian: boolean;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function openNpy(path: string, shown = path): NpyInfo {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 12));
    readSync(fd, head, 0, head.length, 0);
    if (head.length < 10 || MAGIC.some((byte, i) => head[i] !== byte)) {
      throw new NpyError(`${shown} is not a NumPy .npy file (no \\x93NUMPY magic)`);
    }
    const major = head[6]!;
    const minor = head[7]!;
    if (major < 1 || major > 3)
      throw new NpyError(`${shown}: .npy format version ${major}.${minor} is not supported (1.0 to 3.0 are)`);
    const headerLength = major === 1 ? head.readUInt16LE(8) : head.readUInt32LE(8);
    const headerStart = major === 1 ? 10 : 12;
    if (headerStart + headerLength > size) throw new NpyError(`${shown} is truncated inside its header`);
    const headerBytes = Buffer.alloc(headerLength);
    readSync(fd, headerBytes, 0, headerLength, headerStart);
    const header = headerBytes.toString(major === 3 ? 'utf8' : 'latin1');
    const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
    if (descr === undefined) {
      throw new NpyError(`${shown}: structured or object arrays are not supported (header ${header.trim()})`);
    }
    const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
    const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
    if (fortran === undefined || shapeText === undefined)
      throw new NpyError(`${shown}: cannot read the header ${header.trim()}`);
    const shape = shapeText
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map(Number);
    if (shape.some((n) => !Number.isInteger(n) || n < 0))
      throw new NpyError(`${shown}: bad shape (${shapeText})`);
    if (fortran === 'True' && shape.filter((n) => n > 1).length > 1) {
      throw new NpyError(`${shown} is in Fortran order; save it with np.save(path, np.ascontiguousarray(a))`);
    }
    const match =
      /^([<>|=])([fiub])(\d+)$/.exec(descr) ??
      (descr === '?' || descr === '|b1' ? ['', '|', 'b', '1'] : null);
    if (!match)
      throw new NpyError(
        `${shown}: dtype "${descr}" is not supported (float32/64, int8-64, uint8-64, bool are)`,
      );
    const kind = match[2] as NpyInfo['kind'];
    const itemSize = Number(match[3]);
    const supported = kind === 'f' ? [4, 8] : kind === 'b' ? [1] : [1, 2, 4, 8];
    if (!supported.includes(itemSize)) throw new NpyError(`${shown}: dtype "${descr}" is not supported`);
    const rows = shape.length === 0 ? 1 : shape[0]!;
    const rowSize = shape.slice(1).reduce((a, b) => a * b, 1);
    const dataOffset = headerStart + headerLength;
    const expected = rows * rowSize * itemSize;
    if (size - dataOffset < expected) {
      throw new NpyError(
        `${shown} is truncated: its header promises ${expected} bytes of data (shape ${JSON.stringify(shape)}, ${descr}), the file has ${size - dataOffset}`,
      );
    }
    return {
      path,
      version: `${major}.${minor}`,
      descr,
      shape,
      rows,
      rowSize,
      itemSize,
      dataOffset,
      kind,
      littleEndian: match[1] !== '>',
    };
  } finally {
    closeSync(fd);
  }
}

/** Rows [start, start + count) as float64, row-major. */
export function readNpyRows(info: NpyInfo, start: number, count: number, fd?: number): Float64Array {
  const values = count * info.rowSize;
  const bytes = Buffer.alloc(values * info.itemSize);
  const own = fd === undefined;
  const handle = fd ?? openSync(info.path, 'r');
  try {
    readSync(handle, bytes, 0, bytes.length, info.dataOffset + start * info.rowSize * info.itemSize);
  } finally {
    if (own) closeSync(handle);
  }
  return convert(info, bytes, values);
}

function convert(info: NpyInfo, bytes: Buffer, values: number): Float64Array {
  const out = new Float64Array(values);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = info.littleEndian;
  const size = info.itemSize;
  switch (`${info.kind}${size}`) {
    case 'f4':
      if (le && bytes.byteOffset % 4 === 0) out.set(new Float32Array(bytes.buffer, bytes.byteOffset, values));
      else for (let i = 0; i < values; i++) out[i] = view.getFloat32(i * 4, le);
      break;
    case 'f8':
      if (le && bytes.byteOffset % 8 === 0) out.set(new Float64Array(bytes.buffer, bytes.byteOffset, values));
      else for (let i = 0; i < values; i++) out[i] = view.getFloat64(i * 8, le);
      break;
    case 'i1':
      for (let i = 0; i < values; i++) out[i] = view.getInt8(i);
      break;
    case 'u1':
    case 'b1':
      for (let i = 0; i < values; i++) out[i] = view.getUint8(i);
      break;
    case 'i2':
      for (let i = 0; i < values; i++) out[i] = view.getInt16(i * 2, le);
      break;
    case 'u2':
      for (let i = 0; i < values; i++) out[i] = view.getUint16(i * 2, le);
      break;
    case 'i4':
      for (let i = 0; i < values; i++) out[i] = view.getInt32(i * 4, le);
      break;
    case 'u4':
      for (let i = 0; i < values; i++) out[i] = view.getUint32(i * 4, le);
      break;
    case 'i8':
      for (let i = 0; i < values; i++) out[i] = Number(view.getBigInt64(i * 8, le));
      break;
    case 'u8':
      for (let i = 0; i < values; i++) out[i] = Number(view.getBigUint64(i * 8, le));
      break;
    default:
      throw new NpyError(`dtype ${info.descr} is not supported`);
  }
  return out;
}

/** Iterates the array in chunks of whole rows. */
export async function* iterateNpy(
  info: NpyInfo,
  rowsPerChunk = 65_536,
): AsyncGenerator<{ start: number; values: Float64Array; rows: number }> {
  const fd = openSync(info.path, 'r');
  try {
    for (let start = 0; start < info.rows; start += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, info.rows - start);
      yield { start, rows, values: readNpyRows(info, start, rows, fd) };
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes a .npy (v1.0, little-endian). For tests and benchmarks. */
export function encodeNpy(
  values: ArrayLike<number>,
  shape: number[],
  descr: '<f4' | '<f8' | '<i8' | '<i4' = '<f8',
): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const size = Number(descr.slice(2));
  const data = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (descr === '<f4') data.writeFloatLE(v, i * 4);
    else if (descr === '<f8') data.writeDoubleLE(v, i * 8);
    else if (descr === '<i4') data.writeInt32LE(v, i * 4);
    else data.writeBigInt64LE(BigInt(v), i * 8);
  }
  const prefix = Buffer.alloc(10);
  Buffer.from(MAGIC).copy(prefix);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), data]);
}

/**
 * Iterates in row chunks keeping float32 data as float32 (no copy through float64): model
 * inputs are float32, and converting twice would cost more than the inference of small
 * models. Two buffers alternate, so a chunk stays valid while the next is read and no
 * garbage is made per chunk. Reads are synchronous on purpose: onnxruntime-node runs the
 * model on this thread with its own threads on every core, and a read running beside it
 * (in libuv's pool) slows inference by more than it saves.
 */
export async function* iterateNpyNative(
  info: NpyInfo,
  rowsPerChunk: number,
): AsyncGenerator<{ start: number; values: Float32Array | Float64Array; rows: number }> {
  if (!(info.kind === 'f' && info.itemSize === 4 && info.littleEndian)) {
    yield* iterateNpy(info, rowsPerChunk);
    return;
  }
  const fd = openSync(info.path, 'r');
  const buffers = [
    new Float32Array(rowsPerChunk * info.rowSize),
    new Float32Array(rowsPerChunk * info.rowSize),
  ];
  try {
    for (let start = 0, turn = 0; start < info.rows; start += rowsPerChunk, turn ^= 1) {
      const rows = Math.min(rowsPerChunk, info.rows - start);
      const values = rows === rowsPerChunk ? buffers[turn]! : buffers[turn]!.subarray(0, rows * info.rowSize);
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      let done = 0;
      while (done < bytes.length) {
        const read = readSync(
          fd,
          bytes,
          done,
          bytes.length - done,
          info.dataOffset + start * info.rowSize * 4 + done,
        );
        if (read === 0) throw new NpyError(`${info.path}: unexpected end of data`);
        done += read;
      }
      yield { start, rows, values };
    }
  } finally {
    closeSync(fd);
  }
}
