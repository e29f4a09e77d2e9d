/**
 * Agreement with hadolint on its own test material: the scenarios of hadolint's rule specs
 * (test/Hadolint/Rule/DLxxxxSpec.hs, read from github.com/hadolint/hadolint), restated as
 * Dockerfiles here, with the rule id of ours each corresponds to. Where we decide
 * differently on purpose, the case says so (`differs`).
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { executeCheck } from '../../engine/execute.js';
import { loadBuiltinChecks } from '../../engine/registry.js';
import { tempFiles } from '../../testing/temp.js';

const DOCKERIGNORE = '.git\n.env\ndata/\ncheckpoints/\n';

async function firedRules(dockerfile: string): Promise<string[]> {
  const dir = tempFiles({ Dockerfile: dockerfile, '.dockerignore': DOCKERIGNORE });
  const definition = (await loadBuiltinChecks()).get('dockerfile')!;
  const outcome = await executeCheck(
    definition,
    definition.params.parse({}),
    { root: dir, itemId: 't', profile: null, artifacts: new Map() },
    10_000,
  );
  return (outcome.evidence ?? []).flatMap((e) => (e.type === 'finding' && !e.ignored ? [e.rule] : []));
}

interface Case {
  hadolint: string;
  dockerfile: string[];
  rule: string;
  fires: boolean;
  differs?: string;
}

const USER = 'USER app';
const HEALTH = 'HEALTHCHECK CMD true';

const CASES: Case[] = [
  // DL3002 - Last user should not be root
  {
    hadolint: 'DL3002 last user should not be root',
    dockerfile: ['FROM scratch', 'USER root'],
    rule: 'non-root-user',
    fires: true,
  },
  {
    hadolint: 'DL3002 no root',
    dockerfile: ['FROM scratch', 'USER foo'],
    rule: 'non-root-user',
    fires: false,
  },
  {
    hadolint: 'DL3002 no root UID',
    dockerfile: ['FROM scratch', 'USER 0'],
    rule: 'non-root-user',
    fires: true,
  },
  {
    hadolint: 'DL3002 no root:root',
    dockerfile: ['FROM scratch', 'USER root:root'],
    rule: 'non-root-user',
    fires: true,
  },
  {
    hadolint: 'DL3002 no UID:GID',
    dockerfile: ['FROM scratch', 'USER 0:0'],
    rule: 'non-root-user',
    fires: true,
  },
  {
    hadolint: 'DL3002 can switch back to non root',
    dockerfile: ['FROM scratch', 'USER root', 'RUN something', 'USER foo'],
    rule: 'non-root-user',
    fires: false,
  },
  {
    hadolint: 'DL3002 warns on transitive root user',
    dockerfile: ['FROM debian:12 AS base', 'USER root', 'RUN something', 'FROM base', 'RUN something else'],
    rule: 'non-root-user',
    fires: true,
  },
  {
    hadolint: 'DL3002 warns on multiple stages',
    dockerfile: [
      'FROM debian:12 AS base',
      'USER root',
      'RUN something',
      'FROM scratch',
      'USER foo',
      'RUN something else',
    ],
    rule: 'non-root-user',
    fires: false,
    differs: 'only the final image runs: a build stage as root ships nothing that runs as root',
  },
  {
    hadolint: 'DL3002 does not warn when switching in multiple stages',
    dockerfile: ['FROM debian:12 AS base', 'USER root', 'RUN something', 'USER foo', 'FROM scratch', USER],
    rule: 'non-root-user',
    fires: false,
  },
  {
    hadolint: '(hadolint issue: no USER at all is not flagged)',
    dockerfile: ['FROM python:3.11-slim', 'RUN pip install --no-cache-dir flask==3.0.0'],
    rule: 'non-root-user',
    fires: true,
    differs: 'an image that never sets USER runs as root',
  },
  // DL3006 - Always tag the version of an image explicitly
  { hadolint: 'DL3006 no untagged', dockerfile: ['FROM debian'], rule: 'base-image-tag', fires: true },
  {
    hadolint: 'DL3006 no untagged with name',
    dockerfile: ['FROM debian AS builder'],
    rule: 'base-image-tag',
    fires: true,
  },
  {
    hadolint: 'DL3006 untagged digest is not an error',
    dockerfile: ['FROM ruby@sha256:f1dbca0f5dbc9'],
    rule: 'base-image-tag',
    fires: false,
  },
  {
    hadolint: 'DL3006 tagged is not an error',
    dockerfile: ['FROM ruby:2'],
    rule: 'base-image-tag',
    fires: false,
  },
  {
    hadolint: 'DL3006 using args is not an error',
    dockerfile: ['FROM ${VALUE}'],
    rule: 'base-image-tag',
    fires: false,
  },
  {
    hadolint: 'DL3006 local aliases are OK to be untagged',
    dockerfile: [
      'FROM golang:1.9.3-alpine3.7 AS build',
      'RUN foo',
      'FROM build as unit-test',
      'RUN bar',
      'FROM alpine:3.7',
      'RUN baz',
    ],
    rule: 'base-image-tag',
    fires: false,
  },
  {
    hadolint: 'DL3006 other untagged cases are not ok',
    dockerfile: [
      'FROM golang:1.9.3-alpine3.7 AS build',
      'RUN foo',
      'FROM node as unit-test',
      'RUN bar',
      'FROM alpine:3.7',
      'RUN baz',
    ],
    rule: 'base-image-tag',
    fires: true,
  },
  { hadolint: 'DL3006 scratch', dockerfile: ['FROM scratch'], rule: 'base-image-tag', fires: false },
  {
    hadolint: '(ARG default resolved)',
    dockerfile: ['ARG BASE=python', 'FROM ${BASE}'],
    rule: 'base-image-tag',
    fires: true,
    differs: 'hadolint does not resolve ARG defaults',
  },
  // DL3007 - Using latest
  {
    hadolint: 'DL3007 explicit latest',
    dockerfile: ['FROM debian:latest'],
    rule: 'base-image-latest',
    fires: true,
  },
  {
    hadolint: 'DL3007 explicit latest with name',
    dockerfile: ['FROM debian:latest AS builder'],
    rule: 'base-image-latest',
    fires: true,
  },
  {
    hadolint: 'DL3007 explicit tagged',
    dockerfile: ['FROM debian:jessie'],
    rule: 'base-image-latest',
    fires: false,
  },
  {
    hadolint: 'DL3007 explicit SHA',
    dockerfile: [
      'FROM hub.docker.io/debian@sha256:7959ed6f7e35f8b1aaa06d1d8259d4ee25aa85a086d5c125480c333183f9deeb',
    ],
    rule: 'base-image-latest',
    fires: false,
  },
  {
    hadolint: 'DL3007 explicit tagged and SHA',
    dockerfile: [
      'FROM hub.docker.io/debian:latest@sha256:7959ed6f7e35f8b1aaa06d1d8259d4ee25aa85a086d5c125480c333183f9deeb',
    ],
    rule: 'base-image-latest',
    fires: false,
  },
  // DL3008 - Pin versions in apt get install
  {
    hadolint: 'DL3008 apt-get version pinning',
    dockerfile: ['FROM debian:12', 'RUN apt-get update && apt-get install python'],
    rule: 'apt-pin',
    fires: true,
  },
  {
    hadolint: 'DL3008 apt-get version',
    dockerfile: ['FROM debian:12', 'RUN apt-get install -y python=1.2.2'],
    rule: 'apt-pin',
    fires: false,
  },
  {
    hadolint: 'DL3008 apt-get local .deb',
    dockerfile: ['FROM debian:12', 'RUN apt-get install ./wkhtmltox_0.12.5-1.bionic_amd64.deb'],
    rule: 'apt-pin',
    fires: false,
  },
  {
    hadolint: 'DL3008 apt-get pinned',
    dockerfile: ['FROM debian:12', 'RUN apt-get -y --no-install-recommends install nodejs=0.10'],
    rule: 'apt-pin',
    fires: false,
  },
  {
    hadolint: 'DL3008 apt-get pinned chained',
    dockerfile: [
      'FROM debian:12',
      'RUN apt-get update \\',
      ' && apt-get -yqq --no-install-recommends install nodejs=0.10 \\',
      ' && rm -rf /var/lib/apt/lists/*',
    ],
    rule: 'apt-pin',
    fires: false,
  },
  // DL3009 - Delete the apt-get lists
  {
    hadolint: 'DL3009 apt-get no cleanup',
    dockerfile: ['FROM scratch', 'RUN apt-get update && apt-get install python'],
    rule: 'apt-cleanup',
    fires: true,
  },
  {
    hadolint: 'DL3009 apt-get cleanup in stage image',
    dockerfile: [
      'FROM ubuntu:22.04 as foo',
      'RUN apt-get update && apt-get install python',
      'FROM scratch',
      'RUN echo hey!',
    ],
    rule: 'apt-cleanup',
    fires: false,
  },
  {
    hadolint: 'DL3009 apt-get no cleanup in last stage',
    dockerfile: [
      'FROM ubuntu:22.04 as foo',
      'RUN hey!',
      'FROM scratch',
      'RUN apt-get update && apt-get install python',
    ],
    rule: 'apt-cleanup',
    fires: true,
  },
  {
    hadolint: 'DL3009 apt-get no cleanup in intermediate stage',
    dockerfile: [
      'FROM ubuntu:22.04 as foo',
      'RUN apt-get update && apt-get install python',
      'FROM foo',
      'RUN hey!',
    ],
    rule: 'apt-cleanup',
    fires: true,
  },
  {
    hadolint: 'DL3009 no warn apt-get cleanup in intermediate stage that cleans lists',
    dockerfile: [
      'FROM ubuntu:22.04 as foo',
      'RUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*',
      'FROM foo',
      'RUN hey!',
    ],
    rule: 'apt-cleanup',
    fires: false,
  },
  {
    hadolint: 'DL3009 apt-get cleanup',
    dockerfile: [
      'FROM scratch',
      'RUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*',
    ],
    rule: 'apt-cleanup',
    fires: false,
  },
  {
    hadolint: "DL3009 don't warn: BuildKit cache mount to apt lists directory",
    dockerfile: [
      'FROM debian:12',
      'RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y curl',
    ],
    rule: 'apt-cleanup',
    fires: false,
  },
  // DL3013 - Pin versions in pip
  {
    hadolint: 'DL3013 pip3 version not pinned',
    dockerfile: ['FROM python:3.11', 'RUN pip3 install MySQL_python'],
    rule: 'pip-pin',
    fires: true,
  },
  {
    hadolint: 'DL3013 pip3 version pinned',
    dockerfile: ['FROM python:3.11', 'RUN pip3 install MySQL_python==1.2.2'],
    rule: 'pip-pin',
    fires: false,
  },
  {
    hadolint: 'DL3013 pip3 install from local package',
    dockerfile: ['FROM python:3.11', 'RUN pip3 install mypkg.whl && pip3 install mypkg.tar.gz'],
    rule: 'pip-pin',
    fires: false,
  },
  {
    hadolint: 'DL3013 pip install requirements',
    dockerfile: ['FROM python:3.11', 'RUN pip install -r requirements.txt'],
    rule: 'pip-pin',
    fires: false,
  },
  {
    hadolint: 'DL3013 pip install requirements with long flag',
    dockerfile: ['FROM python:3.11', 'RUN pip install --requirement requirements.txt'],
    rule: 'pip-pin',
    fires: false,
  },
  {
    hadolint: 'DL3013 pip install use setup.py',
    dockerfile: ['FROM python:3.11', 'RUN pip install .'],
    rule: 'pip-pin',
    fires: false,
  },
  {
    hadolint: 'DL3013 pip version pinned with ~= operator',
    dockerfile: ['FROM python:3.11', 'RUN pip install MySQL_python~=1.2.2'],
    rule: 'pip-pin',
    fires: true,
    differs: '~= allows any later patch release: not an exact pin (the seed checklists want torch==2.1.0)',
  },
  {
    hadolint: 'DL3013 pip version pinned with === operator',
    dockerfile: ['FROM python:3.11', 'RUN pip install MySQL_python===1.2.2'],
    rule: 'pip-pin',
    fires: false,
  },
  {
    hadolint: 'DL3013 pip version pinned with flag --target',
    dockerfile: ['FROM python:3.11', 'RUN pip3 install --target /opt/yamllint yamllint==1.20.0'],
    rule: 'pip-pin',
    fires: false,
  },
  {
    hadolint: 'DL3013 pip version pinned with python -m',
    dockerfile: ['FROM python:3.11', 'RUN python -m pip install example==1.2.2'],
    rule: 'pip-pin',
    fires: false,
  },
  {
    hadolint: 'DL3013 pip version not pinned with python -m',
    dockerfile: ['FROM python:3.11', 'RUN python -m pip install example'],
    rule: 'pip-pin',
    fires: true,
  },
  {
    hadolint: 'DL3013 pip install git',
    dockerfile: [
      'FROM python:3.11',
      'RUN pip install git+https://github.com/rtfd/r-ext.git@0.6-alpha#egg=r-ext',
    ],
    rule: 'pip-pin',
    fires: false,
  },
  {
    hadolint: 'DL3013 pip install unversioned git',
    dockerfile: ['FROM python:3.11', 'RUN pip install git+https://github.com/rtfd/r-ext.git#egg=r-ext'],
    rule: 'pip-pin',
    fires: true,
  },
  // DL3020 - Use COPY instead of ADD for files and folders
  {
    hadolint: 'DL3020 add for tar',
    dockerfile: ['FROM debian:12', 'ADD file.tar /usr/src/app/'],
    rule: 'copy-not-add',
    fires: false,
  },
  {
    hadolint: 'DL3020 add for url',
    dockerfile: ['FROM debian:12', 'ADD http://file.com /usr/src/app/'],
    rule: 'copy-not-add',
    fires: false,
  },
  {
    hadolint: 'DL3020 using add',
    dockerfile: ['FROM debian:12', 'ADD file /usr/src/app/'],
    rule: 'copy-not-add',
    fires: true,
  },
  {
    hadolint: 'DL3020 warn for zip',
    dockerfile: ['FROM debian:12', 'ADD file.zip /usr/src/app/'],
    rule: 'copy-not-add',
    fires: true,
  },
  {
    hadolint: 'DL3020 add for tgz with quotes',
    dockerfile: ['FROM debian:12', 'ADD "file.tgz" /usr/src/app/'],
    rule: 'copy-not-add',
    fires: false,
  },
  // DL3042 - Avoid use of cache directory with pip
  {
    hadolint: 'DL3042 pip --no-cache-dir not used',
    dockerfile: ['FROM python:3.11', 'RUN pip install MySQL_python==1.0'],
    rule: 'pip-no-cache',
    fires: true,
  },
  {
    hadolint: 'DL3042 pip --no-cache-dir used',
    dockerfile: ['FROM python:3.11', 'RUN pip install MySQL_python==1.0 --no-cache-dir'],
    rule: 'pip-no-cache',
    fires: false,
  },
  {
    hadolint: "DL3042 don't match on pipx",
    dockerfile: ['FROM python:3.11', 'RUN pipx install software'],
    rule: 'pip-no-cache',
    fires: false,
  },
  {
    hadolint: 'DL3042 respect ENV PIP_NO_CACHE_DIR with truthy values',
    dockerfile: ['FROM python:3.11', 'ENV PIP_NO_CACHE_DIR=1', 'RUN pip install MySQL_python==1.0'],
    rule: 'pip-no-cache',
    fires: false,
  },
  {
    hadolint: 'DL3042 respect RUN PIP_NO_CACHE_DIR=... with truthy values',
    dockerfile: ['FROM python:3.11', 'RUN PIP_NO_CACHE_DIR=yes pip install MySQL_python==1.0'],
    rule: 'pip-no-cache',
    fires: false,
  },
  {
    hadolint: 'DL3042 respect RUN export PIP_NO_CACHE_DIR=...',
    dockerfile: ['FROM python:3.11', 'RUN export PIP_NO_CACHE_DIR=true && pip install MySQL_python==1.0'],
    rule: 'pip-no-cache',
    fires: false,
  },
  {
    hadolint: 'DL3042 respect ENV PIP_NO_CACHE_DIR with falsy values',
    dockerfile: ['FROM python:3.11', 'ENV PIP_NO_CACHE_DIR=off', 'RUN pip install MySQL_python==1.0'],
    rule: 'pip-no-cache',
    fires: true,
  },
  {
    hadolint: "DL3042 don't trigger if PIP_NO_CACHE_DIR is inherited",
    dockerfile: [
      'FROM python:3.11 AS base',
      'ENV PIP_NO_CACHE_DIR=1',
      'FROM base',
      'RUN pip install six==1.16.0',
    ],
    rule: 'pip-no-cache',
    fires: false,
  },
  {
    hadolint: 'DL3042 trigger if PIP_NO_CACHE_DIR is not inherited',
    dockerfile: [
      'FROM python:3.11 AS base',
      'ENV PIP_NO_CACHE_DIR=1',
      'FROM python:3.11',
      'RUN pip install six==1.16.0',
    ],
    rule: 'pip-no-cache',
    fires: true,
  },
  {
    hadolint: 'DL3042 ok with cache mount in cache dir',
    dockerfile: [
      'FROM python:3.11',
      'RUN --mount=type=cache,target=/root/.cache/pip pip install foobar==1.0',
    ],
    rule: 'pip-no-cache',
    fires: false,
  },
  // DL3057 - HEALTHCHECK instruction missing
  {
    hadolint: 'DL3057 warn with no HEALTHCHECK instructions',
    dockerfile: ['FROM scratch'],
    rule: 'healthcheck',
    fires: true,
  },
  {
    hadolint: 'DL3057 ok when HEALTHCHECK is explicitly disabled',
    dockerfile: ['FROM scratch', 'HEALTHCHECK NONE'],
    rule: 'healthcheck',
    fires: true,
    differs: 'a service the runtime cannot health-check is what the rule is about',
  },
  {
    hadolint: 'DL3057 ok with one HEALTHCHECK instruction',
    dockerfile: ['FROM scratch', 'HEALTHCHECK CMD /bin/bla'],
    rule: 'healthcheck',
    fires: false,
  },
  {
    hadolint: 'DL3057 ok with inheriting HEALTHCHECK instruction',
    dockerfile: ['FROM scratch AS base', 'HEALTHCHECK CMD /bin/bla', 'FROM base'],
    rule: 'healthcheck',
    fires: false,
  },
  {
    hadolint: 'DL3057 warn when not inheriting with no HEALTHCHECK instruction',
    dockerfile: ['FROM scratch AS base', 'HEALTHCHECK CMD /bin/bla', 'FROM scratch'],
    rule: 'healthcheck',
    fires: true,
  },
  // DL3011 - Valid UNIX ports range from 0 to 65535
  {
    hadolint: 'DL3011 invalid port',
    dockerfile: ['FROM scratch', 'EXPOSE 80000'],
    rule: 'expose-port',
    fires: true,
  },
  {
    hadolint: 'DL3011 valid port',
    dockerfile: ['FROM scratch', 'EXPOSE 60000'],
    rule: 'expose-port',
    fires: false,
  },
  // DL3015 - Avoid additional packages by specifying --no-install-recommends
  {
    hadolint: 'DL3015 apt-get install without --no-install-recommends',
    dockerfile: ['FROM debian:12', 'RUN apt-get install -y python=1.2.2'],
    rule: 'apt-no-recommends',
    fires: true,
  },
  {
    hadolint: 'DL3015 apt-get install with --no-install-recommends',
    dockerfile: ['FROM debian:12', 'RUN apt-get install -y --no-install-recommends python=1.2.2'],
    rule: 'apt-no-recommends',
    fires: false,
  },
];

describe("dockerfile rules against hadolint's test cases", () => {
  test.each(
    CASES.map(
      (c) =>
        [
          `${c.hadolint} → dockerfile/${c.rule} ${c.fires ? 'fires' : 'silent'}${c.differs ? ` (differs: ${c.differs})` : ''}`,
          c,
        ] as const,
    ),
  )('%s', async (_name, c) => {
    const rules = await firedRules(
      `${[...c.dockerfile, ...(c.dockerfile.some((l) => l.startsWith('USER')) ? [] : [])].join('\n')}\n`,
    );
    expect(rules.includes(`dockerfile/${c.rule}`)).toBe(c.fires);
  });

  test('every rule that has a hadolint counterpart says which', async () => {
    const { RULES } = await import('./check.js');
    const mapped = RULES.rules.filter((rule) => rule.refs?.some((ref) => ref.startsWith('hadolint')));
    expect(mapped.map((rule) => rule.id).sort()).toEqual(
      [
        'apt-cleanup',
        'apt-no-recommends',
        'apt-pin',
        'base-image-latest',
        'base-image-tag',
        'copy-not-add',
        'expose-port',
        'healthcheck',
        'non-root-user',
        'pip-no-cache',
        'pip-pin',
        'trusted-registry',
      ].map((r) => `dockerfile/${r}`),
    );
  });
});

void join;
void USER;
void HEALTH;
