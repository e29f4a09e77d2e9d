/**
 * What the onnx-model check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { NpyError, type NpyInfo, openNpy, readNpyRows } from '../../data/npy.js';
import { matchColumns, scanTable, TableError, tableFormatOf } from '../../data/table.js';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import { wantRankMetrics } from '../../metrics/catalog.js';
import { ClassIndex } from '../../metrics/classes.js';
import { ClassificationAccumulator } from '../../metrics/classification.js';
import { formatPercent, judge, outcomeOf } from '../../metrics/judge.js';
import { RegressionAccumulator } from '../../metrics/regression.js';
import { defaultOpset, OnnxFormatError, readModelInfo } from '../../onnx/model-info.js';
import { type LatencyResult, profileLatency } from '../../onnx/latency.js';
import { npyBatches, spareCoreForReading } from '../../onnx/feed.js';
import { ParityAccumulator } from '../../onnx/parity.js';
import {
  type IoSpec,
  isDynamic,
  makeTensor,
  ModelLoadError,
  openSession,
  tensorValues,
} from '../../onnx/session.js';
import type { Evidence } from '../../domain/run-report.js';
import { formatNumber, meets, parseThreshold } from '../../util/threshold.js';
import { formatSize, parseSize } from '../../util/units.js';
import { readReported } from '../_shared/reported.js';
import { IoParam, type OnnxParams, SIZE_UNITS, TIME_UNITS } from './check.js';

export async function run(ctx: CheckContext, params: OnnxParams): Promise<CheckOutcome> {
  const modelPath = ctx.resolve(params.model);
  const shown = ctx.display(modelPath);
  let size: number;
  try {
    size = (await stat(modelPath)).size;
  } catch {
    return { status: 'error', summary: `${shown} not found` };
  }
  let info: ReturnType<typeof readModelInfo>;
  try {
    info = readModelInfo(modelPath);
  } catch (error) {
    if (error instanceof OnnxFormatError)
      return { status: 'error', summary: `${shown} is not a readable ONNX model: ${error.message}` };
    throw error;
  }
  const rssBefore = process.memoryUsage.rss();
  let opened: Awaited<ReturnType<typeof openSession>>;
  try {
    opened = await openSession(modelPath, params.threads);
  } catch (error) {
    if (error instanceof ModelLoadError) return { status: 'error', summary: `${shown}: ${error.message}` };
    throw error;
  }
  let peakRss = process.memoryUsage.rss();
  let lastSample = performance.now();
  // Reading RSS costs a /proc read; a sample every 100 ms finds the peak well enough.
  const sampleRss = (force = false) => {
    const now = performance.now();
    if (!force && now - lastSample < 100) return;
    lastSample = now;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  };
  const rssAfterLoad = peakRss;
  try {
    const failures: string[] = [];
    const errors: string[] = [];
    const passes: string[] = [];
    const measured: Record<string, number | string> = {
      model_bytes: size,
      opset: defaultOpset(info) ?? 'unknown',
    };
    const threshold: Record<string, string> = {};
    const evidence: Evidence[] = [];
    // What the model is comes last: a reviewer reads the differences first.
    const details: Evidence[] = [
      { type: 'file', path: shown, size },
      {
        type: 'table',
        title:
          `signature of ${shown} (IR ${info.irVersion}, opset ${info.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}, from ${info.producerName ?? '?'} ${info.producerVersion ?? ''})`.trim(),
        columns: ['io', 'name', 'type', 'shape'],
        rows: [
          ...opened.inputs.map((io) => ['input', io.name, io.dtype, `[${io.shape.join(', ')}]`]),
          ...opened.outputs.map((io) => ['output', io.name, io.dtype, `[${io.shape.join(', ')}]`]),
        ],
      },
    ];

    if (params.signature) {
      const problems = checkSignature(params.signature, opened.inputs, opened.outputs);
      const opset = defaultOpset(info);
      if (params.signature.opset !== undefined) {
        const wanted =
          typeof params.signature.opset === 'number'
            ? `== ${params.signature.opset}`
            : params.signature.opset;
        threshold.opset = wanted;
        if (opset === undefined || !meets(opset, parseThreshold(wanted)))
          problems.push(`opset ${opset ?? 'unknown'} does not meet ${wanted}`);
      }
      if (params.signature.max_size !== undefined) {
        const max = parseSize(params.signature.max_size)!;
        threshold.model_bytes = `<= ${formatSize(max)}`;
        if (size > max) problems.push(`the file is ${formatSize(size)}, above ${formatSize(max)}`);
      }
      if (problems.length > 0) failures.push(`signature: ${problems.join('; ')}`);
      else passes.push(`signature as specified (opset ${opset}, ${formatSize(size)})`);
    }

    const input = pickIo(opened.inputs, params.input, 'input');
    const output = pickIo(opened.outputs, params.output, 'output');
    if (typeof input === 'string' || typeof output === 'string') {
      return {
        status: 'error',
        summary: `${shown}: ${typeof input === 'string' ? input : output}`,
        evidence: details,
      };
    }

    let evaluationOutcome: CheckOutcome | undefined;
    if (params.data) {
      try {
        evaluationOutcome = await evaluateDataset(ctx, params, opened, input, output, sampleRss, details);
      } catch (error) {
        if (
          error instanceof DataError ||
          error instanceof NpyError ||
          error instanceof TableError ||
          error instanceof ModelLoadError
        ) {
          errors.push(error.message);
        } else if (
          (error as Error).message?.includes('Got invalid dimensions') ||
          (error as Error).message?.includes('input')
        ) {
          errors.push(`onnxruntime rejected the test set: ${(error as Error).message}`);
        } else throw error;
      }
    }

    if (params.latency && errors.length === 0) {
      const results: LatencyResult[] = [];
      for (const batchSize of params.latency.batch_sizes) {
        const feeds = { [input.name]: await latencyInput(ctx, params, input, batchSize) };
        results.push(
          await profileLatency(opened.session, feeds, batchSize, {
            warmup: params.latency.warmup,
            runs: params.latency.runs,
            maxMs: params.latency.max_seconds * 1000,
            signal: ctx.signal,
          }),
        );
        sampleRss();
      }
      const rows = results.map((r) => [
        r.batchSize,
        r.runs,
        r.p50,
        r.p95,
        r.p99,
        r.max,
        r.mean,
        r.throughput,
      ]);
      evidence.push({
        type: 'table',
        title: `latency on this machine (ms; ${params.threads ? `${params.threads} intra-op threads` : 'default threads'}, ${params.latency.warmup} warm-up runs)`,
        columns: ['batch', 'runs', 'p50', 'p95', 'p99', 'max', 'mean', 'samples/s'],
        rows,
      });
      evidence.push({
        type: 'data',
        title: 'latency samples (ms)',
        name: 'latency',
        data: results.map((r) => ({ batchSize: r.batchSize, samples: r.samples })),
      });
      for (const r of results) {
        measured[`p50@${r.batchSize}`] = r.p50;
        measured[`p95@${r.batchSize}`] = r.p95;
        measured[`p99@${r.batchSize}`] = r.p99;
        measured[`throughput@${r.batchSize}`] = r.throughput;
      }
      for (const [key, text] of Object.entries(params.latency.thresholds)) {
        const [measure, batch] = key.split('@') as [keyof LatencyResult, string | undefined];
        const targets = batch ? results.filter((r) => r.batchSize === Number(batch)) : results;
        const parsed = parseThreshold(text, measure === 'throughput' ? {} : TIME_UNITS);
        threshold[key] = text;
        for (const r of targets) {
          const value = r[measure] as number;
          const label = `${measure}@${r.batchSize} = ${formatNumber(value)}${measure === 'throughput' ? ' samples/s' : ' ms'}`;
          (meets(value, parsed) ? passes : failures).push(
            `${label} ${meets(value, parsed) ? 'meets' : 'fails'} ${text}`,
          );
        }
      }
    }

    sampleRss(true);
    const rssAdded = peakRss - rssBefore;
    measured.rss_added_bytes = rssAdded;
    measured.model_load_rss_bytes = rssAfterLoad - rssBefore;
    if (params.memory) {
      const parsed = parseThreshold(params.memory.rss_added, SIZE_UNITS);
      threshold.rss_added = params.memory.rss_added;
      const ok = meets(rssAdded, parsed);
      (ok ? passes : failures).push(
        `memory added ${formatSize(rssAdded)} ${ok ? 'meets' : 'fails'} ${params.memory.rss_added}`,
      );
      evidence.push({
        type: 'table',
        title: 'process memory (RSS) — measured in the mlgate process while no other item ran',
        columns: ['before load', 'after load', 'peak', 'added'],
        rows: [[formatSize(rssBefore), formatSize(rssAfterLoad), formatSize(peakRss), formatSize(rssAdded)]],
      });
    }

    // Merge: the dataset evaluation has its own pass/fail parts.
    if (evaluationOutcome) {
      Object.assign(measured, evaluationOutcome.measured);
      Object.assign(threshold, evaluationOutcome.threshold);
      evidence.push(...(evaluationOutcome.evidence ?? []));
      const parts = evaluationOutcome.summary.replace(/^[^:]*: /, '');
      if (evaluationOutcome.status === 'error') errors.push(parts);
      else if (evaluationOutcome.status === 'fail') failures.push(parts);
      else passes.push(parts);
    }
    const status = errors.length ? 'error' : failures.length ? 'fail' : 'pass';
    const parts = status === 'error' ? errors : status === 'fail' ? failures : passes;
    return {
      status,
      summary: `${shown}: ${parts.join('; ')}`,
      source: 'measured',
      measured,
      threshold,
      evidence: [...evidence, ...details],
    };
  } finally {
    await opened.session.release();
  }
}

class DataError extends Error {}

function pickIo(list: IoSpec[], wanted: string | undefined, what: string): IoSpec | string {
  if (wanted !== undefined) {
    return (
      list.find((io) => io.name === wanted) ??
      `the model has no ${what} "${wanted}" (${what}s: ${list.map((io) => io.name).join(', ')})`
    );
  }
  if (what === 'input' && list.length > 1) {
    return `the model has ${list.length} inputs (${list.map((io) => io.name).join(', ')}); mlgate feeds one: name it with "input"`;
  }
  return list[0] ?? `the model has no ${what}s`;
}

function checkSignature(
  expected: NonNullable<OnnxParams['signature']>,
  inputs: IoSpec[],
  outputs: IoSpec[],
): string[] {
  const problems: string[] = [];
  const compare = (wanted: z.output<typeof IoParam>[] | undefined, actual: IoSpec[], what: string) => {
    for (const spec of wanted ?? []) {
      const io = actual.find((candidate) => candidate.name === spec.name);
      if (!io) {
        problems.push(`no ${what} "${spec.name}" (${what}s: ${actual.map((a) => a.name).join(', ')})`);
        continue;
      }
      if (spec.dtype && spec.dtype !== io.dtype)
        problems.push(`${what} "${spec.name}" is ${io.dtype}, expected ${spec.dtype}`);
      if (spec.shape) {
        if (spec.shape.length !== io.shape.length) {
          problems.push(
            `${what} "${spec.name}" has shape [${io.shape.join(', ')}], expected rank ${spec.shape.length} [${spec.shape.map((d) => d ?? '?').join(', ')}]`,
          );
        } else {
          spec.shape.forEach((dimension, i) => {
            const actualDimension = io.shape[i]!;
            if (typeof dimension === 'number' && actualDimension !== dimension) {
              problems.push(
                `${what} "${spec.name}" dimension ${i} is ${actualDimension}, expected ${dimension}`,
              );
            } else if (typeof dimension !== 'number' && !isDynamic(actualDimension)) {
              problems.push(
                `${what} "${spec.name}" dimension ${i} is fixed to ${actualDimension}, expected dynamic (${dimension ?? '?'}): export with dynamic axes`,
              );
            }
          });
        }
      }
    }
  };
  compare(expected.inputs, inputs, 'input');
  compare(expected.outputs, outputs, 'output');
  return problems;
}

interface Batch {
  start: number;
  rows: number;
  features: Float64Array | Float32Array;
  labels?: Float64Array;
}

/**
 * The test set in batches: .npy streamed (the next batch read while the model runs when
 * `readAhead`), tables read into memory first.
 */
async function* testBatches(
  ctx: CheckContext,
  data: NonNullable<OnnxParams['data']>,
  readAhead = false,
): AsyncGenerator<Batch & { rowSize: number; innerShape: number[] }> {
  const featuresPath = ctx.resolve(data.features);
  const featuresShown = ctx.display(featuresPath);
  if (featuresPath.toLowerCase().endsWith('.npy')) {
    let features: NpyInfo;
    let labels: NpyInfo | undefined;
    try {
      features = openNpy(featuresPath, featuresShown);
      if (data.labels) labels = openNpy(ctx.resolve(data.labels), ctx.display(ctx.resolve(data.labels)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new DataError(
          `${(error as NodeJS.ErrnoException).path ? ctx.display((error as NodeJS.ErrnoException).path!) : 'a data file'} not found`,
        );
      throw error;
    }
    if (labels && labels.rows !== features.rows) {
      throw new DataError(
        `${featuresShown} has ${features.rows} rows, ${ctx.display(labels.path)} has ${labels.rows}`,
      );
    }
    // Labels are small (8 bytes a row): read once, sliced per batch without copies.
    const allLabels = labels ? readNpyRows(labels, 0, labels.rows) : undefined;
    for await (const chunk of npyBatches(features, data.batch_size, { readAhead })) {
      yield {
        start: chunk.start,
        rows: chunk.rows,
        features: chunk.values,
        labels: allLabels?.subarray(chunk.start, chunk.start + chunk.rows),
        rowSize: features.rowSize,
        innerShape: features.shape.slice(1),
      };
    }
    return;
  }
  const rows: number[][] = [];
  const labels: number[] = [];
  let featureIndexes: number[] = [];
  let labelIndex = -1;
  await scanTable(featuresPath, {
    format: tableFormatOf(featuresPath)!,
    signal: ctx.signal,
    onHeader(columns) {
      labelIndex = columns.indexOf(data.label);
      const patterns =
        data.feature_columns === undefined
          ? null
          : Array.isArray(data.feature_columns)
            ? data.feature_columns
            : [data.feature_columns];
      const names = patterns
        ? patterns.flatMap((p) => matchColumns(columns, p))
        : columns.filter((_, i) => i !== labelIndex);
      if (names.length === 0)
        throw new DataError(
          `${featuresShown}: no feature columns match ${JSON.stringify(data.feature_columns)}`,
        );
      featureIndexes = names.map((name) => columns.indexOf(name));
    },
    onRow(row) {
      const values = featureIndexes.map((i) => row.number(i));
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad !== -1)
        throw new DataError(
          `${featuresShown} ${row.where()}: feature ${bad} "${row.text(featureIndexes[bad]!)}" is not a number`,
        );
      rows.push(values);
      if (labelIndex >= 0) labels.push(row.number(labelIndex));
    },
  });
  const width = featureIndexes.length;
  for (let start = 0; start < rows.length; start += data.batch_size) {
    const slice = rows.slice(start, start + data.batch_size);
    yield {
      start,
      rows: slice.length,
      features: Float64Array.from(slice.flat()),
      labels: labelIndex >= 0 ? Float64Array.from(labels.slice(start, start + slice.length)) : undefined,
      rowSize: width,
      innerShape: [width],
    };
  }
}

async function evaluateDataset(
  ctx: CheckContext,
  params: OnnxParams,
  opened: Awaited<ReturnType<typeof openSession>>,
  input: IoSpec,
  output: IoSpec,
  sampleRss: (force?: boolean) => void,
  details: Evidence[],
): Promise<CheckOutcome | undefined> {
  const data = params.data!;
  const classification = params.task === 'classification';
  let classes: ClassIndex | undefined;
  let accumulator: ClassificationAccumulator | RegressionAccumulator | undefined;
  let parity: ParityAccumulator | undefined;
  let reference: NpyInfo | undefined;
  let referenceCorrect = 0;
  let activation: 'softmax' | 'sigmoid' | 'none' | undefined =
    params.activation === 'auto' ? undefined : params.activation;
  let rows = 0;
  const keptY: number[] = [];
  const keptPredicted: number[] = [];
  if (params.parity) {
    const path = ctx.resolve(params.parity.reference);
    try {
      reference = openNpy(path, ctx.display(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new DataError(`${ctx.display(path)} not found`);
      throw error;
    }
    parity = new ParityAccumulator({ atol: params.parity.atol, rtol: params.parity.rtol });
  }
  const probs = new Float64Array(2);
  let scratch = probs;
  let outputTensor: Awaited<ReturnType<typeof makeTensor>> | undefined;
  let outputRows = 0;
  const began = performance.now();
  // With a core to spare, the next batch is read (in libuv's pool) while this one runs.
  for await (const batch of testBatches(ctx, data, spareCoreForReading(params.threads))) {
    const modelInner = input.shape.slice(1);
    if (
      modelInner.every((d) => typeof d === 'number') &&
      modelInner.reduce((a, b) => (a as number) * (b as number), 1) !== batch.rowSize
    ) {
      throw new DataError(
        `the features have ${batch.rowSize} values per row, input "${input.name}" takes [${input.shape.join(', ')}]`,
      );
    }
    const dims = [
      batch.rows,
      ...(modelInner.every((d) => typeof d === 'number') ? (modelInner as number[]) : batch.innerShape),
    ];
    const tensor = await makeTensor(input.dtype, batch.features, dims);
    // Full batches write into one output tensor: no allocation per batch while timing matters.
    const reuse = outputTensor !== undefined && batch.rows === outputRows;
    const result = await opened.session.run(
      { [input.name]: tensor },
      reuse ? { [output.name]: outputTensor! } : undefined,
    );
    sampleRss();
    const produced = result[output.name]!;
    const values: ArrayLike<number> =
      produced.type === 'float32' ? (produced.data as Float32Array) : tensorValues(produced);
    if (outputTensor === undefined && produced.type === 'float32' && batch.rows === data.batch_size) {
      outputTensor = await makeTensor('float32', new Float32Array(values.length), [...produced.dims]);
      outputRows = batch.rows;
    }
    const width = values.length / batch.rows;
    if (!Number.isInteger(width))
      throw new DataError(`output "${output.name}" has ${values.length} values for ${batch.rows} rows`);
    if (reference) {
      if (reference.rows < batch.start + batch.rows)
        throw new DataError(
          `${ctx.display(reference.path)} has ${reference.rows} rows, fewer than the test set`,
        );
      if (reference.rowSize !== width) {
        throw new DataError(
          `${ctx.display(reference.path)} has ${reference.rowSize} values per row, output "${output.name}" has ${width}`,
        );
      }
      const expected = readNpyRows(reference, batch.start, batch.rows);
      parity!.add(expected, values, width, batch.start, batch.labels);
      if (batch.labels && classification && width > 1)
        referenceCorrect += countArgmaxHits(expected, width, batch.labels, batch.rows);
    }
    rows += batch.rows;
    ctx.progress?.(`${rows} rows evaluated`);
    if (!batch.labels) continue;
    if (classification) {
      const k = width === 1 ? 2 : width;
      if (!classes) {
        classes = new ClassIndex(
          Array.from({ length: k }, (_, i) => String(i)),
          false,
        );
        accumulator = new ClassificationAccumulator({
          classes,
          probabilities: true,
          rankMetrics: wantRankMetrics(k, [
            ...Object.keys(params.thresholds ?? {}),
            ...Object.keys(params.reported?.values ?? {}),
          ]),
          deadline: ctx.deadline,
        });
        scratch = new Float64Array(k);
        if (activation === undefined)
          activation = looksLikeProbabilities(values, width) ? 'none' : width === 1 ? 'sigmoid' : 'softmax';
      }
      addClassificationRows(
        accumulator as ClassificationAccumulator,
        batch,
        values,
        width,
        activation!,
        scratch,
      );
    } else {
      accumulator ??= new RegressionAccumulator();
      const keep = params.confidence !== undefined || params.bootstrap;
      addRegressionRows(
        accumulator as RegressionAccumulator,
        batch,
        values,
        width,
        keep ? { keptY, keptPredicted } : undefined,
      );
    }
    if (ctx.signal.aborted) throw ctx.signal.reason;
  }

  const evaluationMs = performance.now() - began;
  const judged = params.thresholds || params.min_per_class || params.reported;
  const result = accumulator?.finish();
  const judgement = result
    ? await judge(params, {
        result,
        regressionRows: keptY.length
          ? { y: Float64Array.from(keptY), predicted: Float64Array.from(keptPredicted) }
          : undefined,
        readReported: (file, key) => readReported(ctx, file, key),
      })
    : undefined;
  if (judged && !judgement)
    throw new DataError('the test set has no labels, so no metrics could be computed');
  if (classification && activation)
    details.push({
      type: 'text',
      title: 'activation',
      text: `${activation}${params.activation === 'auto' ? ' (auto)' : ''}: outputs to probabilities`,
    });

  const merged = judgement ?? {
    failures: [],
    errors: [],
    passes: [],
    measured: {},
    threshold: {},
    evidence: [],
    intervals: {},
  };
  // The whole pipeline per row: reading, tensors, inference, probabilities, metrics.
  merged.measured.evaluation_rows_per_s = rows / (evaluationMs / 1000);
  if (!judged && judgement) {
    // Metrics were computed for parity context only; keep them as evidence, not verdicts.
    merged.failures = [];
    merged.passes = [];
  }
  if (parity && reference) {
    const shownReference = ctx.display(reference.path);
    const p = params.parity!;
    const agreement = parity.argmaxAgreement;
    merged.measured.parity_max_abs_diff = parity.maxAbsolute;
    merged.measured.parity_max_rel_diff = parity.maxRelative;
    merged.measured.parity_elements_outside = parity.outside;
    merged.measured.argmax_agreement = agreement;
    merged.threshold.parity = `|onnx − reference| <= ${p.atol} + ${p.rtol}·|reference| for every element`;
    merged.threshold.argmax_agreement = `>= ${p.min_argmax_agreement}`;
    const problems: string[] = [];
    if (parity.outside > 0) {
      problems.push(
        `${parity.outside} of ${parity.elements} outputs differ from ${shownReference} beyond atol ${p.atol} + rtol ${p.rtol} (max |Δ| ${formatNumber(parity.maxAbsolute)})`,
      );
    }
    if (classification && parity.rows > 0 && agreement < p.min_argmax_agreement) {
      problems.push(
        `${parity.rows - parity.argmaxAgree} of ${parity.rows} rows change their predicted class (argmax agreement ${formatPercent(agreement, 2)}, needs ${formatPercent(p.min_argmax_agreement, 2)})`,
      );
    }
    if (classification && result && result.task === 'classification' && parity.rows > 0) {
      const referenceAccuracy = referenceCorrect / parity.rows;
      const accuracy = result.metrics.accuracy!;
      const gap = Math.abs(accuracy - referenceAccuracy);
      merged.measured.reference_accuracy = referenceAccuracy;
      merged.threshold.accuracy_parity = `|accuracy − reference accuracy| <= ${formatNumber(p.accuracy_tolerance * 100)} pp`;
      const sentence = `accuracy ${formatPercent(accuracy, 2)} vs ${formatPercent(referenceAccuracy, 2)} from ${shownReference}: ${formatNumber(Number((gap * 100).toPrecision(4)))} pp apart`;
      if (gap > p.accuracy_tolerance + 1e-12)
        problems.push(`${sentence} > ${formatNumber(p.accuracy_tolerance * 100)} pp`);
      else merged.passes.push(`${sentence} (within ${formatNumber(p.accuracy_tolerance * 100)} pp)`);
    }
    if (problems.length > 0) merged.failures.unshift(`parity: ${problems.join('; ')}`);
    else
      merged.passes.unshift(
        `parity with ${shownReference}: max |Δ| ${formatNumber(parity.maxAbsolute)} within atol ${p.atol} + rtol ${p.rtol}${classification ? `, argmax agreement ${formatPercent(agreement, 2)}` : ''}`,
      );
    merged.evidence.unshift(
      {
        type: 'table',
        title: `largest differences from ${shownReference}`,
        columns: ['row', 'output index', 'reference', 'onnx', '|Δ|'],
        rows: parity.worstElements.map((w) => [w.row, w.index, w.reference, w.actual, w.absolute]),
      },
      ...(parity.changed.length
        ? [
            {
              type: 'table' as const,
              title: `rows whose predicted class changed (${parity.rows - parity.argmaxAgree})`,
              columns: ['row', 'label', 'reference class', 'onnx class'],
              rows: parity.changed.map((c) => [...c]),
            },
          ]
        : []),
    );
  }
  if (!judged && !parity) return undefined;
  return outcomeOf(merged, `${rows} rows`);
}

// The per-row loops live in small functions of their own. Inside evaluateDataset a hot row loop
// made V8 optimise that whole (large, async) function on a background thread during the first
// batches — tens of milliseconds of compiling beside inference that already uses every core.

/** Rows of one batch into the classification metrics: probabilities, top class, counts. */
function addClassificationRows(
  accumulator: ClassificationAccumulator,
  batch: { start: number; rows: number; labels?: ArrayLike<number> },
  values: ArrayLike<number>,
  width: number,
  activation: string,
  scratch: Float64Array,
): void {
  const k = scratch.length;
  const labels = batch.labels!;
  for (let r = 0; r < batch.rows; r++) {
    const label = labels[r]!;
    if (!Number.isInteger(label) || label < 0 || label >= k) {
      throw new DataError(`row ${batch.start + r}: label ${label} is not a class of a ${k}-class output`);
    }
    toProbabilities(values, r * width, width, activation, scratch);
    let predicted = 0;
    for (let j = 1; j < k; j++) if (scratch[j]! > scratch[predicted]!) predicted = j;
    accumulator.add(label, predicted, scratch);
  }
}

/** Rows of one batch into the regression metrics (and kept, for intervals, when asked). */
function addRegressionRows(
  accumulator: RegressionAccumulator,
  batch: { rows: number; labels?: ArrayLike<number> },
  values: ArrayLike<number>,
  width: number,
  kept: { keptY: number[]; keptPredicted: number[] } | undefined,
): void {
  const labels = batch.labels!;
  for (let r = 0; r < batch.rows; r++) {
    const y = labels[r]!;
    const predicted = values[r * width]!;
    accumulator.add(y, predicted);
    if (kept) {
      kept.keptY.push(y);
      kept.keptPredicted.push(predicted);
    }
  }
}

/** Rows whose top reference output is their label. */
function countArgmaxHits(
  expected: ArrayLike<number>,
  width: number,
  labels: ArrayLike<number>,
  rows: number,
): number {
  let hits = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < width; j++) if (expected[r * width + j]! > expected[r * width + best]!) best = j;
    if (best === labels[r]) hits++;
  }
  return hits;
}

function looksLikeProbabilities(values: ArrayLike<number>, width: number): boolean {
  for (let i = 0; i < values.length; i++) if (!(values[i]! >= 0 && values[i]! <= 1)) return false;
  if (width === 1) return true;
  for (let r = 0; r < values.length / width; r++) {
    let sum = 0;
    for (let j = 0; j < width; j++) sum += values[r * width + j]!;
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return true;
}

/** Output row → probabilities in float64 (softmax shifted by the max for stability). */
function toProbabilities(
  values: ArrayLike<number>,
  offset: number,
  width: number,
  activation: string,
  out: Float64Array,
): void {
  if (width === 1) {
    const v = values[offset]!;
    const p = activation === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : v;
    out[0] = 1 - p;
    out[1] = p;
    return;
  }
  if (activation !== 'softmax') {
    for (let j = 0; j < width; j++) out[j] = values[offset + j]!;
    return;
  }
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < width; j++) max = Math.max(max, values[offset + j]!);
  let sum = 0;
  for (let j = 0; j < width; j++) {
    out[j] = Math.exp(values[offset + j]! - max);
    sum += out[j]!;
  }
  for (let j = 0; j < width; j++) out[j]! /= sum;
}

/** Real test rows when there is a test set (repeated to fill the batch), else zeros. */
async function latencyInput(ctx: CheckContext, params: OnnxParams, input: IoSpec, batchSize: number) {
  const inner = input.shape.slice(1);
  if (params.data) {
    for await (const batch of testBatches(ctx, { ...params.data, batch_size: batchSize })) {
      const values = new Float64Array(batchSize * batch.rowSize);
      for (let i = 0; i < batchSize; i++)
        values.set(
          batch.features.subarray((i % batch.rows) * batch.rowSize, ((i % batch.rows) + 1) * batch.rowSize),
          i * batch.rowSize,
        );
      const dims = inner.every((d) => typeof d === 'number') ? (inner as number[]) : batch.innerShape;
      return makeTensor(input.dtype, values, [batchSize, ...dims]);
    }
  }
  if (inner.some(isDynamic)) {
    throw new ModelLoadError(
      `input "${input.name}" [${input.shape.join(', ')}] has dynamic dimensions besides the batch: give data so latency runs on real inputs`,
    );
  }
  const size = (inner as number[]).reduce((a, b) => a * b, 1);
  return makeTensor(input.dtype, new Float64Array(batchSize * size), [batchSize, ...(inner as number[])]);
}
