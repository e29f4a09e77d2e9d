import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { buildRequest, RequestFields, Secrets } from '../../service/request-spec.js';
import { exchangeEvidence, HttpClient, type HttpExchange } from '../../service/request.js';
import { TemplateError } from '../../service/template.js';
import { Duration } from '../../spec/schema.js';
import { formatDuration, parseDuration } from '../../util/units.js';

const { method, path, query, headers, body } = RequestFields;

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
  params: z.strictObject({
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
  }),
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
  async run(ctx, params) {
    const service = ctx.service!;
    if (!service.managed) {
      return {
        status: 'error',
        summary:
          'shutdown can only be tested on a service mlgate starts (service.start): it sends the signal',
      };
    }
    if (!service.alive)
      return { status: 'error', summary: 'the service was already stopped (by another shutdown item?)' };
    const withinMs = parseDuration(params.within)!;
    const secrets = new Secrets();
    const client = new HttpClient();
    let pending: Promise<HttpExchange> | undefined;
    if (params.in_flight) {
      try {
        const request = await buildRequest(ctx, { ...params.in_flight, url: undefined }, secrets, {
          timeoutMs: withinMs + 5000,
          maxBodyBytes: 64 * 1024,
        });
        // Our connection closes as soon as the answer is in: a keep-alive socket would hold
        // the service's shutdown open until it times out.
        pending = client.send(request).finally(() => client.close());
      } catch (error) {
        await client.close();
        if (error instanceof TemplateError) return { status: 'error', summary: error.message };
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, parseDuration(params.in_flight!.signal_after)!));
    }
    const linesBefore = service.logLines().lines.length;
    const stopped = await service.stop(withinMs);
    const exchange = await pending;
    await client.close();
    if (!stopped) return { status: 'error', summary: 'the service could not be signalled' };

    const evidence: Evidence[] = [];
    const accepted = Array.isArray(params.exit_code) ? params.exit_code : [params.exit_code];
    const problems: string[] = [];
    if (stopped.killed) problems.push(`it was still running ${params.within} after SIGTERM and was killed`);
    else if (stopped.signal)
      problems.push(
        `it did not handle SIGTERM: the signal ended it (${stopped.signal}) without a clean exit`,
      );
    else if (stopped.code !== null && !accepted.includes(stopped.code))
      problems.push(`it exited with code ${stopped.code} (expected ${accepted.join(' or ')})`);
    const leftovers = stopped.leftovers ?? [];
    if (leftovers.length > 0) {
      // mlgate ends every process it can tell is the service's; one it left running is not.
      const own = leftovers.filter((leftover) => leftover.killed);
      const strangers = leftovers.filter((leftover) => !leftover.killed);
      if (own.length > 0)
        problems.push(
          `processes it started were still running after it exited: ${own
            .map((leftover) => `pid ${leftover.pid} \`${leftover.command}\` (${leftover.why})`)
            .join(', ')}`,
        );
      if (strangers.length > 0)
        problems.push(
          `another process is listening on the service's port after it stopped: ${strangers
            .map((leftover) => `pid ${leftover.pid} (${leftover.command})`)
            .join(', ')} (not started by mlgate; left running)`,
        );
      evidence.push({
        type: 'text',
        title: 'left behind',
        text: leftovers
          .map(
            (leftover) =>
              `pid ${leftover.pid}: ${leftover.command}\n  ${leftover.why}; ${leftover.killed ? 'killed by mlgate' : 'left running'}`,
          )
          .join('\n'),
      });
    } else if (stopped.orphans)
      problems.push('processes it started were still running after it exited (mlgate killed them)');
    if (exchange) {
      evidence.push(exchangeEvidence(exchange, secrets, 'the request in flight at SIGTERM'));
      if (exchange.status === undefined)
        problems.push(`the request in flight was dropped (${exchange.error})`);
      else if (exchange.status !== params.in_flight!.status)
        problems.push(`the request in flight got ${exchange.status}, expected ${params.in_flight!.status}`);
    }
    const ending = stopped.killed
      ? `killed (SIGKILL) after ${params.within}`
      : stopped.signal
        ? `ended by ${stopped.signal}`
        : `exited with code ${stopped.code}`;
    evidence.unshift({
      type: 'text',
      title: 'shutdown',
      text: `SIGTERM sent to the process group; ${ending} ${formatDuration(stopped.exitedAfterMs)} later`,
    });
    const after = service.logLines().lines.slice(linesBefore);
    if (after.length)
      evidence.push({
        type: 'text',
        title: 'output after SIGTERM',
        text: after
          .slice(-15)
          .map((line) => line.text)
          .join('\n'),
      });
    const measured = {
      exit_ms: Math.round(stopped.exitedAfterMs),
      exit_code: stopped.code,
      signal: stopped.signal,
      killed: stopped.killed,
      ...(exchange ? { in_flight_status: exchange.status ?? null } : {}),
    };
    const threshold = { exit_ms: `<= ${withinMs}`, exit_code: accepted.join(' or ') };
    if (problems.length > 0) {
      return { status: 'fail', summary: `on SIGTERM: ${problems.join('; ')}`, measured, threshold, evidence };
    }
    if (stopped.unverified) {
      return {
        status: 'error',
        summary: `it exited with code ${stopped.code}, but mlgate cannot tell whether it left processes or a listener behind: ${stopped.unverified}`,
        measured,
        threshold,
        evidence,
      };
    }
    return {
      status: 'pass',
      summary: `exited with code ${stopped.code} ${formatDuration(stopped.exitedAfterMs)} after SIGTERM (limit ${params.within})${exchange ? `; the request in flight got ${exchange.status}` : ''}`,
      measured,
      threshold,
      evidence,
    };
  },
});
