/**
 * What the compose check does, imported when an item of the kind first runs: validating a
 * spec needs only the kind's definition (check.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import type { CheckContext, CheckOutcome } from '../../engine/types.js';
import {
  type Finding,
  isReference,
  mask,
  parseInlineIgnores,
  ruleOutcome,
  SECRET_NAME,
} from '../../rules/findings.js';
import { DEFAULT_CAPABILITIES } from '../../rules/capabilities.js';
import { parseImage } from '../../rules/image.js';
import { tokenIn } from '../kubernetes/secret-values.js';
import {
  type ComposeEnv,
  type ComposeFile,
  composeBool,
  interpolate,
  loadComposeFile,
  type Obj,
  oneShotServices,
  parseDotenv,
  ServiceView,
  serviceView,
  volumeParts,
} from './services.js';
import { type ComposeParams, DEFAULT_FILES, RULES } from './check.js';

/** What `docker compose` also reads, beside a default-named file, when no -f is given. */
const OVERRIDE_FILES = [
  'compose.override.yaml',
  'compose.override.yml',
  'docker-compose.override.yaml',
  'docker-compose.override.yml',
];

/** Adding a capability the runtime grants anyway changes nothing. */
const DOCKER_DEFAULT_CAPABILITIES = new Set(DEFAULT_CAPABILITIES);

const CAPABILITY_RISK: Record<string, string> = {
  ALL: 'every capability: as good as privileged',
  SYS_ADMIN: 'mounts, namespaces and much more: close to privileged',
  NET_ADMIN: 'reconfigures interfaces, routes and firewall rules',
  SYS_PTRACE: 'can trace and read the memory of other processes',
  SYS_MODULE: 'loads kernel modules',
};

/** Container runtime sockets: whoever can write to one controls the host. */
const RUNTIME_SOCKET = /(^|\/)(docker|containerd|crio|podman)\.sock$/;

export async function run(ctx: CheckContext, params: ComposeParams): Promise<CheckOutcome> {
  // COMPOSE_FILE in the project's .env picks the files when no -f is given, as `docker
  // compose` does (COMPOSE_PATH_SEPARATOR splits it, ':' by default).
  let composeFiles: string[] | undefined;
  if (!params.path) {
    const rootEnv = readEnvFile(ctx.resolve('.env'), '.env');
    if (typeof rootEnv === 'string') return { status: 'error', summary: rootEnv };
    const list = rootEnv?.get('COMPOSE_FILE');
    if (list) {
      const separator = rootEnv?.get('COMPOSE_PATH_SEPARATOR') || ':';
      composeFiles = list
        .split(separator)
        .map((file) => file.trim())
        .filter(Boolean)
        .map((file) => posix.normalize(file.replace(/\\/g, '/')));
      const missing = composeFiles.filter((file) => !existsSync(ctx.resolve(file)));
      if (composeFiles.length === 0 || missing.length > 0)
        return {
          status: 'error',
          summary: `.env sets COMPOSE_FILE=${list}, and ${missing.join(', ') || 'it names no file'} ${missing.length > 1 ? 'are' : 'is'} not found: the files docker compose reads cannot be judged`,
        };
    }
  }
  const candidates = params.path ? [params.path] : (composeFiles?.slice(0, 1) ?? DEFAULT_FILES);
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
  const folder = posix.dirname(found);
  // Interpolation reads the .env beside the compose file (the project directory).
  const envFile = folder === '.' ? '.env' : `${folder}/.env`;
  const dotenv = readEnvFile(ctx.resolve(envFile), envFile);
  if (typeof dotenv === 'string') return { status: 'error', summary: dotenv };
  const env: ComposeEnv = dotenv ?? new Map();
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
  // Files merged over the first, in order: COMPOSE_FILE's others, else the override file
  // beside a default-named file (as `docker compose` reads them when no -f is given).
  const overrides: ComposeFile[] = [];
  const overrideFiles = composeFiles
    ? composeFiles.slice(1)
    : DEFAULT_FILES.includes(posix.basename(found))
      ? [
          OVERRIDE_FILES.map((name) => (folder === '.' ? name : `${folder}/${name}`)).find((file) =>
            existsSync(ctx.resolve(file)),
          ),
        ].filter((file): file is string => !!file)
      : [];
  for (const overrideFile of overrideFiles) {
    const loaded = load(overrideFile);
    if ('problem' in loaded) return { status: 'error', summary: loaded.problem };
    overrides.push(loaded);
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
  const oneShot = oneShotServices(views.values(), env);
  const findings: Finding[] = [];
  for (const name of names)
    judgeService(views.get(name)!, oneShot.has(name), params.model_mount, findings, hostNetworks, env);
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
      ...(overrides.length ? { override_files: overrides.length } : {}),
      ...(notDeployed.length ? { services_not_deployed: notDeployed.length } : {}),
      ...(oneShot.size ? { one_shot_services: names.filter((n) => oneShot.has(n)).length } : {}),
    },
    evidence: [
      ...overrides.map((override) => ({
        type: 'text' as const,
        title: 'override file merged',
        text: composeFiles
          ? `${override.shown}: COMPOSE_FILE in .env names it after ${shown}, so its settings were judged as merged`
          : `${override.shown}: docker compose reads it over ${shown} when no -f is given, so its settings were judged as merged`,
      })),
      ...(dotenv
        ? [
            {
              type: 'text' as const,
              title: 'variables from .env',
              text: `${envFile}: ${dotenv.size} variable${dotenv.size === 1 ? '' : 's'}, used for \${VAR} in the compose files as docker compose uses them`,
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
}

function judgeService(
  view: ServiceView,
  oneShot: boolean,
  modelMount: string | undefined,
  findings: Finding[],
  hostNetworks: Set<string>,
  env: ComposeEnv,
): void {
  const add = (rule: string, message: string, at?: Parameters<ServiceView['where']>[0]) =>
    findings.push({
      rule: `compose/${rule}`,
      message: `service "${view.name}": ${message}`,
      ...view.where(at),
    });
  // Compose interpolates before it reads a value's type: judge what it will run.
  const text = (value: unknown) =>
    typeof value === 'string' ? interpolate(value, UNKNOWN, env) : value === undefined ? '' : String(value);
  const unknown = (value: unknown) => typeof value === 'string' && text(value).includes(UNKNOWN);
  /** A mode such as `network_mode: host`; a variable set only at deployment cannot be judged safe. */
  const mode = (key: string, rule: string, wanted: string, why: string) => {
    const entry = view.get([key]);
    if (!entry) return;
    if (text(entry.value).trim() === wanted)
      add(rule, `${key}: ${wanted}${written(entry.value)}${why}`, entry);
    else if (unknown(entry.value))
      add(
        rule,
        `${key}: ${String(entry.value)} is set only at deployment (no default, not in .env): it may be ${wanted}`,
        entry,
      );
  };

  if (!oneShot) {
    const health = view.get<Obj>(['healthcheck']);
    const disable = view.get(['healthcheck', 'disable']);
    const test = view.get(['healthcheck', 'test']);
    const testValue = test?.value;
    const none = Array.isArray(testValue) ? text(testValue[0]) === 'NONE' : text(testValue) === 'NONE';
    if (!health) add('healthcheck', 'no healthcheck');
    else if (disable && composeBool(disable.value, env) === true)
      add('healthcheck', `its healthcheck is disabled (disable: ${String(disable.value)})`, disable);
    else if (none) add('healthcheck', 'its healthcheck is disabled', test);

    const restart = view.get<unknown>(['restart']);
    const policy = view.get<Obj>(['deploy', 'restart_policy']);
    const restartValue = restart ? (restart.value === false ? 'no' : text(restart.value).trim()) : undefined;
    if (
      (!restart || restartValue === 'no') &&
      !(policy && text(policy.value.condition ?? 'any').trim() !== 'none')
    )
      add(
        'restart-policy',
        restartValue === 'no' ? `restart: "no"${written(restart?.value)}` : 'no restart policy',
        restart,
      );
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
    const value = limit ? text(limit.value) : '';
    if (limit && /^\s*(-1|0*\.?0*)\s*[a-z]*\s*$/i.test(value) && /[0-9]/.test(value))
      add(
        'resource-limits',
        `${what} limit ${JSON.stringify(typeof limit.value === 'string' ? value : limit.value)}${written(limit.value)} is no limit: Docker reads 0 as unlimited`,
        limit,
      );
  }

  const privileged = view.get(['privileged']);
  const isPrivileged = privileged ? composeBool(privileged.value, env) : false;
  // Only a value Compose reads as false is safe: unknown at deployment or unreadable is not.
  if (privileged && isPrivileged !== false)
    add(
      'privileged',
      isPrivileged === true
        ? `privileged: ${text(privileged.value)}${written(privileged.value)}`
        : isPrivileged === 'unknown'
          ? `privileged: ${String(privileged.value)} is set only at deployment (no default, not in .env): it may be true`
          : `privileged: ${JSON.stringify(privileged.value)} is not a boolean Compose reads as false`,
      privileged,
    );
  mode('network_mode', 'host-network', 'host', '');
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
  mode('pid', 'host-pid', 'host', ' — it sees and can signal every process on the host');
  mode(
    'ipc',
    'host-ipc',
    'host',
    " — it reads and writes the host's shared memory and message queues (for PyTorch's DataLoader, shm_size is enough)",
  );
  mode(
    'userns_mode',
    'userns-host',
    'host',
    " — it leaves the daemon's user-namespace remapping: root in the container is root on the host",
  );

  for (const entry of view.entries('security_opt')) {
    const option = text(entry.value).trim();
    const [name = '', value = ''] = option.split(/\s*[:=]\s*/, 2).map((part) => part.toLowerCase());
    const off =
      ((name === 'seccomp' || name === 'apparmor' || name === 'systempaths') && value === 'unconfined') ||
      (name === 'label' && value === 'disable');
    if (off)
      add(
        'unconfined',
        `security_opt ${String(entry.value)}${written(entry.value)}: ${UNCONFINED[name]}`,
        entry,
      );
    else if (unknown(entry.value))
      add(
        'unconfined',
        `security_opt ${String(entry.value)} is set only at deployment (no default, not in .env): it may turn confinement off`,
        entry,
      );
  }

  for (const entry of view.entries('devices')) {
    const raw = entry.value;
    const source =
      raw && typeof raw === 'object' ? text((raw as Obj).source) : text(raw).split(':')[0]!.trim();
    const device = posix.normalize(source || '/').replace(/(.)\/$/, '$1');
    const risk = rawDevice(device);
    if (risk) add('host-devices', `devices ${device}${written(raw)}: ${risk}`, entry);
    else if (unknown(typeof raw === 'string' ? raw : (raw as Obj | null)?.source))
      add(
        'host-devices',
        `devices ${String(source)} is set only at deployment (no default, not in .env): it may be a raw host device`,
        entry,
      );
  }
  for (const entry of view.entries('device_cgroup_rules')) {
    // 'a *:* rwm' or 'c *:* rwm': every device the container can see becomes usable.
    const rule = text(entry.value).trim();
    if (/^a\b/.test(rule) || /^[bc]\s+\*:\*/.test(rule) || /^[bc]\s+1:[1-4*]\b/.test(rule))
      add(
        'host-devices',
        `device_cgroup_rules "${rule}": lets the container use ${/^[bc]\s+1:/.test(rule) ? 'host memory devices' : 'any host device'} it can reach`,
        entry,
      );
  }

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
    const reference = parseImage(interpolate(written, marker, env));
    const setAtDeploy =
      reference.tag?.includes(marker) ||
      reference.digest?.includes(marker) ||
      (!reference.tag && !reference.digest && reference.repository.includes(marker));
    // model${TAG}: with TAG unset (no default) the reference has no tag at all.
    const unset = parseImage(interpolate(written, '', env));
    const variables = [...written.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
    if (
      setAtDeploy &&
      !reference.tag?.includes(marker) &&
      !reference.digest?.includes(marker) &&
      !unset.tag &&
      !unset.digest &&
      /[A-Za-z0-9]$/.test(interpolate(written, '', env))
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
    const { source, target, type } = volumeParts(volume.value);
    const host = (path: string | undefined) =>
      typeof path === 'string' ? interpolate(path, '', env).replace(/^\/\//, '/') : undefined;
    const socket = [source, target].find((path) => RUNTIME_SOCKET.test(host(path) ?? ''));
    // Long syntax: point at the `source:` (or `target:`) line rather than the list item.
    const long = volume.value && typeof volume.value === 'object';
    if (socket) {
      const at = long
        ? { ...volume, path: [...volume.path, socket === source ? 'source' : 'target'] }
        : volume;
      add(
        'docker-socket',
        `mounts the container runtime socket ${host(socket) || socket}: it controls every container and, through them, the host`,
        at,
      );
      continue;
    }
    // A folder that holds the socket (/var/run, /run, /var, /) hands it over all the same.
    const folder = host(source);
    if (folder && folder.startsWith('/') && (type === undefined || type === 'bind')) {
      const normal = posix.normalize(folder).replace(/(.)\/$/, '$1');
      if (SOCKET_FOLDERS.test(normal))
        add(
          'docker-socket',
          `bind-mounts the host's ${normal}${written(source)}, which holds the Docker socket (/var/run/docker.sock): whoever can write to it controls the host`,
          long ? { ...volume, path: [...volume.path, 'source'] } : volume,
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

/** What stands for a variable set only at deployment while a value is interpolated. */
const UNKNOWN = '\u0000';

/** How a value was written, when it came from interpolation: ` (from ${PRIV:-true})`. */
function written(value: unknown): string {
  return typeof value === 'string' && value.includes('$') ? ` (from ${value})` : '';
}

/** Host folders whose bind mount carries a container runtime socket with it. */
const SOCKET_FOLDERS =
  /^\/(|var|run|var\/run|(var\/)?run\/(docker|containerd|crio|podman|user(\/\d+(\/podman)?)?))$/;

const UNCONFINED: Record<string, string> = {
  seccomp:
    "no seccomp filter: every system call, mount and kernel keyring included, reaches the host's kernel",
  apparmor: 'no AppArmor profile: nothing stops writes to /proc and /sys or mounts',
  systempaths: "unmasks /proc and /sys paths that reach the host's kernel",
  label: "SELinux labels off: the container's processes are not confined by the host policy",
};

/** Host devices that give the raw machine: memory, I/O ports, disks, CPU registers. */
function rawDevice(device: string): string | undefined {
  if (device === '/dev') return 'every host device, its disks and memory included';
  if (/^\/dev\/(mem|kmem|port)$/.test(device))
    return "the host's physical memory or I/O ports: root on the host";
  if (/^\/dev\/cpu(\/|$)/.test(device)) return 'CPU model-specific registers of the host';
  if (
    /^\/dev\/((sd|hd|vd|xvd)[a-z]+\d*|nvme\d+(n\d+(p\d+)?)?|mmcblk\d+(p\d+)?|dm-\d+|md\d+|loop(\d+|-control)|sg\d+|sr\d+)$/.test(
      device,
    ) ||
    /^\/dev\/(disk|mapper)(\/|$)/.test(device)
  )
    return "a raw host disk: it reads and writes the host's filesystems under every permission check";
  return undefined;
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

/** A .env file's variables; undefined when there is none, a message when it cannot be read. */
function readEnvFile(absolute: string, shown: string): Map<string, string> | string | undefined {
  if (!existsSync(absolute)) return undefined;
  try {
    return parseDotenv(readFileSync(absolute, 'utf8'));
  } catch (error) {
    return `${shown}: cannot read the .env file docker compose interpolates with: ${(error as Error).message}`;
  }
}
