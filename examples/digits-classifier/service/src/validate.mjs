// Request validation with errors a client can act on: which field, what was expected.

export const FEATURES = 64;
export const PIXEL_MAX = 16;

export class RequestError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Accepts {"inputs": [[64 pixels], ...]} (a batch) or {"input": [64 pixels]} (one image);
 * pixels are numbers from 0 to 16, as in the scikit-learn digits. Returns the rows and
 * whether the caller sent a single image.
 */
export function parsePredictRequest(body, maxBatch) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new RequestError(422, 'invalid_body', 'the body must be a JSON object: {"inputs": [[64 numbers], ...]} or {"input": [64 numbers]}');
  }
  const single = body.input !== undefined;
  if (single && body.inputs !== undefined) throw new RequestError(422, 'ambiguous_body', 'send either "input" or "inputs", not both');
  const rows = single ? [body.input] : body.inputs;
  const field = single ? 'input' : 'inputs';
  if (rows === undefined) throw new RequestError(422, 'missing_field', 'missing field "inputs" (a list of images, each 64 numbers)');
  if (!Array.isArray(rows)) throw new RequestError(422, 'invalid_type', `"${field}" must be a list`);
  if (rows.length === 0) throw new RequestError(422, 'empty_batch', '"inputs" is empty');
  if (rows.length > maxBatch) throw new RequestError(422, 'batch_too_large', `at most ${maxBatch} images per request (got ${rows.length})`);
  rows.forEach((row, index) => {
    const where = single ? 'input' : `inputs[${index}]`;
    if (!Array.isArray(row)) throw new RequestError(422, 'invalid_type', `${where} must be a list of ${FEATURES} numbers`);
    if (row.length !== FEATURES) throw new RequestError(422, 'invalid_shape', `${where} has ${row.length} values, expected ${FEATURES} (8x8 pixels)`);
    for (let i = 0; i < FEATURES; i++) {
      const value = row[i];
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new RequestError(422, 'invalid_type', `${where}[${i}] must be a number`);
      if (value < 0 || value > PIXEL_MAX) throw new RequestError(422, 'out_of_range', `${where}[${i}] = ${value} is outside 0..${PIXEL_MAX}`);
    }
  });
  return { rows, single };
}
