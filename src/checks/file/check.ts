import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { Size } from '../../spec/schema.js';
import { runIn } from '../_shared/run-module.js';

const params = z.strictObject({
  path: z.string().min(1).describe('File or folder, relative to the spec.'),
  exists: z.boolean().default(true).describe('false: the file must NOT exist.'),
  non_empty: z.boolean().default(true).describe('A file must have at least one byte; a folder one entry.'),
  min_size: Size.optional().describe('Smallest allowed size, e.g. "1 kB".'),
  max_size: Size.optional().describe('Largest allowed size, e.g. "500 MB".'),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { error: 'expected 64 hexadecimal characters' })
    .optional()
    .describe('Expected sha256 digest (hex).'),
});

export type FileParams = z.output<typeof params>;

export default defineCheck({
  kind: 'file',
  title: 'A file exists, is not empty, is within size bounds, has an expected digest',
  description: [
    'Checks one file (or folder) on disk: that it exists (or, with `exists: false`, that it does',
    'not — a committed `.env`, a stray checkpoint), that it is not empty, that its size is within',
    '`min_size`/`max_size` ("model file < 500 MB"), and that its sha256 equals `sha256`.',
    'Sizes take units: `500 MB` is 10^6 bytes per MB, `2 GiB` is 2^30 per GiB.',
    "The evidence is the file's size and sha256. A file that cannot be read is an `error`.",
  ].join(' '),
  params,
  examples: [
    {
      title: 'Model file present and under 500 MB',
      params: { path: 'model/model.onnx', max_size: '500 MB' },
    },
    { title: 'No .env file committed', params: { path: '.env', exists: false } },
  ],
  run: runIn(() => import('./run.js')),
});
