import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { RequestFields } from '../../service/request-fields.js';
import { Duration } from '../../spec/schema.js';
import { runIn } from '../_shared/run-module.js';

const { method, path, query, headers, body } = RequestFields;

const params = z.strictObject({
  within: Duration.default('10s').describe('It must exit within this after SIGTERM.'),
  exit_code: z
    .union([z.number().int(), z.array(z.number().int()).min(1)])
    .default(0)
    .describe('Accepted exit code(s).'),
  in_flight: z
    .strictObject({
      method,
      path: path.unwrap().describe('A request that takes a while, e.g. a large batch.'),
      query,
      headers,
      body,
      status: z.number().int().default(200).describe('The status it must still get.'),
      signal_after: Duration.default('50ms').describe('SIGTERM this long after the request was sent.'),
    })
    .optional()
    .describe('A request in progress when SIGTERM arrives: it must complete.'),
});

export type ServiceShutdownParams = z.output<typeof params>;

export default defineCheck({
  kind: 'service-shutdown',
  title: 'The service shuts down gracefully on SIGTERM',
  description: [
    'Runs last: sends SIGTERM to the service mlgate started — what Kubernetes and Docker do —',
    'and checks that it exits by itself `within` the limit (default 10 s, before the pod',
    'grace period runs out) with an accepted exit code (0), leaving nothing behind: no process',
    'in its group or session, none it started that left with setsid, no daemon (a process that',
    'left its process tree by a double fork, found by the `MLGATE_CHILD` variable mlgate puts in',
    "the service's environment), none still listening on its port (mlgate names them, by pid and",
    'command line, and ends those that are its own; another process on the port is left running).',
    'With `in_flight`, a request is started just before the signal and must still be answered',
    '(the service drains, it does not drop work). Killed by the signal itself (no handler),',
    'killed after the limit, or a dropped request fail. Only for a service mlgate starts.',
  ].join(' '),
  defaultTimeout: '2m',
  params,
  examples: [
    { title: 'Exits cleanly within 10 s', params: { within: '10s' } },
    {
      title: 'Finishes a slow batch it is working on',
      params: {
        within: '30s',
        in_flight: {
          method: 'POST',
          path: '/predict',
          body: { file: 'data/batch-256.json' },
          signal_after: '20ms',
        },
      },
    },
  ],
  service: () => true,
  phase: 2,
  run: runIn(() => import('./run.js')),
});
