import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import {
  type Finding,
  IgnoreParam,
  isReference,
  LevelsParam,
  mask,
  parseInlineIgnores,
  type RuleSet,
  ruleOutcome,
  rulesParam,
  SECRET_NAME,
} from '../../rules/findings.js';
import { parseImage } from '../../rules/image.js';
import { tokenIn } from '../kubernetes/secret-values.js';
import {
  type ComposeFile,
  interpolate,
  loadComposeFile,
  type Obj,
  oneShotServices,
  ServiceView,
  serviceView,
  volumeParts,
} from './services.js';

export const RULES: RuleSet = {
  prefix: 'compose',
  rules: [
    {
      id: 'compose/healthcheck',
      title: 'Each service has a health check',
      level: 'error',
      fix: 'healthcheck: {test: ["CMD", "curl", "-fsS", "http://localhost:8080/health"], interval: 30s}',
    },
    {
      id: 'compose/restart-policy',
      title: 'Each service restarts after a crash',
      level: 'error',
      fix: 'restart: unless-stopped (or deploy.restart_policy.condition: on-failure)',
    },
    {
      id: 'compose/resource-limits',
      title: 'Each service has CPU and memory limits',
      level: 'error',
      fix: 'deploy: {resources: {limits: {cpus: "1", memory: 1G}}}',
    },
    {
      id: 'compose/privileged',
      title: 'No privileged services',
      level: 'error',
      fix: 'Remove privileged: true; add only the capabilities needed (cap_add).',
    },
    {
      id: 'compose/host-network',
      title: 'No host networking',
      level: 'error',
      fix: 'Remove network_mode: host; publish the ports the service needs.',
    },
    {
      id: 'compose/inline-secret',
      title: 'No secrets written in the compose file',
      level: 'error',
      fix: 'Use ${VAR} from the environment or an env_file kept out of version control, or compose secrets.',
    },
    {
      id: 'compose/image-tag',
      title: 'Images name a tag that is not latest',
      level: 'error',
      fix: 'image: registry/model-server:1.4.2',
    },
    {
      id: 'compose/model-volume',
      title: 'Model artifacts come from a volume',
      level: 'error',
      fix: 'volumes: ["./model:/models:ro"] (or a named volume), so the image does not bake in one model.',
    },
    {
      id: 'compose/docker-socket',
      title: 'No service mounts the Docker socket',
      level: 'error',
      fix: 'Remove the /var/run/docker.sock volume: whoever controls the socket is root on the host. If a tool must talk to Docker, put a socket proxy (e.g. tecnativa/docker-socket-proxy) with only the API calls it needs in between.',
      refs: [
        'checkov CKV_K8S_27 (Docker daemon socket exposed to containers), for compose',
        'CIS Docker Benchmark 5.31 (the Docker socket is not mounted inside containers)',
      ],
    },
    {
      id: 'compose/cap-add',
      title: "No service adds Linux capabilities beyond Docker's default set",
      level: 'error',
      fix: 'Remove the cap_add entry (ALL and SYS_ADMIN are as good as privileged; NET_ADMIN lets the container reconfigure the network); better still, cap_drop: [ALL] and add back only NET_BIND_SERVICE-like capabilities it needs.',
      refs: [
        'Polaris dangerousCapabilities (ALL, SYS_ADMIN, NET_ADMIN), for compose; we flag every capability Docker does not grant by default',
        'CIS Docker Benchmark 5.3 (Linux kernel capabilities are restricted)',
      ],
    },
    {
      id: 'compose/host-pid',
      title: "No service shares the host's process namespace",
      level: 'error',
      fix: 'Remove pid: host; a service that needs to see another container\'s processes can use pid: "service:NAME".',
      refs: [
        'Polaris hostPIDSet, for compose',
        'CIS Docker Benchmark 5.15 (the host process namespace is not shared)',
      ],
    },
  ].map((rule) => ({ ...rule, level: rule.level as 'error' })),
};

const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
/** What `docker compose` also reads, beside a default-named file, when no -f is given. */
const OVERRIDE_FILES = [
  'compose.override.yaml',
  'compose.override.yml',
  'docker-compose.override.yaml',
  'docker-compose.override.yml',
];

/** The capabilities Docker grants every container; adding one of these changes nothing. */
const DOCKER_DEFAULT_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

const CAPABILITY_RISK: Record<string, string> = {
  ALL: 'every capability: as good as privileged',
  SYS_ADMIN: 'mounts, namespaces and much more: close to privileged',
  NET_ADMIN: 'reconfigures interfaces, routes and firewall rules',
  SYS_PTRACE: 'can trace and read the memory of other processes',
  SYS_MODULE: 'loads kernel modules',
};

/** Container runtime sockets: whoever can write to one controls the host. */
const RUNTIME_SOCKET = /(^|\/)(docker|containerd|crio|podman)\.sock$/;

export default defineCheck({
  kind: 'compose',
  rules: RULES.rules,
  title: 'The compose file runs each service with health checks, restarts, limits and no inline secrets',
  description: [
    'Reads a Docker Compose file and applies rules to each service (or the ones in `services`):',
    'a healthcheck (not disabled), a restart policy, CPU and memory limits (deploy.resources or the',
    'legacy mem_limit/cpus), no `privileged`, no `network_mode: host`, no `pid: host`, no mounted',
    "Docker (or containerd, CRI-O, Podman) socket, no `cap_add` beyond Docker's default capabilities,",
    'no secret-like environment values written inline (${VAR} references are fine) and no value in a',
    'known token format (GitHub, Hugging Face, AWS, OpenAI …, a ${VAR:-default} too) whatever its name,',
    'image tags that are not latest (a `${TAG:-latest}` default counts, and `model${TAG}` has no tag',
    'when TAG is unset), limits of 0 are no limits, a network named host is host networking, and — with',
    '`model_mount` — a volume mounted at the model path. Services are read as `docker compose up` reads',
    'them: YAML merge keys (`<<: *defaults`) and `extends` (same file or another) applied, the files',
    '`include:` lists added, and beside a default-named file its compose.override.yaml (or',
    'docker-compose.override.yml) merged over it; a finding on an inherited key points at the line that',
    'wrote it. One-shot services (another service waits for them with `condition:',
    'service_completed_successfully`, and they say so themselves: restart "no" or on-failure, no ports',
    'or expose) need no restart policy or health check.',
    'A file with no services is an `error`. Findings carry file:line; ignore one place with',
    '`# mlgate-ignore compose/RULE: reason` above the line.',
  ].join(' '),
  params: z.strictObject({
    path: z
      .string()
      .optional()
      .describe(`The compose file (default: the first of ${DEFAULT_FILES.join(', ')}).`),
    services: z.array(z.string()).optional().describe('Only these services (default: all).'),
    profiles: z
      .array(z.string())
      .optional()
      .describe(
        'The Compose profiles deployed: services with `profiles:` naming none of these are not judged (default: every service is judged, whatever its profiles).',
      ),
    model_mount: z.string().optional().describe('Container path the model must be mounted at, e.g. /models.'),
    ignore: IgnoreParam,
    levels: LevelsParam,
    rules: rulesParam(RULES),
  }),
  examples: [
    {
      title: 'The model service and its cache',
      params: { path: 'compose.yaml', services: ['model'], model_mount: '/models' },
    },
    {
      title: 'What production runs: no debug-profile services',
      params: { path: 'compose.yaml', profiles: [] },
    },
  ],
  async run(ctx, params) {
    const candidates = params.path ? [params.path] : DEFAULT_FILES;
    const found = candidates.find((file) => existsSync(ctx.resolve(file)));
    if (!found) {
      return ruleOutcome({
        ruleset: RULES,
        only: params.rules,
        findings: [],
        inline: [],
        spec: params.ignore,
        levels: params.levels,
        judged: [],
        nothing: `no compose file (${candidates.join(', ')})`,
      });
    }
    const files = new Map<string, ComposeFile | { problem: string }>();
    const load = (file: string) => {
      let loaded = files.get(file);
      if (!loaded) {
        try {
          const absolute = ctx.resolve(file);
          loaded = loadComposeFile(file, absolute, ctx.display(absolute));
        } catch (error) {
          loaded = { problem: (error as Error).message };
        }
        files.set(file, loaded);
      }
      return loaded;
    };
    const main = load(found);
    if ('problem' in main) return { status: 'error', summary: main.problem };
    const shown = main.shown;
    // The model `docker compose up` runs: the file, the files its `include:` lists (their
    // services join the model), and, for a default-named file, the override file beside it,
    // merged over it (its keys win, its lists add; as `extends` does, which is Compose's rule).
    const views = new Map<string, ServiceView>();
    const networks = new Map<string, Obj>();
    const read: string[] = [];
    const addFile = (compose: ComposeFile, depth: number): string | undefined => {
      if (depth > 10) return `${compose.shown}: include nests more than 10 levels`;
      read.push(compose.file);
      const data = (compose.source.toJS() ?? {}) as Obj;
      const includes = Array.isArray(data.include) ? data.include : data.include ? [data.include] : [];
      for (const [index, entry] of includes.entries()) {
        const paths =
          typeof entry === 'string'
            ? [entry]
            : entry && typeof entry === 'object'
              ? ([] as unknown[]).concat((entry as Obj).path ?? [])
              : [];
        if (paths.length === 0 || paths.some((p) => typeof p !== 'string'))
          return `${compose.shown}: include[${index}] names no file`;
        for (const path of paths as string[]) {
          const file = posix.normalize(posix.join(posix.dirname(compose.file), path));
          if (read.includes(file)) continue;
          const included = load(file);
          if ('problem' in included) return `${compose.shown} includes ${path}: ${included.problem}`;
          const problem = addFile(included, depth + 1);
          if (problem) return problem;
        }
      }
      for (const [name, network] of Object.entries((data.networks ?? {}) as Obj))
        networks.set(name, network && typeof network === 'object' ? (network as Obj) : {});
      for (const name of Object.keys(compose.services)) {
        const view = serviceView(compose, name, load);
        // A base that cannot be read would make its keys look missing: say so, judge nothing.
        if ('problem' in view) return `${compose.shown}: ${view.problem}`;
        views.set(name, view);
      }
      return undefined;
    };
    const problem = addFile(main, 0);
    if (problem) return { status: 'error', summary: problem };
    let override: ComposeFile | undefined;
    const folder = posix.dirname(found);
    if (DEFAULT_FILES.includes(posix.basename(found))) {
      const overrideFile = OVERRIDE_FILES.map((name) => (folder === '.' ? name : `${folder}/${name}`)).find(
        (file) => existsSync(ctx.resolve(file)),
      );
      if (overrideFile) {
        const loaded = load(overrideFile);
        if ('problem' in loaded) return { status: 'error', summary: loaded.problem };
        override = loaded;
        for (const name of Object.keys(loaded.services)) {
          const view = serviceView(loaded, name, load);
          if ('problem' in view) return { status: 'error', summary: `${loaded.shown}: ${view.problem}` };
          const base = views.get(name);
          views.set(name, base ? new ServiceView(name, [...view.layers, ...base.layers]) : view);
        }
        const data = (loaded.source.toJS() ?? {}) as Obj;
        for (const [name, network] of Object.entries((data.networks ?? {}) as Obj))
          networks.set(name, {
            ...networks.get(name),
            ...(network && typeof network === 'object' ? (network as Obj) : {}),
          });
      }
    }
    const all = [...views.keys()];
    // Nothing judged is never a pass: a compose file without services is a mistake (an
    // override file given as `path`, a `services:` nested one level too deep).
    if (all.length === 0)
      return {
        status: 'error',
        summary: `${shown} defines no services: nothing to judge (is this an override file, or is services: indented under another key?)`,
      };
    const unknown = (params.services ?? []).filter((name) => !views.has(name));
    if (unknown.length > 0)
      return {
        status: 'error',
        summary: `${shown} has no service ${unknown.join(', ')} (services: ${all.join(', ')})`,
      };
    /** Top-level networks that are the host's network stack (`name: host`, external). */
    const hostNetworks = new Set(
      [...networks.entries()]
        .filter(
          ([key, network]) =>
            network.name === 'host' || network.driver === 'host' || (key === 'host' && !!network.external),
        )
        .map(([key]) => key),
    );
    const notDeployed: string[] = [];
    const names = all.filter((name) => {
      if (params.services && !params.services.includes(name)) return false;
      const profiles = views.get(name)!.get<unknown>(['profiles'])?.value;
      if (params.profiles && Array.isArray(profiles) && profiles.length > 0) {
        if (!profiles.some((profile) => params.profiles!.includes(String(profile)))) {
          notDeployed.push(`${name} (profiles: ${profiles.join(', ')})`);
          return false;
        }
      }
      return true;
    });
    if (names.length === 0)
      return {
        status: 'error',
        summary: `${shown}: no service to judge — every service is in a profile not deployed (${notDeployed.join('; ')}); profiles: [${params.profiles?.join(', ')}]`,
      };
    const oneShot = oneShotServices(views.values());
    const findings: Finding[] = [];
    for (const name of names)
      judgeService(views.get(name)!, oneShot.has(name), params.model_mount, findings, hostNetworks);
    const inline: ReturnType<typeof parseInlineIgnores>['ignores'] = [];
    const ignoreProblems: Finding[] = [];
    const judged: string[] = [];
    for (const loaded of files.values()) {
      if ('problem' in loaded) continue;
      judged.push(loaded.shown);
      const parsed = parseInlineIgnores(loaded.shown, loaded.source.lines, 'compose');
      inline.push(...parsed.ignores);
      ignoreProblems.push(...parsed.problems);
    }
    return ruleOutcome({
      ruleset: RULES,
      only: params.rules,
      findings: [...findings, ...ignoreProblems],
      inline,
      spec: params.ignore,
      levels: params.levels,
      judged,
      measured: {
        services: names.length,
        ...(override ? { override_files: 1 } : {}),
        ...(notDeployed.length ? { services_not_deployed: notDeployed.length } : {}),
        ...(oneShot.size ? { one_shot_services: names.filter((n) => oneShot.has(n)).length } : {}),
      },
      evidence: [
        ...(override
          ? [
              {
                type: 'text' as const,
                title: 'override file merged',
                text: `${override.shown}: docker compose reads it over ${shown} when no -f is given, so its settings were judged as merged`,
              },
            ]
          : []),
        ...(notDeployed.length
          ? [
              {
                type: 'table' as const,
                title: 'services not judged (their profiles are not deployed)',
                columns: ['service'],
                rows: notDeployed.map((entry) => [entry]),
              },
            ]
          : []),
      ],
    });
  },
});

function judgeService(
  view: ServiceView,
  oneShot: boolean,
  modelMount: string | undefined,
  findings: Finding[],
  hostNetworks: Set<string>,
): void {
  const add = (rule: string, message: string, at?: Parameters<ServiceView['where']>[0]) =>
    findings.push({
      rule: `compose/${rule}`,
      message: `service "${view.name}": ${message}`,
      ...view.where(at),
    });

  if (!oneShot) {
    const health = view.get<Obj>(['healthcheck']);
    const disable = view.get(['healthcheck', 'disable']);
    const test = view.get(['healthcheck', 'test']);
    const testValue = test?.value;
    const none = Array.isArray(testValue) ? testValue[0] === 'NONE' : testValue === 'NONE';
    if (!health) add('healthcheck', 'no healthcheck');
    else if (disable?.value === true) add('healthcheck', 'its healthcheck is disabled', disable);
    else if (none) add('healthcheck', 'its healthcheck is disabled', test);

    const restart = view.get<string>(['restart']);
    const policy = view.get<Obj>(['deploy', 'restart_policy']);
    if ((!restart || restart.value === 'no') && !(policy && policy.value.condition !== 'none'))
      add('restart-policy', restart?.value === 'no' ? 'restart: "no"' : 'no restart policy', restart);
  }

  const memory = view.get(['deploy', 'resources', 'limits', 'memory']) ?? view.get(['mem_limit']);
  const cpus = view.get(['deploy', 'resources', 'limits', 'cpus']) ?? view.get(['cpus']);
  const missing = [!memory ? 'memory' : '', !cpus ? 'cpus' : ''].filter(Boolean);
  if (missing.length > 0) add('resource-limits', `no ${missing.join(' or ')} limit`);
  // 0 (and -1) is how Docker writes "no limit".
  for (const [what, limit] of [
    ['memory', memory],
    ['cpus', cpus],
  ] as const) {
    if (
      limit &&
      /^\s*(-1|0*\.?0*)\s*[a-z]*\s*$/i.test(String(limit.value)) &&
      /[0-9]/.test(String(limit.value))
    )
      add(
        'resource-limits',
        `${what} limit ${JSON.stringify(limit.value)} is no limit: Docker reads 0 as unlimited`,
        limit,
      );
  }

  const privileged = view.get(['privileged']);
  if (privileged?.value === true) add('privileged', 'privileged: true', privileged);
  const network = view.get(['network_mode']);
  if (network?.value === 'host') add('host-network', 'network_mode: host', network);
  // networks: [hostnet] where hostnet is `name: host` (external): the host's stack all the same.
  for (const entry of view.entries('networks')) {
    const names =
      typeof entry.value === 'string'
        ? [[entry.value, entry.path] as const]
        : entry.value && typeof entry.value === 'object'
          ? Object.keys(entry.value as Obj).map((key) => [key, [...entry.path, key]] as const)
          : [];
    for (const [name, path] of names)
      if (hostNetworks.has(name))
        add('host-network', `networks: ${name} is the host network (name: host)`, {
          ...entry,
          path: [...path],
        });
  }
  const pid = view.get(['pid']);
  if (pid?.value === 'host')
    add('host-pid', 'pid: host — it sees and can signal every process on the host', pid);

  for (const [key, entry] of view.environment()) {
    // A known token format is a credential whatever the name, also as a ${VAR:-default}.
    const token = tokenIn(entry.value);
    if (token)
      add(
        'inline-secret',
        `${key} holds a ${token.label}${entry.value.includes('${') ? ' (as the default of a variable)' : ''} written in the file (${mask(token.value)})`,
        entry,
      );
    else if ((SECRET_NAME.test(key) || SECRET_KEY_NAME.test(key)) && !isReference(entry.value))
      add('inline-secret', `${key} is written in the file (${mask(entry.value)})`, entry);
  }

  for (const key of ['command', 'entrypoint']) {
    const value = view.get<unknown>([key]);
    if (!value) continue;
    const parts = Array.isArray(value.value) ? value.value.map(String) : [String(value.value)];
    // In list form the secret is the element after the flag (or the flag's own `=value`).
    const reported = new Set<number>();
    parts.forEach((part, index) => {
      if (reported.has(index)) return;
      // A flag alone in its element: its value is the next element.
      const paired = Array.isArray(value.value) && parts[index + 1] !== undefined && /^--?[\w-]+$/.test(part);
      const token = tokenIn(part);
      const secret = token
        ? { what: `a ${token.label}`, value: token.value }
        : commandSecret(paired ? `${part} ${parts[index + 1]}` : part);
      if (!secret) return;
      const at = paired || parts.length > 1 ? index + (paired ? 1 : 0) : undefined;
      reported.add(index).add(at ?? index);
      add(
        'inline-secret',
        `${key}: ${secret.what} is written in the file (${mask(secret.value)})`,
        Array.isArray(value.value) && at !== undefined ? { ...value, path: [...value.path, at] } : value,
      );
    });
  }

  const image = view.get<unknown>(['image']);
  if (image && typeof image.value === 'string' && !view.get(['build'])) {
    const written = image.value;
    const marker = '\u0000';
    const reference = parseImage(interpolate(written, marker));
    const setAtDeploy =
      reference.tag?.includes(marker) ||
      reference.digest?.includes(marker) ||
      (!reference.tag && !reference.digest && reference.repository.includes(marker));
    // model${TAG}: with TAG unset (no default) the reference has no tag at all.
    const unset = parseImage(interpolate(written, ''));
    const variables = [...written.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
    if (
      setAtDeploy &&
      !reference.tag?.includes(marker) &&
      !reference.digest?.includes(marker) &&
      !unset.tag &&
      !unset.digest &&
      /[A-Za-z0-9]$/.test(interpolate(written, ''))
    )
      add(
        'image-tag',
        `image "${written}" has no tag when ${variables.join(', ')} ${variables.length === 1 ? 'is' : 'are'} unset (no default): it pulls latest`,
        image,
      );
    else if (!setAtDeploy && !reference.digest && (!reference.tag || reference.tag === 'latest')) {
      const viaDefault = written.includes('${') && reference.tag === 'latest' && !/:latest$/.test(written);
      add(
        'image-tag',
        `image "${written}" ${reference.tag ? (viaDefault ? 'uses :latest when the variable is unset' : 'uses :latest') : 'has no tag'}`,
        image,
      );
    }
  }

  const volumes = view.entries('volumes');
  for (const volume of volumes) {
    const { source, target } = volumeParts(volume.value);
    const socket = [source, target].find(
      (path) => typeof path === 'string' && RUNTIME_SOCKET.test(interpolate(path, '').replace(/^\/\//, '/')),
    );
    if (socket) {
      // Long syntax: point at the `source:` (or `target:`) line rather than the list item.
      const long = volume.value && typeof volume.value === 'object';
      const at = long
        ? { ...volume, path: [...volume.path, socket === source ? 'source' : 'target'] }
        : volume;
      add(
        'docker-socket',
        `mounts the container runtime socket ${interpolate(socket, '') || socket}: it controls every container and, through them, the host`,
        at,
      );
    }
  }
  if (modelMount) {
    const wanted = modelMount.replace(/\/$/, '');
    const mounted = volumes.some(({ value }) => {
      const target = volumeParts(value).target;
      return typeof target === 'string' && (target === modelMount || target.startsWith(`${wanted}/`));
    });
    if (!mounted) add('model-volume', `no volume is mounted at ${modelMount}`);
  }

  for (const entry of view.entries('cap_add')) {
    const capability = String(entry.value).toUpperCase().replace(/^CAP_/, '');
    if (DOCKER_DEFAULT_CAPABILITIES.has(capability)) continue;
    const risk = CAPABILITY_RISK[capability];
    add(
      'cap-add',
      `cap_add ${capability}${risk ? ` (${risk})` : " (not in Docker's default set: it widens what the container may do on the host)"}`,
      entry,
    );
  }
}

/** MINIO_SECRET_KEY, AWS_SECRET_KEY, SECRET_KEY: secret-like names the shared pattern misses. */
const SECRET_KEY_NAME = /(^|_)secret[_-]?key$/i;

/** Flags whose value is a credential: --requirepass (Redis), --password, --token, --api-key. */
const SECRET_FLAG =
  /(?:^|\s)(--?[\w-]*?(?:requirepass|password|passwd|token|api[-_]?key|secret[-_]?key|secret|auth[-_]?key))(?:=|\s+)(["']?)([^\s"']+)\2/i;
/** user:password@ in a URL. */
const URL_CREDENTIALS = /\b[a-z][\w+.-]*:\/\/[^\s:/@]+:([^\s@/]+)@/i;

/** A credential written literally in a command line; `$VAR`, `${VAR}` and `$$VAR` are references. */
export function commandSecret(text: string): { what: string; value: string } | undefined {
  const flag = SECRET_FLAG.exec(text);
  if (flag && !isReference(flag[3]!) && !/^\$/.test(flag[3]!))
    return { what: `the ${flag[1]} value`, value: flag[3]! };
  const url = URL_CREDENTIALS.exec(text);
  if (url && !/^\$/.test(url[1]!)) return { what: 'the password in a URL', value: url[1]! };
  return undefined;
}
