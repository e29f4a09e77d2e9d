import { existsSync, readFileSync } from 'node:fs';
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
import { parseImage } from '../../rules/image.js';
import { YamlSource } from '../../util/yaml-source.js';

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
  ].map((rule) => ({ ...rule, level: rule.level as 'error' })),
};

const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
type Obj = Record<string, unknown>;

export default defineCheck({
  kind: 'compose',
  title: 'The compose file runs each service with health checks, restarts, limits and no inline secrets',
  description: [
    'Reads a Docker Compose file and applies rules to each service (or the ones in `services`):',
    'a healthcheck (not disabled), a restart policy, CPU and memory limits (deploy.resources or the',
    'legacy mem_limit/cpus), no `privileged`, no `network_mode: host`, no secret-like environment',
    'values written inline (${VAR} references are fine), image tags that are not latest, and — with',
    '`model_mount` — a volume mounted at the model path. Findings carry file:line; ignore one place',
    'with `# mlgate-ignore compose/RULE: reason` above the line.',
  ].join(' '),
  params: z.strictObject({
    path: z
      .string()
      .optional()
      .describe(`The compose file (default: the first of ${DEFAULT_FILES.join(', ')}).`),
    services: z.array(z.string()).optional().describe('Only these services (default: all).'),
    model_mount: z.string().optional().describe('Container path the model must be mounted at, e.g. /models.'),
    ignore: IgnoreParam,
    levels: LevelsParam,
  }),
  examples: [
    {
      title: 'The model service and its cache',
      params: { path: 'compose.yaml', services: ['model'], model_mount: '/models' },
    },
  ],
  async run(ctx, params) {
    const candidates = params.path ? [params.path] : DEFAULT_FILES;
    const found = candidates.find((file) => existsSync(ctx.resolve(file)));
    if (!found) {
      return ruleOutcome({
        ruleset: RULES,
        findings: [],
        inline: [],
        spec: params.ignore,
        levels: params.levels,
        judged: [],
        nothing: `no compose file (${candidates.join(', ')})`,
      });
    }
    const shown = ctx.display(ctx.resolve(found));
    const text = readFileSync(ctx.resolve(found), 'utf8');
    const source = new YamlSource(shown, text);
    const problem = source.syntaxProblems[0];
    if (problem)
      return {
        status: 'error',
        summary: `${shown}:${problem.line}:${problem.column}: not valid YAML: ${problem.message}`,
      };
    const services = ((source.toJS() as Obj | undefined)?.services ?? {}) as Record<string, Obj>;
    const names = Object.keys(services).filter((name) => !params.services || params.services.includes(name));
    const unknown = (params.services ?? []).filter((name) => !(name in services));
    if (unknown.length > 0)
      return {
        status: 'error',
        summary: `${shown} has no service ${unknown.join(', ')} (services: ${Object.keys(services).join(', ')})`,
      };
    if (names.length === 0) {
      return ruleOutcome({
        ruleset: RULES,
        findings: [],
        inline: [],
        spec: params.ignore,
        levels: params.levels,
        judged: [shown],
        nothing: `${shown} defines no services`,
      });
    }
    const findings: Finding[] = [];
    const add = (service: string, rule: string, message: string, path: Array<string | number> = []) => {
      const position = source.locate(['services', service, ...path]);
      findings.push({
        rule: `compose/${rule}`,
        message: `service "${service}": ${message}`,
        path: shown,
        line: position.line,
        excerpt: source.lines[position.line - 1]?.trim(),
      });
    };
    for (const name of names) {
      const service = services[name] ?? {};
      const health = service.healthcheck as Obj | undefined;
      if (!health || health.disable === true || (Array.isArray(health.test) && health.test[0] === 'NONE')) {
        add(
          name,
          'healthcheck',
          health ? 'its healthcheck is disabled' : 'no healthcheck',
          health ? ['healthcheck'] : [],
        );
      }
      const restart = service.restart as string | undefined;
      const policy = (service.deploy as Obj | undefined)?.restart_policy as Obj | undefined;
      if ((!restart || restart === 'no') && !(policy && policy.condition !== 'none'))
        add(
          name,
          'restart-policy',
          restart === 'no' ? 'restart: "no"' : 'no restart policy',
          restart ? ['restart'] : [],
        );
      const limits = ((service.deploy as Obj | undefined)?.resources as Obj | undefined)?.limits as
        Obj | undefined;
      const missing = [
        limits?.memory === undefined && service.mem_limit === undefined ? 'memory' : '',
        limits?.cpus === undefined && service.cpus === undefined ? 'cpus' : '',
      ].filter(Boolean);
      if (missing.length > 0) add(name, 'resource-limits', `no ${missing.join(' or ')} limit`);
      if (service.privileged === true) add(name, 'privileged', 'privileged: true', ['privileged']);
      if (service.network_mode === 'host') add(name, 'host-network', 'network_mode: host', ['network_mode']);
      const environment = service.environment;
      const pairs: Array<[string, string, Array<string | number>]> = Array.isArray(environment)
        ? environment.map((entry, index) => {
            const [key, ...rest] = String(entry).split('=');
            return [key!, rest.join('='), ['environment', index]];
          })
        : Object.entries((environment ?? {}) as Obj).map(([key, value]) => [
            key,
            value === null || value === undefined ? '' : String(value),
            ['environment', key],
          ]);
      for (const [key, value, path] of pairs) {
        if (SECRET_NAME.test(key) && !isReference(value))
          add(name, 'inline-secret', `${key} is written in the file (${mask(value)})`, path);
      }
      if (typeof service.image === 'string' && !service.build) {
        const reference = parseImage(service.image);
        if (!reference.digest && (!reference.tag || reference.tag === 'latest'))
          add(
            name,
            'image-tag',
            `image "${service.image}" ${reference.tag ? 'uses :latest' : 'has no tag'}`,
            ['image'],
          );
      }
      if (params.model_mount) {
        const volumes = Array.isArray(service.volumes) ? service.volumes : [];
        const mounted = volumes.some((volume) => {
          const target = typeof volume === 'string' ? volume.split(':')[1] : (volume as Obj)?.target;
          return (
            typeof target === 'string' &&
            (target === params.model_mount || target.startsWith(`${params.model_mount!.replace(/\/$/, '')}/`))
          );
        });
        if (!mounted) add(name, 'model-volume', `no volume is mounted at ${params.model_mount}`);
      }
    }
    const { ignores, problems: ignoreProblems } = parseInlineIgnores(shown, source.lines, 'compose');
    return ruleOutcome({
      ruleset: RULES,
      findings: [...findings, ...ignoreProblems],
      inline: ignores,
      spec: params.ignore,
      levels: params.levels,
      judged: [shown],
      measured: { services: names.length },
    });
  },
});
