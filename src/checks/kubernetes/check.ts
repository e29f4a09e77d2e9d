import { readFileSync } from 'node:fs';
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
  SECRET_NAME,
} from '../../rules/findings.js';
import { expandPaths } from '../../util/walk.js';
import { YamlSource } from '../../util/yaml-source.js';
import { parseImage } from '../../rules/image.js';

export const RULES: RuleSet = {
  prefix: 'kubernetes',
  rules: [
    {
      id: 'kubernetes/readiness-probe',
      title: 'Serving pods have a readiness probe',
      level: 'error',
      fix: 'readinessProbe: {httpGet: {path: /ready, port: http}} — ready only once the model is loaded.',
      refs: [
        'kube-score pod-probes (kube-score skips pods no Service targets; we judge every long-running workload)',
      ],
    },
    {
      id: 'kubernetes/liveness-probe',
      title: 'Serving pods have a liveness probe',
      level: 'error',
      fix: 'livenessProbe: {httpGet: {path: /health, port: http}}, distinct from the readiness probe.',
      refs: ['kube-score pod-probes (kube-score only warns for a missing liveness probe)'],
    },
    {
      id: 'kubernetes/probes-identical',
      title: 'Readiness and liveness probes differ',
      level: 'error',
      fix: 'Point liveness at a cheap "alive" endpoint and readiness at "ready to serve".',
      refs: ['kube-score pod-probes-identical'],
    },
    {
      id: 'kubernetes/startup-probe',
      title: 'A slow-loading model has a startup probe',
      level: 'error',
      fix: 'startupProbe: {httpGet: {path: /ready, port: http}, failureThreshold: 30, periodSeconds: 10}',
      refs: [],
    },
    {
      id: 'kubernetes/resources',
      title: 'Containers set CPU and memory requests and limits',
      level: 'error',
      fix: 'resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: "2", memory: 2Gi}}',
      refs: ['kube-score container-resources'],
    },
    {
      id: 'kubernetes/image-tag',
      title: 'Images name an explicit tag that is not latest',
      level: 'error',
      fix: 'image: registry/model-server:1.4.2 (or @sha256:...)',
      refs: ['kube-score container-image-tag'],
    },
    {
      id: 'kubernetes/run-as-non-root',
      title: 'Containers run as non-root',
      level: 'error',
      fix: 'securityContext: {runAsNonRoot: true, runAsUser: 10001}',
      refs: [
        'kube-score container-security-context-user-group-id (kube-score wants UID/GID > 10000; we want a non-root user)',
      ],
    },
    {
      id: 'kubernetes/read-only-root-fs',
      title: 'Containers have a read-only root filesystem',
      level: 'error',
      fix: 'securityContext: {readOnlyRootFilesystem: true}; mount an emptyDir for scratch space.',
      refs: ['kube-score container-security-context-readonlyrootfilesystem'],
    },
    {
      id: 'kubernetes/no-privilege-escalation',
      title: 'Containers forbid privilege escalation',
      level: 'error',
      fix: 'securityContext: {allowPrivilegeEscalation: false}',
      refs: [],
    },
    {
      id: 'kubernetes/privileged',
      title: 'No privileged containers',
      level: 'error',
      fix: 'Remove securityContext.privileged: true.',
      refs: ['kube-score container-security-context-privileged'],
    },
    {
      id: 'kubernetes/drop-capabilities',
      title: 'Containers drop ALL capabilities',
      level: 'error',
      fix: 'securityContext: {capabilities: {drop: [ALL]}}',
      refs: [],
    },
    {
      id: 'kubernetes/replicas',
      title: 'Serving workloads run enough replicas',
      level: 'error',
      fix: 'replicas: 2 (or an HPA with minReplicas: 2).',
      refs: ['kube-score deployment-replicas', 'kube-score horizontalpodautoscaler-replicas'],
    },
    {
      id: 'kubernetes/hpa',
      title: 'A HorizontalPodAutoscaler targets each serving workload',
      level: 'error',
      fix: 'Add an autoscaling/v2 HorizontalPodAutoscaler whose scaleTargetRef names the Deployment.',
      refs: ['kube-score horizontalpodautoscaler-has-target'],
    },
    {
      id: 'kubernetes/pdb',
      title: 'A PodDisruptionBudget with a policy selects each serving workload',
      level: 'error',
      fix: 'Add a policy/v1 PodDisruptionBudget with minAvailable: 1 selecting the pods.',
      refs: ['kube-score deployment-has-poddisruptionbudget', 'kube-score poddisruptionbudget-has-policy'],
    },
    {
      id: 'kubernetes/service',
      title: 'A Service selects each serving workload, and every Service selects pods',
      level: 'error',
      fix: 'Add a Service whose selector matches the pod labels.',
      refs: ['kube-score service-targets-pod'],
    },
    {
      id: 'kubernetes/network-policy',
      title: "A NetworkPolicy selects each workload's pods",
      level: 'error',
      fix: 'Add a NetworkPolicy whose podSelector matches the pods, allowing only the traffic they need.',
      refs: ['kube-score pod-networkpolicy'],
    },
    {
      id: 'kubernetes/ingress-tls',
      title: 'Ingresses terminate TLS',
      level: 'error',
      fix: 'spec.tls: [{hosts: [...], secretName: ...}]',
      refs: [],
    },
    {
      id: 'kubernetes/inline-secret',
      title: 'Secrets come from Secret objects, not inline env values',
      level: 'error',
      fix: 'env: [{name: API_TOKEN, valueFrom: {secretKeyRef: {name: model-api, key: token}}}]',
      refs: [],
    },
  ],
};

type Obj = Record<string, unknown>;
interface Resource {
  kind: string;
  name: string;
  namespace: string;
  data: Obj;
  source: YamlSource;
  /** Path to this object within its document (for List items). */
  base: Array<string | number>;
  file: string;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);
const SERVING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Pod']);
const SCALABLE = new Set(['Deployment', 'StatefulSet']);

/** The three probe types, the rule that requires each, and what is lost without it. */
const PROBES = {
  readiness: {
    field: 'readinessProbe',
    rule: 'readiness-probe',
    why: 'traffic arrives before the model is loaded',
  },
  liveness: { field: 'livenessProbe', rule: 'liveness-probe', why: 'a hung server is never restarted' },
  startup: {
    field: 'startupProbe',
    rule: 'startup-probe',
    why: 'a slow model load can trip the liveness probe into a restart loop',
  },
} as const;
type ProbeType = keyof typeof PROBES;
const PROBE_TYPES = Object.keys(PROBES) as ProbeType[];

/** The probes a spec requires: require_probes, or liveness and readiness; startup too with slow_start. */
function requiredProbes(params: { require_probes?: ProbeType[]; slow_start: boolean }): ProbeType[] {
  const required = new Set<ProbeType>(params.require_probes ?? ['liveness', 'readiness']);
  if (params.slow_start) required.add('startup');
  return PROBE_TYPES.filter((type) => required.has(type));
}

/** "startup-probe" or "kubernetes/startup-probe" → the full rule id. */
const fullRuleId = (rule: string) => (rule.startsWith('kubernetes/') ? rule : `kubernetes/${rule}`);

const get = (value: unknown, ...path: Array<string | number>): unknown =>
  path.reduce<unknown>(
    (current, key) => (current && typeof current === 'object' ? (current as Obj)[key as string] : undefined),
    value,
  );
const list = (value: unknown): Obj[] =>
  Array.isArray(value) ? (value.filter((v) => v && typeof v === 'object') as Obj[]) : [];

export default defineCheck({
  kind: 'kubernetes',
  title: 'Kubernetes manifests run the model safely: probes, resources, security, scaling, network',
  description: [
    'Reads Kubernetes manifests (multi-document YAML, List objects, every workload kind) and applies',
    'rules, each with an id, file:line and a fix: the probes `require_probes` lists on every serving',
    'workload (liveness and readiness by default, startup too with `slow_start`), naming the container',
    'that lacks one, with a table of which container has which probe; readiness and liveness probes',
    'that differ; CPU/memory requests and limits; image tags pinned, not latest;',
    'runAsNonRoot, readOnlyRootFilesystem, allowPrivilegeEscalation: false, no privileged, drop ALL',
    'capabilities; replicas >= `min_replicas` (or an HPA with that minimum); an HPA, a PDB with a policy,',
    'a Service and a NetworkPolicy selecting each serving workload (label selectors evaluated, namespaces',
    'respected); Ingresses with TLS; secret-like env values from Secret objects, not inline. Rules map to',
    "kube-score's checks where one exists (`refs`). Ignore one place with `# mlgate-ignore",
    'kubernetes/RULE: reason` above the line. No manifests found is nothing to judge; a file that does',
    'not parse is an error with its line.',
  ].join(' '),
  params: z
    .strictObject({
      paths: z
        .union([z.string(), z.array(z.string()).min(1)])
        .transform((v) => (Array.isArray(v) ? v : [v]))
        .describe('Manifest files, folders (their .yaml/.yml files) or globs.'),
      min_replicas: z
        .number()
        .int()
        .min(1)
        .default(2)
        .describe('Fewest replicas a serving workload may run.'),
      slow_start: z
        .boolean()
        .default(false)
        .describe('The model loads slowly: require a startupProbe (adds startup to require_probes).'),
      require_probes: z
        .array(z.enum(['liveness', 'readiness', 'startup']))
        .optional()
        .describe(
          'Probe types every serving workload must have (some container of its pod); default [liveness, readiness], plus startup with slow_start. A type not listed is not required.',
        ),
      ignore: IgnoreParam,
      levels: LevelsParam,
    })
    .superRefine((params, ctx) => {
      const known = new Set(RULES.rules.map((rule) => rule.id));
      for (const [rule, level] of Object.entries(params.levels)) {
        if (!known.has(fullRuleId(rule))) {
          ctx.addIssue({
            code: 'custom',
            path: ['levels', rule],
            message: `unknown rule "${rule}" (known: ${[...known].join(', ')})`,
          });
        } else if (level === 'off') {
          const type = PROBE_TYPES.find((probe) => `kubernetes/${PROBES[probe].rule}` === fullRuleId(rule));
          // Turning off a probe required only by default is how specs opted out before require_probes.
          const asked =
            type && (params.require_probes?.includes(type) || (type === 'startup' && params.slow_start));
          if (asked)
            ctx.addIssue({
              code: 'custom',
              path: ['levels', rule],
              message: `${type} probes are required (${params.require_probes?.includes(type) ? 'require_probes' : 'slow_start'}) and this turns their rule off; drop one of the two`,
            });
        }
      }
    }),
  examples: [
    { title: 'Production manifests', params: { paths: 'k8s/', min_replicas: 2 } },
    {
      title: 'A large model that takes minutes to load',
      params: { paths: ['deploy/model.yaml', 'deploy/network.yaml'], slow_start: true },
    },
    {
      title: 'Liveness, readiness and startup probes, each required',
      params: { paths: 'k8s/', require_probes: ['liveness', 'readiness', 'startup'] },
    },
  ],
  async run(ctx, params) {
    const { files, missing } = expandPaths(ctx.root, params.paths, /\.ya?ml$/i);
    const required = requiredProbes(params);
    // A probe type that is not required is off, unless levels says otherwise; levels may use short ids.
    const levels: Record<string, 'error' | 'warning' | 'off'> = {};
    for (const type of PROBE_TYPES)
      if (!required.includes(type)) levels[`kubernetes/${PROBES[type].rule}`] = 'off';
    for (const [rule, level] of Object.entries(params.levels)) levels[fullRuleId(rule)] = level;
    if (files.length === 0) {
      return ruleOutcome({
        ruleset: RULES,
        findings: [],
        inline: [],
        spec: params.ignore,
        levels,
        judged: [],
        nothing: `no manifests found at ${params.paths.join(', ')}${missing.length ? ` (missing: ${missing.join(', ')})` : ''}`,
      });
    }
    const resources: Resource[] = [];
    const findings: Finding[] = [];
    const inline: ReturnType<typeof parseInlineIgnores>['ignores'] = [];
    for (const file of files) {
      const text = readFileSync(ctx.resolve(file), 'utf8');
      const documents = YamlSource.all(file, text);
      for (const source of documents) {
        const problem = source.syntaxProblems[0];
        if (problem)
          return {
            status: 'error',
            summary: `${file}:${problem.line}:${problem.column}: not valid YAML: ${problem.message}`,
          };
        const data = source.toJS();
        if (!data || typeof data !== 'object') continue;
        const add = (object: Obj, base: Array<string | number>) => {
          const kind = String(object.kind ?? '');
          if (kind === 'List') {
            list(object.items).forEach((item, index) => add(item, [...base, 'items', index]));
            return;
          }
          if (!kind) return;
          resources.push({
            kind,
            name: String(get(object, 'metadata', 'name') ?? '(unnamed)'),
            namespace: String(get(object, 'metadata', 'namespace') ?? 'default'),
            data: object,
            source,
            base,
            file,
          });
        };
        add(data as Obj, []);
      }
      const parsed = parseInlineIgnores(file, text.split(/\r?\n/), 'kubernetes');
      inline.push(...parsed.ignores);
      findings.push(...parsed.problems);
    }
    if (resources.length === 0) {
      return ruleOutcome({
        ruleset: RULES,
        findings: [],
        inline: [],
        spec: params.ignore,
        levels,
        judged: files,
        nothing: `no Kubernetes objects in ${files.join(', ')}`,
      });
    }

    const finding = (
      resource: Resource,
      rule: string,
      message: string,
      path: Array<string | number> = [],
    ) => {
      const position = resource.source.locate([...resource.base, ...path]);
      findings.push({
        rule: `kubernetes/${rule}`,
        message: `${resource.kind}/${resource.name}: ${message}`,
        path: resource.file,
        line: position.line,
        excerpt: resource.source.lines[position.line - 1]?.trim(),
      });
    };

    const byKind = (kind: string) => resources.filter((r) => r.kind === kind);
    const services = byKind('Service');
    const pdbs = [...byKind('PodDisruptionBudget')];
    const hpas = byKind('HorizontalPodAutoscaler');
    const policies = byKind('NetworkPolicy');
    const workloads = resources.filter((r) => WORKLOADS.has(r.kind));
    const podTemplates = new Map<
      Resource,
      { labels: Record<string, string>; spec: Obj; specPath: Array<string | number> }
    >();
    for (const workload of workloads) {
      const templatePath =
        workload.kind === 'Pod'
          ? []
          : workload.kind === 'CronJob'
            ? ['spec', 'jobTemplate', 'spec', 'template']
            : ['spec', 'template'];
      const template = templatePath.length ? get(workload.data, ...templatePath) : workload.data;
      podTemplates.set(workload, {
        labels: (get(template, 'metadata', 'labels') ?? {}) as Record<string, string>,
        spec: (get(template, 'spec') ?? {}) as Obj,
        specPath: [...templatePath, 'spec'],
      });
    }

    const probeRows: Array<Array<string | number>> = [];
    for (const workload of workloads) {
      const { labels, spec, specPath } = podTemplates.get(workload)!;
      const containers = list(spec.containers);
      const initContainers = list(spec.initContainers);
      const serving = SERVING.has(workload.kind);
      const podSecurity = (spec.securityContext ?? {}) as Obj;

      if (serving) {
        for (const type of PROBE_TYPES) {
          const { field, rule, why } = PROBES[type];
          if (containers.some((container) => container[field])) continue;
          // Name the container(s) and point at the first: that is where the probe goes.
          const names = containers.map((container) => `"${String(container.name ?? '(unnamed)')}"`);
          finding(
            workload,
            rule,
            names.length === 1
              ? `container ${names[0]} has no ${field}: ${why}`
              : names.length === 0
                ? `the pod has no containers, so no ${field}`
                : `no container (${names.join(', ')}) has a ${field}: ${why}`,
            names.length === 0 ? specPath : [...specPath, 'containers', 0],
          );
        }
        containers.forEach((container, index) => {
          if (
            container.readinessProbe &&
            container.livenessProbe &&
            sameProbe(container.readinessProbe as Obj, container.livenessProbe as Obj)
          ) {
            finding(
              workload,
              'probes-identical',
              `container "${container.name}" uses the same readiness and liveness probe`,
              [...specPath, 'containers', index, 'livenessProbe'],
            );
          }
        });
        containers.forEach((container, index) => {
          const at = workload.source.locate([...workload.base, ...specPath, 'containers', index]);
          probeRows.push([
            `${workload.file}:${at.line}`,
            `${workload.kind}/${workload.name}`,
            String(container.name ?? '(unnamed)'),
            ...PROBE_TYPES.map((type) => (container[PROBES[type].field] ? 'yes' : 'no')),
          ]);
        });
      }

      const everyContainer = [
        ...containers.map((container, index) => ({ container, path: [...specPath, 'containers', index] })),
        ...initContainers.map((container, index) => ({
          container,
          path: [...specPath, 'initContainers', index],
        })),
      ];
      for (const { container, path } of everyContainer) {
        const name = `container "${container.name}"`;
        const resources = (container.resources ?? {}) as Obj;
        const absent = ['requests', 'limits'].flatMap((kind) =>
          ['cpu', 'memory'].filter((r) => get(resources, kind, r) === undefined).map((r) => `${kind}.${r}`),
        );
        if (absent.length > 0) finding(workload, 'resources', `${name} has no ${absent.join(', ')}`, path);
        const image = String(container.image ?? '');
        const reference = parseImage(image);
        if (!image) finding(workload, 'image-tag', `${name} has no image`, path);
        else if (!reference.digest && (!reference.tag || reference.tag === 'latest'))
          finding(
            workload,
            'image-tag',
            `${name} image "${image}" ${reference.tag ? 'uses :latest' : 'has no tag'}`,
            [...path, 'image'],
          );
        const security = (container.securityContext ?? {}) as Obj;
        const effective = (key: string) => (security[key] !== undefined ? security[key] : podSecurity[key]);
        const runAsUser = effective('runAsUser');
        const nonRoot =
          effective('runAsNonRoot') === true
            ? runAsUser !== 0
            : typeof runAsUser === 'number' && runAsUser > 0;
        // Security findings point into securityContext (or at the missing field's nearest parent).
        const at = (field: string) => [...path, 'securityContext', field];
        if (!nonRoot) {
          finding(
            workload,
            'run-as-non-root',
            runAsUser === 0
              ? `${name} runs as UID 0`
              : `${name} does not set runAsNonRoot: true (nor a non-zero runAsUser)`,
            at('runAsUser'),
          );
        }
        if (security.readOnlyRootFilesystem !== true)
          finding(
            workload,
            'read-only-root-fs',
            `${name} has a writable root filesystem`,
            at('readOnlyRootFilesystem'),
          );
        if (security.allowPrivilegeEscalation !== false)
          finding(
            workload,
            'no-privilege-escalation',
            `${name} does not set allowPrivilegeEscalation: false`,
            at('allowPrivilegeEscalation'),
          );
        if (security.privileged === true)
          finding(workload, 'privileged', `${name} is privileged`, [
            ...path,
            'securityContext',
            'privileged',
          ]);
        const drop = (get(security, 'capabilities', 'drop') ?? []) as unknown[];
        if (!drop.some((c) => String(c).toUpperCase() === 'ALL'))
          finding(
            workload,
            'drop-capabilities',
            `${name} does not drop ALL capabilities`,
            at('capabilities'),
          );
        list(container.env).forEach((variable, index) => {
          const value = variable.value;
          if (
            typeof variable.name === 'string' &&
            SECRET_NAME.test(variable.name) &&
            typeof value === 'string' &&
            !isReference(value)
          ) {
            finding(
              workload,
              'inline-secret',
              `${name} sets ${variable.name} inline (${mask(value)}): use valueFrom.secretKeyRef`,
              [...path, 'env', index, 'value'],
            );
          }
        });
      }

      if (SCALABLE.has(workload.kind)) {
        const hpa = hpas.find(
          (h) =>
            h.namespace === workload.namespace &&
            get(h.data, 'spec', 'scaleTargetRef', 'kind') === workload.kind &&
            get(h.data, 'spec', 'scaleTargetRef', 'name') === workload.name,
        );
        if (hpa) {
          const min = Number(get(hpa.data, 'spec', 'minReplicas') ?? 1);
          if (min < params.min_replicas)
            finding(
              hpa,
              'replicas',
              `minReplicas ${min} < ${params.min_replicas} for ${workload.kind}/${workload.name}`,
              ['spec'],
            );
        } else {
          const replicas = Number(get(workload.data, 'spec', 'replicas') ?? 1);
          if (replicas < params.min_replicas)
            finding(
              workload,
              'replicas',
              `${replicas} replica${replicas === 1 ? '' : 's'} < ${params.min_replicas}: one node failure takes the model down`,
              ['spec'],
            );
          finding(workload, 'hpa', 'no HorizontalPodAutoscaler targets it', []);
        }
      }
      if (serving && workload.kind !== 'Pod') {
        const pdb = pdbs.find(
          (p) => p.namespace === workload.namespace && selects(get(p.data, 'spec', 'selector'), labels),
        );
        if (!pdb) finding(workload, 'pdb', 'no PodDisruptionBudget selects its pods', []);
        else if (
          get(pdb.data, 'spec', 'minAvailable') === undefined &&
          get(pdb.data, 'spec', 'maxUnavailable') === undefined
        ) {
          finding(pdb, 'pdb', 'has neither minAvailable nor maxUnavailable', ['spec']);
        }
        if (
          !services.some(
            (s) => s.namespace === workload.namespace && matchesMap(get(s.data, 'spec', 'selector'), labels),
          )
        ) {
          finding(workload, 'service', 'no Service selects its pods', []);
        }
      }
      if (
        !policies.some(
          (p) => p.namespace === workload.namespace && selects(get(p.data, 'spec', 'podSelector'), labels),
        )
      ) {
        finding(
          workload,
          'network-policy',
          'no NetworkPolicy selects its pods: every pod in the cluster can reach it',
          [],
        );
      }
    }

    for (const service of services) {
      const selector = get(service.data, 'spec', 'selector');
      if (!selector || get(service.data, 'spec', 'type') === 'ExternalName') continue;
      const targets = workloads.some(
        (w) => w.namespace === service.namespace && matchesMap(selector, podTemplates.get(w)!.labels),
      );
      if (!targets)
        finding(
          service,
          'service',
          `selector ${JSON.stringify(selector)} matches no pod in these manifests`,
          ['spec', 'selector'],
        );
    }
    for (const hpa of hpas) {
      const kind = get(hpa.data, 'spec', 'scaleTargetRef', 'kind');
      const name = get(hpa.data, 'spec', 'scaleTargetRef', 'name');
      if (!resources.some((r) => r.kind === kind && r.name === name && r.namespace === hpa.namespace)) {
        finding(hpa, 'hpa', `scaleTargetRef ${String(kind)}/${String(name)} is not in these manifests`, [
          'spec',
          'scaleTargetRef',
        ]);
      }
    }
    for (const ingress of byKind('Ingress')) {
      if (list(get(ingress.data, 'spec', 'tls')).length === 0)
        finding(ingress, 'ingress-tls', 'has no spec.tls: traffic to the model is not encrypted', ['spec']);
    }

    return ruleOutcome({
      ruleset: RULES,
      findings,
      inline,
      spec: params.ignore,
      levels,
      judged: files,
      measured: { objects: resources.length, workloads: workloads.length },
      evidence: [
        {
          type: 'table',
          title: 'objects read',
          columns: ['file', 'kind', 'namespace', 'name'],
          rows: resources.map((r) => [r.file, r.kind, r.namespace, r.name]),
        },
        ...(probeRows.length
          ? [
              {
                type: 'table' as const,
                title: `probes of serving containers (required: ${required.join(', ') || 'none'})`,
                columns: ['at', 'workload', 'container', ...PROBE_TYPES],
                rows: probeRows,
              },
            ]
          : []),
      ],
    });
  },
});

/** kube-score's notion of identical probes: same HTTP path and port, TCP port, or command. */
function sameProbe(a: Obj, b: Obj): boolean {
  if (a.httpGet && b.httpGet)
    return (
      get(a, 'httpGet', 'path') === get(b, 'httpGet', 'path') &&
      String(get(a, 'httpGet', 'port')) === String(get(b, 'httpGet', 'port'))
    );
  if (a.tcpSocket && b.tcpSocket)
    return String(get(a, 'tcpSocket', 'port')) === String(get(b, 'tcpSocket', 'port'));
  if (a.exec && b.exec)
    return JSON.stringify(get(a, 'exec', 'command')) === JSON.stringify(get(b, 'exec', 'command'));
  if (a.grpc && b.grpc) return JSON.stringify(a.grpc) === JSON.stringify(b.grpc);
  return false;
}

/** A Service selector: every key/value present in the labels. */
function matchesMap(selector: unknown, labels: Record<string, string>): boolean {
  if (!selector || typeof selector !== 'object') return false;
  const entries = Object.entries(selector as Record<string, unknown>);
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === String(value));
}

/** A LabelSelector (matchLabels and matchExpressions); an empty selector selects every pod. */
function selects(selector: unknown, labels: Record<string, string>): boolean {
  if (selector === undefined || selector === null) return false;
  const matchLabels = (get(selector, 'matchLabels') ?? {}) as Record<string, unknown>;
  const expressions = list(get(selector, 'matchExpressions'));
  if (!Object.entries(matchLabels).every(([key, value]) => labels[key] === String(value))) return false;
  return expressions.every((expression) => {
    const key = String(expression.key);
    const values = (Array.isArray(expression.values) ? expression.values : []).map(String);
    switch (expression.operator) {
      case 'In':
        return key in labels && values.includes(labels[key]!);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]!);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        return false;
    }
  });
}
