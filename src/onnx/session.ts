/**
 * onnxruntime-node, loaded on first use (it costs start-up time every mlgate run would
 * otherwise pay), and the small pieces around it: I/O specs, tensors of the right type.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-node';

type Ort = typeof import('onnxruntime-node');
let ort: Promise<Ort> | undefined;
export function loadOrt(): Promise<Ort> {
  ort ??= import('onnxruntime-node');
  return ort;
}

export interface IoSpec {
  name: string;
  /** ONNX element type as onnxruntime names it: float32, float64, int64, ... */
  dtype: string;
  /** Numbers for fixed dimensions, names (or -1) for dynamic ones. */
  shape: Array<number | string>;
}

export interface OpenSession {
  session: InferenceSession;
  inputs: IoSpec[];
  outputs: IoSpec[];
}

export class ModelLoadError extends Error {}

export async function openSession(path: string, threads?: number): Promise<OpenSession> {
  const { InferenceSession } = await loadOrt();
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(path, {
      ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    const message = (error as Error).message.replace(/^.*?\] /, '');
    throw new ModelLoadError(`onnxruntime cannot load the model: ${message}`);
  }
  const describe = (metadata: readonly InferenceSession.ValueMetadata[]): IoSpec[] =>
    metadata.map((entry) =>
      entry.isTensor
        ? {
            name: entry.name,
            dtype: String(entry.type),
            shape: [...entry.shape].map((d) => (typeof d === 'number' ? d : String(d))),
          }
        : { name: entry.name, dtype: 'non-tensor', shape: [] },
    );
  return { session, inputs: describe(session.inputMetadata), outputs: describe(session.outputMetadata) };
}

export function isDynamic(dimension: number | string): boolean {
  return typeof dimension === 'string' || dimension < 0;
}

/** A tensor of the input's type (float32 values are used as they are, without a copy). */
export async function makeTensor(
  dtype: string,
  values: Float64Array | Float32Array,
  dims: number[],
): Promise<Tensor> {
  const { Tensor } = await loadOrt();
  switch (dtype) {
    case 'float32':
      return new Tensor('float32', values instanceof Float32Array ? values : Float32Array.from(values), dims);
    case 'float64':
      return new Tensor('float64', values instanceof Float64Array ? values : Float64Array.from(values), dims);
    case 'int64':
      return new Tensor(
        'int64',
        BigInt64Array.from(values, (v) => BigInt(Math.round(v))),
        dims,
      );
    case 'int32':
      return new Tensor('int32', Int32Array.from(values), dims);
    case 'uint8':
      return new Tensor('uint8', Uint8Array.from(values), dims);
    default:
      throw new ModelLoadError(
        `input type ${dtype} is not supported (float32, float64, int64, int32, uint8 are)`,
      );
  }
}

/** Output values as float64 (bigints converted). */
export function tensorValues(tensor: Tensor): Float64Array {
  const data = tensor.data as ArrayLike<number | bigint>;
  if (data instanceof Float64Array) return data;
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}
