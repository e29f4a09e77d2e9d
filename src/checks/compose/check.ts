import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { IgnoreParam, LevelsParam, type RuleSet, rulesParam } from '../../rules/findings.js';
import { runIn } from '../_shared/run-module.js';

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
    {
      id: 'compose/host-ipc',
      title: "No service shares the host's IPC namespace",
      level: 'error',
      fix: 'Remove ipc: host. For PyTorch DataLoader workers set shm_size: 8g (or mount a tmpfs at /dev/shm); services that must share memory can use ipc: "service:NAME" or ipc: shareable.',
      refs: [
        'Polaris hostIPCSet, for compose',
        'CIS Docker Benchmark 5.16 (the host IPC namespace is not shared)',
        'https://docs.docker.com/reference/compose-file/services/#ipc',
      ],
    },
    {
      id: 'compose/userns-host',
      title: "No service leaves the daemon's user namespace remapping",
      level: 'error',
      fix: 'Remove userns_mode: host, so root in the container stays an unprivileged uid on the host where the daemon remaps users (userns-remap).',
      refs: [
        'CIS Docker Benchmark 5.30 (the host user namespace is not shared)',
        'https://docs.docker.com/engine/security/userns-remap/',
      ],
    },
    {
      id: 'compose/unconfined',
      title: 'No service turns off seccomp, AppArmor or SELinux confinement',
      level: 'error',
      fix: 'Remove seccomp:unconfined / apparmor:unconfined / label:disable from security_opt. If one system call is missing, give a seccomp profile that adds only it (security_opt: ["seccomp=./seccomp.json"]).',
      refs: [
        'CIS Docker Benchmark 5.21 (the default seccomp profile is not disabled) and 5.1 / 5.2 (AppArmor, SELinux)',
        'https://docs.docker.com/engine/security/seccomp/',
        'https://docs.docker.com/engine/security/apparmor/',
      ],
    },
    {
      id: 'compose/host-devices',
      title: "No service is given the host's raw memory, ports or disks",
      level: 'error',
      fix: 'Remove the device (/dev/mem, /dev/kmem, /dev/port, /dev/sda, /dev/nvme0n1 ...); accelerators such as /dev/nvidia0, /dev/dri or /dev/kfd are fine, and GPUs are better requested with deploy.resources.reservations.devices.',
      refs: [
        'CIS Docker Benchmark 5.17 (host devices are not directly exposed to containers)',
        'https://docs.docker.com/reference/compose-file/services/#devices',
      ],
    },
  ].map((rule) => ({ ...rule, level: rule.level as 'error' })),
};

export const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

const params = z.strictObject({
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
});

export type ComposeParams = z.output<typeof params>;

export default defineCheck({
  kind: 'compose',
  rules: RULES.rules,
  title: 'The compose file runs each service with health checks, restarts, limits and no inline secrets',
  description: [
    'Reads a Docker Compose file and applies rules to each service (or the ones in `services`):',
    'a healthcheck (not disabled), a restart policy, CPU and memory limits (deploy.resources or the',
    'legacy mem_limit/cpus), no `privileged`, no `network_mode: host`, no `pid: host`, no `ipc: host`,',
    'no `userns_mode: host`, no seccomp/AppArmor/SELinux turned off in `security_opt`, no raw host',
    'devices (/dev/mem, disks), no mounted Docker (or containerd, CRI-O, Podman) socket or a folder',
    "that holds it (/var/run, /run, /var, /), no `cap_add` beyond Docker's default capabilities,",
    'no secret-like environment values written inline (${VAR} references are fine) and no value in a',
    'known token format (GitHub, Hugging Face, AWS, OpenAI …, a ${VAR:-default} too) whatever its name,',
    'image tags that are not latest (a `${TAG:-latest}` default counts, and `model${TAG}` has no tag',
    'when TAG is unset). Values are read after interpolation, as Compose reads them: variables from the',
    '`.env` beside the compose file, else their `:-`/`-` defaults; a security setting left to a',
    'variable set only at deployment is reported; booleans take y/yes/on/true (any case) as true',
    '(and COMPOSE_FILE in .env picks the files when no `path` is given). Also',
    'limits of 0 are no limits, a network named host is host networking, and — with',
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
  params,
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
  run: runIn(() => import('./run.js')),
});
