import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { UsageError } from '../engine/errors.js';
import type { ServiceController } from '../engine/run.js';
import type { Spec } from '../spec/schema.js';
import { parseDuration } from '../util/units.js';
import { ManagedService, type ServiceState } from './managed.js';

/**
 * The service's environment: `${env.NAME}` from mlgate's own, `${random}` a secret made for
 * this run (a test token nobody has to invent, keep or leak).
 */
export function resolveServiceEnv(
  env: Record<string, string>,
  outer: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const random = randomBytes(24).toString('base64url');
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    resolved[name] = value.replace(
      /\$\{(random|env\.([A-Za-z_][A-Za-z0-9_]*))\}/g,
      (_, what: string, variable?: string) => {
        if (what === 'random') return random;
        const found = outer[variable!];
        if (found === undefined)
          throw new UsageError(
            `service.start.env.${name} uses \${env.${variable}}, which is not set`,
            `set ${variable} in the environment mlgate runs in`,
          );
        return found;
      },
    );
  }
  return resolved;
}

/** The spec's `service:` section as the runner drives it. */
export function serviceFromSpec(
  spec: NonNullable<Spec['service']>,
  root: string,
): ServiceController & { state(): ServiceState } {
  const env = resolveServiceEnv(spec.start?.env ?? {});
  const managed = spec.url
    ? new ManagedService({ url: spec.url })
    : new ManagedService({
        command: spec.start!.command,
        argv: spec.start!.argv,
        cwd: resolve(root, spec.start!.cwd),
        env,
        port: spec.start!.port,
        portEnv: spec.start!.port_env,
        host: spec.start!.host,
        ready: {
          path: spec.start!.ready.path,
          status: spec.start!.ready.status,
          timeoutMs: parseDuration(spec.start!.ready.timeout)!,
        },
        graceMs: parseDuration(spec.start!.grace)!,
        verifyListener: spec.start!.verify_listener,
        awaitingReview: spec.start!.review === 'required',
      });
  return {
    get url() {
      return managed.url;
    },
    get managed() {
      return managed.managed;
    },
    allowRemote: spec.allow_remote,
    env,
    get alive() {
      return managed.alive;
    },
    assertAlive: () => managed.assertAlive(),
    assertOwned: () => managed.assertOwned(),
    log: () => managed.log(),
    logLines: () => managed.logLines(),
    stop: (graceMs?: number) => managed.stop(graceMs),
    ensureStarted: (signal?: AbortSignal) => managed.ensureStarted(signal),
    state: () => managed.state(),
  };
}
