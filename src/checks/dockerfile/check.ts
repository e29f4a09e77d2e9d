import { z } from 'zod';
import { defineCheck } from '../../engine/types.js';
import { IgnoreParam, LevelsParam, type RuleSet, rulesParam } from '../../rules/findings.js';
import { runIn } from '../_shared/run-module.js';

export const RULES: RuleSet = {
  prefix: 'dockerfile',
  rules: [
    {
      id: 'dockerfile/non-root-user',
      title: 'The image runs as a non-root user',
      level: 'error',
      fix: 'Add a user and switch to it in the final stage: RUN useradd --uid 10001 app; USER 10001. A base image that already runs as non-root and is not recognised (see the description): state it with USER <uid>, or an ignore with that reason.',
      refs: ['hadolint DL3002 (we also flag a final stage that never sets USER: it runs as root)'],
    },
    {
      id: 'dockerfile/base-image-tag',
      title: 'Base images name a tag or digest',
      level: 'error',
      fix: 'Pin the base image: FROM python:3.11.9-slim (or @sha256:...).',
      refs: ['hadolint DL3006'],
    },
    {
      id: 'dockerfile/base-image-latest',
      title: 'Base images are not :latest',
      level: 'error',
      fix: 'Pin a release tag instead of latest.',
      refs: ['hadolint DL3007'],
    },
    {
      id: 'dockerfile/base-image-digest',
      title: 'Base images are pinned by digest',
      level: 'error',
      fix: 'FROM image:tag@sha256:<digest> (docker buildx imagetools inspect image:tag).',
      refs: [],
    },
    {
      id: 'dockerfile/trusted-registry',
      title: 'Base images come from trusted registries',
      level: 'error',
      fix: 'Use a base image from an allowed registry.',
      refs: ['hadolint DL3026'],
    },
    {
      id: 'dockerfile/multi-stage',
      title: 'A multi-stage build keeps build tools out of the image',
      level: 'warning',
      fix: 'Build in one stage (FROM ... AS build) and copy artifacts into a slim final stage.',
      refs: [],
    },
    {
      id: 'dockerfile/healthcheck',
      title: 'The image declares a HEALTHCHECK',
      level: 'error',
      fix: 'HEALTHCHECK --interval=30s CMD curl -fsS http://localhost:8080/health || exit 1',
      refs: ['hadolint DL3057 (we also flag HEALTHCHECK NONE, which hadolint accepts)'],
    },
    {
      id: 'dockerfile/copy-not-add',
      title: 'COPY, not ADD, for local files',
      level: 'error',
      fix: 'Use COPY; ADD only fetches URLs and unpacks archives.',
      refs: ['hadolint DL3020'],
    },
    {
      id: 'dockerfile/secret-in-env',
      title: 'No secrets in ENV or ARG',
      level: 'error',
      fix: 'Pass secrets at run time (environment, mounted files) or at build time with RUN --mount=type=secret.',
      refs: [],
    },
    {
      id: 'dockerfile/apt-pin',
      title: 'apt-get/aptitude install pins package versions',
      level: 'warning',
      fix: 'apt-get install -y curl=7.88.1-10+deb12u5',
      refs: ['hadolint DL3008'],
    },
    {
      id: 'dockerfile/apt-cleanup',
      title: 'apt lists are removed in the same RUN',
      level: 'error',
      fix: 'End the RUN with && rm -rf /var/lib/apt/lists/*',
      refs: ['hadolint DL3009'],
    },
    {
      id: 'dockerfile/apt-no-recommends',
      title: 'apt-get install --no-install-recommends (aptitude --without-recommends)',
      level: 'warning',
      fix: 'apt-get install -y --no-install-recommends ...',
      refs: ['hadolint DL3015'],
    },
    {
      id: 'dockerfile/pip-pin',
      title: 'pip/pipx install pins exact versions',
      level: 'error',
      fix: 'pip install torch==2.1.0 (or -r requirements.txt with pinned versions).',
      refs: [
        'hadolint DL3013 (we accept == and === only, without wildcards; hadolint also accepts ~=, a VCS tag and any URL: we want a 40-hex commit, or a URL with #sha256= or a versioned file name)',
      ],
    },
    {
      id: 'dockerfile/pip-no-cache',
      title: 'pip install --no-cache-dir',
      level: 'warning',
      fix: 'pip install --no-cache-dir ..., or ENV PIP_NO_CACHE_DIR=1',
      refs: ['hadolint DL3042'],
    },
    {
      id: 'dockerfile/expose-port',
      title: 'EXPOSE lists valid ports, including the service port',
      level: 'error',
      fix: 'EXPOSE the port the service listens on.',
      refs: ['hadolint DL3011 (valid ports); matching the service port is ours'],
    },
    {
      id: 'dockerfile/add-url',
      title: 'ADD fetches remote files only with a checksum',
      level: 'error',
      fix: 'ADD --checksum=sha256:<digest> https://... /dest, or download in a RUN and verify: curl -fsSLo f URL && echo "<sha256>  f" | sha256sum -c -',
      refs: ['(hadolint DL3020 covers ADD of local files; a remote ADD without --checksum is ours)'],
    },
    {
      id: 'dockerfile/pipe-to-shell',
      title: 'Downloaded scripts are not piped into a shell',
      level: 'error',
      fix: 'Download to a file, check its sha256 (sha256sum -c) or signature, then run it; or install a pinned package instead.',
      refs: ['(hadolint has none: DL4006 only asks for pipefail)'],
    },
    {
      id: 'dockerfile/sudo',
      title: 'RUN does not use sudo',
      level: 'error',
      fix: 'Build steps already run as root until USER switches: put the step before USER app (or USER root ... USER app); at run time use gosu/su-exec, never sudo.',
      refs: ['hadolint DL3004'],
    },
    {
      id: 'dockerfile/dockerignore',
      title: '.dockerignore keeps .git, .env, data and checkpoints out of the build context',
      level: 'error',
      fix: 'Add .git, .env, data/ and checkpoints/ to .dockerignore.',
      refs: [],
    },
  ],
};

const params = z.strictObject({
  path: z.string().default('Dockerfile').describe('The Dockerfile.'),
  context: z
    .string()
    .optional()
    .describe("Build context (for .dockerignore); default: the Dockerfile's folder."),
  service_port: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .optional()
    .describe('The port the service listens on: EXPOSE must list it.'),
  trusted_registries: z
    .array(z.string())
    .optional()
    .describe('Allowed registries/prefixes: ["docker.io/library", "nvcr.io"].'),
  require_digest: z.boolean().default(false).describe('Base images must be pinned by @sha256 digest.'),
  dockerignore_excludes: z
    .array(z.string())
    .default(['.git', '.env', 'data', 'checkpoints'])
    .describe('Paths .dockerignore must exclude.'),
  ignore: IgnoreParam,
  levels: LevelsParam,
  rules: rulesParam(RULES),
});

export type DockerfileParams = z.output<typeof params>;

export default defineCheck({
  kind: 'dockerfile',
  rules: RULES.rules,
  title: 'The Dockerfile builds a small, pinned image that runs as non-root with a health check',
  description: [
    'Parses the Dockerfile (dockerfile-ast) and applies rules, each with an id, file:line and a fix:',
    'the final image runs as a non-root user (a final stage that never sets USER runs as root —',
    'the case hadolint misses — unless its base is one known to run as non-root: distroless',
    ':nonroot/:debug-nonroot, Chainguard (not -dev), nginx-unprivileged, Jupyter stacks, UBI',
    'python/nodejs); base images name a tag, not latest (ARG defaults resolved, nested ones too;',
    'optionally a digest, optionally only from trusted registries, with ports and * wildcards, also',
    'for COPY --from and RUN --mount from= images); a multi-stage build; a HEALTHCHECK; COPY over ADD;',
    'ADD of a URL only with --checksum; no download piped into a shell (curl | sh, sh -c "$(curl)");',
    'no sudo; no secrets in ENV or ARG; apt/aptitude pinned, with --no-install-recommends and lists',
    'removed; pip/pipx pinned, pip with --no-cache-dir; EXPOSE valid and including the service port;',
    'a .dockerignore excluding .git, .env, data and checkpoints. RUN is read as shell (if/then,',
    'case, here-documents, substitutions, sh -c); a RUN that cannot be read, an empty file or one',
    'without FROM is an error, never a pass. USER is read as BuildKit reads it: quotes stripped, a uid',
    'with leading zeros (00, 0000:0000) is root, and so is a name RUN gave uid 0 (useradd/adduser -u 0,',
    "usermod -u 0, an /etc/passwd line written or edited with uid 0). Each rule maps to hadolint's where one exists (see `refs`).",
    'Ignore one place with `# mlgate-ignore dockerfile/RULE: reason` on the line above, or in the',
    'spec; ignores without a reason are not honoured, unused ones are reported.',
  ].join(' '),
  params,
  examples: [
    {
      title: 'Production Dockerfile of the model service',
      params: { path: 'Dockerfile', service_port: 8080 },
    },
    {
      title: 'Base images only from trusted registries, pinned by digest',
      params: {
        path: 'docker/Dockerfile',
        trusted_registries: ['docker.io/library', 'nvcr.io/nvidia'],
        require_digest: true,
      },
    },
  ],
  run: runIn(() => import('./run.js')),
});
