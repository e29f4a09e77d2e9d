/**
 * What onnxruntime does not report about a model: its IR version, producer and operator-set
 * imports. Read from the top level of the ModelProto (protobuf) without loading the graph:
 * the graph field is skipped by its length, so a 500 MB model costs a few small reads.
 * https://github.com/onnx/onnx/blob/main/onnx/onnx.proto
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface OnnxModelInfo {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  /** Operator sets, e.g. [{domain: '', version: 17}] ('' is the default ai.onnx domain). */
  opsets: Array<{ domain: string; version: number }>;
  size: number;
}

export class OnnxFormatError extends Error {}

class FileReader {
  position = 0;
  private buffer = Buffer.alloc(64 * 1024);
  private bufferStart = 0;
  private bufferLength = 0;
  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  private byteAt(position: number): number {
    if (position < this.bufferStart || position >= this.bufferStart + this.bufferLength) {
      this.bufferStart = position;
      this.bufferLength = readSync(this.fd, this.buffer, 0, this.buffer.length, position);
      if (this.bufferLength === 0) throw new OnnxFormatError('unexpected end of file (truncated?)');
    }
    return this.buffer[position - this.bufferStart]!;
  }

  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.byteAt(this.position++);
      result += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return result;
      multiplier *= 128;
    }
    throw new OnnxFormatError('malformed varint');
  }

  bytes(length: number): Buffer {
    if (this.position + length > this.size)
      throw new OnnxFormatError('a field runs past the end of the file (truncated?)');
    const out = Buffer.alloc(length);
    readSync(this.fd, out, 0, length, this.position);
    this.position += length;
    return out;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.position += 8;
        return;
      case 2: {
        // Read the length first: `position += varint()` would add to the old position.
        const length = this.varint();
        this.position += length;
        return;
      }
      case 5:
        this.position += 4;
        return;
      default:
        throw new OnnxFormatError(`unknown protobuf wire type ${wireType}: not an ONNX model`);
    }
  }
}

function parseOpset(bytes: Buffer): { domain: string; version: number } {
  let domain = '';
  let version = 0;
  let i = 0;
  const varint = () => {
    let result = 0;
    let multiplier = 1;
    for (;;) {
      const byte = bytes[i++]!;
      result += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) return result;
      multiplier *= 128;
    }
  };
  while (i < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === 2) {
      const length = varint();
      domain = bytes.subarray(i, i + length).toString('utf8');
      i += length;
    } else if (field === 2 && wire === 0) version = varint();
    else if (wire === 0) varint();
    else if (wire === 2) i += varint();
    else break;
  }
  return { domain, version };
}

export function readModelInfo(path: string): OnnxModelInfo {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) throw new OnnxFormatError('the file is empty');
    const reader = new FileReader(fd, size);
    const info: OnnxModelInfo = { opsets: [], size };
    let sawGraph = false;
    while (reader.position < size) {
      const tag = reader.varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (field === 0) throw new OnnxFormatError('field number 0: not an ONNX model');
      if (field === 1 && wire === 0) info.irVersion = reader.varint();
      else if (field === 2 && wire === 2) info.producerName = reader.bytes(reader.varint()).toString('utf8');
      else if (field === 3 && wire === 2)
        info.producerVersion = reader.bytes(reader.varint()).toString('utf8');
      else if (field === 8 && wire === 2) info.opsets.push(parseOpset(reader.bytes(reader.varint())));
      else {
        if (field === 7) sawGraph = true;
        reader.skip(wire);
      }
      if (reader.position > size)
        throw new OnnxFormatError('a field runs past the end of the file (truncated?)');
    }
    if (!sawGraph || info.irVersion === undefined)
      throw new OnnxFormatError('no graph or IR version: not an ONNX model');
    return info;
  } finally {
    closeSync(fd);
  }
}

/** The default-domain (ai.onnx) opset version. */
export function defaultOpset(info: OnnxModelInfo): number | undefined {
  return info.opsets.find((opset) => opset.domain === '' || opset.domain === 'ai.onnx')?.version;
}
