/**
 * What the service-shutdown check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import type { Evidence } from '../../domain/run-report.js';
import { buildRequest, Secrets } from '../../service/request-spec.js';
import { exchangeEvidence, HttpClient, type HttpExchange } from '../../service/request.js';
import { TemplateError } from '../../service/template.js';
import { formatDuration, parseDuration } from '../../util/units.js';
import type { ServiceShutdownParams } from './check.js';

export async function run(ctx: CheckContext, params: ServiceShutdownParams): Promise<CheckOutcome> {
  const service = ctx.service!;
  if (!service.managed) {
    return {
      status: 'error',
      summary: 'shutdown can only be tested on a service mlgate starts (service.start): it sends the signal',
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
    problems.push(`it did not handle SIGTERM: the signal ended it (${stopped.signal}) without a clean exit`);
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
    if (exchange.status === undefined) problems.push(`the request in flight was dropped (${exchange.error})`);
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
}
