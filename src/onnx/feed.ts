/**
 * Model inputs from a .npy, batch by batch. float32 data stays float32 (model inputs are
 * float32; converting twice would cost more than the inference of a small model), and two
 * buffers alternate, so the batch the model runs on stays valid while the next one is read and
 * no garbage is made per batch.
 *
 * onnxruntime-node runs a session on the main thread (its run() is synchronous inside a
 * setImmediate), so the only way to read while the model runs is in libuv's thread pool. With
 * `readAhead`, the next batch's read is started before the current batch is handed out and runs
 * beside the inference: reading is then free. That only pays when a core is left over for it —
 * a read beside inference on a machine whose cores all run the model slows the model by more
 * than it saves — so the caller decides (see `spareCoreForReading`).
 */
import { close, open, read, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { iterateNpy, NpyError, type NpyInfo } from '../data/npy.js';

const openFile = promisify(open);
const closeFile = promisify(close);
const readFile = promisify(read);

export interface FeedBatch {
  /** Row index of the batch's first row. */
  start: number;
  rows: number;
  /** rows × info.rowSize values; valid until the batch after next is asked for. */
  values: Float32Array | Float64Array;
}

/** True when the machine has a core beyond the model's intra-op threads (unset: all cores). */
export function spareCoreForReading(intraOpThreads: number | undefined): boolean {
  return intraOpThreads !== undefined && availableParallelism() > intraOpThreads;
}

export async function* npyBatches(
  info: NpyInfo,
  rowsPerBatch: number,
  options: { readAhead: boolean },
): AsyncGenerator<FeedBatch> {
  if (!(info.kind === 'f' && info.itemSize === 4 && info.littleEndian)) {
    // Other dtypes become float64 (and then the input's type): rare, and small models.
    yield* iterateNpy(info, rowsPerBatch);
    return;
  }
  const fd = await openFile(info.path, 'r');
  const buffers = [
    new Float32Array(rowsPerBatch * info.rowSize),
    new Float32Array(rowsPerBatch * info.rowSize),
  ];
  const batchAt = (start: number, turn: number): FeedBatch => {
    const rows = Math.min(rowsPerBatch, info.rows - start);
    const full = buffers[turn]!;
    return { start, rows, values: rows === rowsPerBatch ? full : full.subarray(0, rows * info.rowSize) };
  };
  const bytesOf = (batch: FeedBatch) =>
    new Uint8Array(batch.values.buffer, batch.values.byteOffset, batch.values.byteLength);
  const positionOf = (batch: FeedBatch) => info.dataOffset + batch.start * info.rowSize * 4;
  const ended = () => new NpyError(`${info.path}: unexpected end of data`);
  /** In libuv's pool, beside the model. */
  const fillAhead = async (batch: FeedBatch): Promise<FeedBatch> => {
    const bytes = bytesOf(batch);
    for (let done = 0; done < bytes.length;) {
      const { bytesRead } = await readFile(fd, bytes, done, bytes.length - done, positionOf(batch) + done);
      if (bytesRead === 0) throw ended();
      done += bytesRead;
    }
    return batch;
  };
  /** On this thread, between runs (no thread hop). */
  const fillNow = (batch: FeedBatch): FeedBatch => {
    const bytes = bytesOf(batch);
    for (let done = 0; done < bytes.length;) {
      const bytesRead = readSync(fd, bytes, done, bytes.length - done, positionOf(batch) + done);
      if (bytesRead === 0) throw ended();
      done += bytesRead;
    }
    return batch;
  };
  let pending: Promise<FeedBatch> | undefined;
  try {
    for (let start = 0, turn = 0; start < info.rows; start += rowsPerBatch, turn ^= 1) {
      const batch = pending ? await pending : fillNow(batchAt(start, turn));
      pending = undefined;
      const next = start + rowsPerBatch;
      if (options.readAhead && next < info.rows) {
        // Into the other buffer: the batch before this one is done with.
        pending = fillAhead(batchAt(next, turn ^ 1));
        // Handled here so a failed read is not "unhandled" while the model runs; it is thrown
        // where the batch is awaited.
        pending.catch(() => undefined);
      }
      yield batch;
    }
  } finally {
    // Never close the file under a read still in flight (its fd number could be reused).
    await pending?.catch(() => undefined);
    await closeFile(fd);
  }
}
