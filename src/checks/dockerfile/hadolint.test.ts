/**
 * Agreement with hadolint on its own test material: the scenarios of hadolint's rule specs
 * (test/Hadolint/Rule/DLxxxxSpec.hs, read from github.com/hadolint/hadolint), restated as
 * Dockerfiles here, with the rule id of ours each corresponds to. Where we decide
 * differently on purpose, the case says so (`differs`).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { executeCheck } from '../../engine/execute.js';
import { loadBuiltinChecks } from '../../engine/registry.js';
import { tempFiles } from '../../testing/temp.js';

const DOCKERIGNORE = '.git\n.env\ndata/\ncheckpoints/\n';

async function firedRules(dockerfile: string, params: Record<string, unknown> = {}): Promise<string[]> {
  const dir = tempFiles({ Dockerfile: dockerfile, '.dockerignore': DOCKERIGNORE });
  const definition = (await loadBuiltinChecks()).get('dockerfile')!;
  const outcome = await executeCheck(
    definition,
    definition.params.parse(params),
    { root: dir, itemId: 't', profile: null, artifacts: new Map() },
    10_000,
  );
  return (outcome.evidence ?? []).flatMap((e) => (e.type === 'finding' && !e.ignored ? [e.rule] : []));
}

interface Case {
  hadolint: string;
  dockerfile: string[];
  rule: string;
  /** Whether our rule fires: hadolint's rule fires the same way unless `differs` says why not. */
  fires: boolean;
  differs?: string;
  params?: Record<string, unknown>;
  /** How many findings hadolint reports (when more than one). */
  count?: number;
}

const USER = 'USER app';

/** One hadolint scenario: hadolint's Dockerfile (without FROM, debian:12 is put first). */
const h = (
  hadolint: string,
  dockerfile: string | string[],
  rule: string,
  fires: boolean,
  extra: Partial<Case> = {},
): Case => ({
  hadolint,
  dockerfile: typeof dockerfile === 'string' ? dockerfile.split('\n') : dockerfile,
  rule,
  fires,
  ...extra,
});

const TRUTHY = ['1', 'on', 'yes', 'true'];
const FALSY = ['0', 'off', 'no', 'false'];

const CASES: Case[] = [
  // DL3002 - Last user should not be root
  h('DL3002 last user should not be root', ['FROM scratch', 'USER root'], 'non-root-user', true),
  h('DL3002 no root', ['FROM scratch', 'USER foo'], 'non-root-user', false),
  h('DL3002 no root UID', ['FROM scratch', 'USER 0'], 'non-root-user', true),
  h('DL3002 no root:root', ['FROM scratch', 'USER root:root'], 'non-root-user', true),
  h('DL3002 no UID:GID', ['FROM scratch', 'USER 0:0'], 'non-root-user', true),
  h(
    'DL3002 can switch back to non root',
    ['FROM scratch', 'USER root', 'RUN something', 'USER foo'],
    'non-root-user',
    false,
  ),
  h(
    'DL3002 warns on transitive root user',
    ['FROM debian as base', 'USER root', 'RUN something', 'FROM base', 'RUN something else'],
    'non-root-user',
    true,
  ),
  h(
    'DL3002 warns on multiple stages',
    ['FROM debian as base', 'USER root', 'RUN something', 'FROM scratch', 'USER foo', 'RUN something else'],
    'non-root-user',
    false,
    {
      differs: 'only the final image runs: a build stage as root ships nothing that runs as root',
    },
  ),
  // restated with USER in the final stage: hadolint's leaves it without USER, which we flag
  // (see the "no USER at all" case below); what this case tests is that root does not carry over
  h(
    'DL3002 does not warn when switching in multiple stages',
    [
      'FROM debian as base',
      'USER root',
      'RUN something',
      'USER foo',
      'FROM scratch',
      'RUN something else',
      USER,
    ],
    'non-root-user',
    false,
  ),
  // DL3004 - Do not use sudo
  h('DL3004 sudo', 'RUN sudo apt-get update', 'sudo', true),
  h('DL3004 install sudo', 'RUN apt-get install sudo', 'sudo', false),
  h('DL3004 sudo chained programs', 'RUN apt-get update && sudo apt-get install', 'sudo', true),
  // DL3006 - Always tag the version of an image explicitly
  h('DL3006 no untagged', 'FROM debian', 'base-image-tag', true),
  h('DL3006 no untagged with name', 'FROM debian AS builder', 'base-image-tag', true),
  h('DL3006 untagged digest is not an error', 'FROM ruby@sha256:f1dbca0f5dbc9', 'base-image-tag', false),
  h('DL3006 tagged is not an error', 'FROM ruby:2', 'base-image-tag', false),
  h('DL3006 using args is not an error', 'FROM ${VALUE}', 'base-image-tag', false),
  h(
    'DL3006 local aliases are OK to be untagged',
    [
      'FROM golang:1.9.3-alpine3.7 AS build',
      'RUN foo',
      'FROM build as unit-test',
      'RUN bar',
      'FROM alpine:3.7',
      'RUN baz',
    ],
    'base-image-tag',
    false,
  ),
  h(
    'DL3006 other untagged cases are not ok',
    [
      'FROM golang:1.9.3-alpine3.7 AS build',
      'RUN foo',
      'FROM node as unit-test',
      'RUN bar',
      'FROM alpine:3.7',
      'RUN baz',
    ],
    'base-image-tag',
    true,
  ),
  h('DL3006 scratch', 'FROM scratch', 'base-image-tag', false),
  // DL3007 - Using latest
  h('DL3007 explicit latest', 'FROM debian:latest', 'base-image-latest', true),
  h('DL3007 explicit latest with name', 'FROM debian:latest AS builder', 'base-image-latest', true),
  h('DL3007 explicit tagged', 'FROM debian:jessie', 'base-image-latest', false),
  h(
    'DL3007 explicit SHA',
    'FROM hub.docker.io/debian@sha256:7959ed6f7e35f8b1aaa06d1d8259d4ee25aa85a086d5c125480c333183f9deeb',
    'base-image-latest',
    false,
  ),
  h(
    'DL3007 explicit tagged and SHA',
    'FROM hub.docker.io/debian:latest@sha256:7959ed6f7e35f8b1aaa06d1d8259d4ee25aa85a086d5c125480c333183f9deeb',
    'base-image-latest',
    false,
  ),
  h('DL3007 explicit tagged with name', 'FROM debian:jessie AS builder', 'base-image-latest', false),
  // DL3008 - Pin versions in apt-get install
  h('DL3008 apt-get version pinning', 'RUN apt-get update && apt-get install python', 'apt-pin', true),
  h(
    'DL3008 apt-get pinned chained',
    [
      'RUN apt-get update \\',
      ' && apt-get -yqq --no-install-recommends install nodejs=0.10 \\',
      ' && rm -rf /var/lib/apt/lists/*',
    ],
    'apt-pin',
    false,
  ),
  h(
    'DL3008 apt-get pinned regression',
    [
      'RUN apt-get update && apt-get install --no-install-recommends -y \\',
      'python-demjson=2.2.2* \\',
      'wget=1.16.1* \\',
      'git=1:2.5.0* \\',
      'ruby=1:2.1.*',
    ],
    'apt-pin',
    false,
  ),
  h('DL3008 apt-get version', 'RUN apt-get install -y python=1.2.2', 'apt-pin', false),
  h(
    'DL3008 apt-get local .deb',
    'RUN apt-get install ./wkhtmltox_0.12.5-1.bionic_amd64.deb',
    'apt-pin',
    false,
  ),
  h('DL3008 apt-get pinned', 'RUN apt-get -y --no-install-recommends install nodejs=0.10', 'apt-pin', false),
  h(
    'DL3008 apt-get tolerate target-release',
    [
      'RUN set -e &&\\',
      ' echo "deb http://http.debian.net/debian jessie-backports main" > /etc/apt/sources.list.d/jessie-backports.list &&\\',
      ' apt-get update &&\\',
      ' apt-get install -y --no-install-recommends -t jessie-backports openjdk-8-jdk=8u131-b11-1~bpo8+1 &&\\',
      ' rm -rf /var/lib/apt/lists/*',
    ],
    'apt-pin',
    false,
  ),
  // DL3009 - Delete the apt-get lists
  h(
    'DL3009 apt-get no cleanup',
    ['FROM scratch', 'RUN apt-get update && apt-get install python'],
    'apt-cleanup',
    true,
  ),
  h(
    'DL3009 apt-get cleanup in stage image',
    ['FROM ubuntu as foo', 'RUN apt-get update && apt-get install python', 'FROM scratch', 'RUN echo hey!'],
    'apt-cleanup',
    false,
  ),
  h(
    'DL3009 apt-get no cleanup in last stage',
    ['FROM ubuntu as foo', 'RUN hey!', 'FROM scratch', 'RUN apt-get update && apt-get install python'],
    'apt-cleanup',
    true,
  ),
  h(
    'DL3009 apt-get no cleanup in intermediate stage',
    ['FROM ubuntu as foo', 'RUN apt-get update && apt-get install python', 'FROM foo', 'RUN hey!'],
    'apt-cleanup',
    true,
  ),
  h(
    'DL3009 no warn apt-get cleanup in intermediate stage that cleans lists',
    [
      'FROM ubuntu as foo',
      'RUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*',
      'FROM foo',
      'RUN hey!',
    ],
    'apt-cleanup',
    false,
  ),
  h(
    'DL3009 no warn apt-get cleanup in intermediate stage when stage not used later',
    ['FROM ubuntu as foo', 'RUN apt-get update && apt-get install python', 'FROM scratch', 'RUN hey!'],
    'apt-cleanup',
    false,
  ),
  h(
    'DL3009 apt-get cleanup',
    ['FROM scratch', 'RUN apt-get update && apt-get install python && rm -rf /var/lib/apt/lists/*'],
    'apt-cleanup',
    false,
  ),
  h(
    "DL3009 don't warn: BuildKit cache mount to apt lists directory",
    ['RUN --mount=type=cache,target=/var/lib/apt/lists \\', '    apt-get update && apt-get install python'],
    'apt-cleanup',
    false,
  ),
  h(
    "DL3009 don't warn: BuildKit cache mount to apt directories 1",
    [
      'RUN --mount=type=cache,target=/var/lib/apt \\',
      '    --mount=type=cache,target=/var/cache/apt \\',
      '    rm -f /etc/apt/apt.conf.d/docker-clean && \\',
      '    apt-get update && apt-get install python',
    ],
    'apt-cleanup',
    false,
  ),
  h(
    "DL3009 don't warn: BuildKit cache mount to apt directories 2",
    [
      'RUN rm -f /etc/apt/apt.conf.d/docker-clean',
      'RUN --mount=type=cache,target=/var/cache/apt \\',
      '    --mount=type=cache,target=/var/lib/apt \\',
      '    apt-get update && apt-get install foo',
    ],
    'apt-cleanup',
    false,
  ),
  h(
    'DL3009 warn: BuildKit cache mount to apt cache directory only',
    [
      'RUN --mount=type=cache,target=/var/cache/apt \\',
      '    rm -f /etc/apt/apt.conf.d/docker-clean && \\',
      '    apt-get update && apt-get install python',
    ],
    'apt-cleanup',
    true,
  ),
  h(
    'DL3009 warn: BuildKit cache mount to apt lists directory only',
    [
      'RUN rm -f /etc/apt/apt.conf.d/docker-clean',
      'RUN --mount=type=cache,target=/var/lib/apt \\',
      '    apt-get update && apt-get install python',
    ],
    'apt-cleanup',
    true,
  ),
  h(
    "DL3009 don't warn: tmpfs mount to apt cache and lists directory",
    [
      'RUN \\',
      '  --mount=type=tmpfs,target=/var/cache/apt \\',
      '  --mount=type=tmpfs,target=/var/lib/apt \\',
      '  apt-get update',
    ],
    'apt-cleanup',
    false,
  ),
  h(
    "DL3009 don't warn: tmpfs mount to apt cache and cache mount to lists directory",
    [
      'RUN \\',
      '  --mount=type=tmpfs,target=/var/cache/apt \\',
      '  --mount=type=cache,target=/var/lib/apt \\',
      '  apt-get update',
    ],
    'apt-cleanup',
    false,
  ),
  h(
    "DL3009 don't warn: cache mount to apt cache and tmpfs mount to lists directory",
    [
      'RUN \\',
      '  --mount=type=cache,target=/var/cache/apt \\',
      '  --mount=type=tmpfs,target=/var/lib/apt \\',
      '  apt-get update',
    ],
    'apt-cleanup',
    false,
  ),
  h(
    "DL3009 don't warn: cache mount to apt cache and lists directory",
    [
      'RUN \\',
      '  --mount=type=cache,target=/var/cache/apt \\',
      '  --mount=type=cache,target=/var/lib/apt \\',
      '  apt-get update',
    ],
    'apt-cleanup',
    false,
  ),
  h('DL3009 apt no cleanup', ['FROM scratch', 'RUN apt update && apt install python'], 'apt-cleanup', true),
  h(
    'DL3009 apt cleanup',
    ['FROM scratch', 'RUN apt update && apt install python && rm -rf /var/lib/apt/lists/*'],
    'apt-cleanup',
    false,
  ),
  h(
    'DL3009 aptitude no cleanup',
    ['FROM scratch', 'RUN aptitude update && aptitude install python'],
    'apt-cleanup',
    true,
  ),
  h(
    'DL3009 aptitude cleanup',
    ['FROM scratch', 'RUN aptitude update && aptitude install python && rm -rf /var/lib/apt/lists/*'],
    'apt-cleanup',
    false,
  ),
  // DL3011 - Valid UNIX ports range from 0 to 65535
  h('DL3011 invalid port', 'EXPOSE 80000', 'expose-port', true),
  h('DL3011 valid port', 'EXPOSE 60000', 'expose-port', false),
  h('DL3011 valid port variable', 'EXPOSE ${FOOBAR}', 'expose-port', false),
  h('DL3011 invalid port in range', 'EXPOSE 40000-80000/tcp', 'expose-port', true),
  h('DL3011 valid port range', 'EXPOSE 40000-60000/tcp', 'expose-port', false),
  h('DL3011 valid port range variable', 'EXPOSE 40000-${FOOBAR}', 'expose-port', false),
  // DL3013 - Pin versions in pip (pipx too)
  h('DL3013 pip2 version not pinned', 'RUN pip2 install MySQL_python', 'pip-pin', true),
  h('DL3013 pip3 version not pinned', 'RUN pip3 install MySQL_python', 'pip-pin', true),
  h('DL3013 pip3 version pinned', 'RUN pip3 install MySQL_python==1.2.2', 'pip-pin', false),
  h('DL3013 pip3 install from local package (whl)', 'RUN pip3 install mypkg.whl', 'pip-pin', false),
  h('DL3013 pip3 install from local package (tar.gz)', 'RUN pip3 install mypkg.tar.gz', 'pip-pin', false),
  h('DL3013 pip install requirements', 'RUN pip install -r requirements.txt', 'pip-pin', false),
  h(
    'DL3013 pip install requirements with long flag',
    'RUN pip install --requirement requirements.txt',
    'pip-pin',
    false,
  ),
  h('DL3013 pip install use setup.py', 'RUN pip install .', 'pip-pin', false),
  h('DL3013 pip version not pinned', 'RUN pip install MySQL_python', 'pip-pin', true),
  h('DL3013 pip version pinned', 'RUN pip install MySQL_python==1.2.2', 'pip-pin', false),
  h('DL3013 pip version pinned with ~= operator', 'RUN pip install MySQL_python~=1.2.2', 'pip-pin', true, {
    differs: '~= allows any later patch release: not an exact pin (the seed checklists want torch==2.1.0)',
  }),
  h('DL3013 pip version pinned with === operator', 'RUN pip install MySQL_python===1.2.2', 'pip-pin', false),
  h(
    'DL3013 pip version pinned with flag --ignore-installed',
    'RUN pip install --ignore-installed MySQL_python==1.2.2',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip version pinned with flag --build',
    'RUN pip3 install --build /opt/yamllint yamllint==1.20.0',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip version pinned with flag --prefix',
    'RUN pip3 install --prefix /opt/yamllint yamllint==1.20.0',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip version pinned with flag --root',
    'RUN pip3 install --root /opt/yamllint yamllint==1.20.0',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip version pinned with flag --target',
    'RUN pip3 install --target /opt/yamllint yamllint==1.20.0',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip version pinned with flag --trusted-host',
    'RUN pip3 install --trusted-host host example==1.2.2',
    'pip-pin',
    false,
  ),
  h('DL3013 pip version pinned with python -m', 'RUN python -m pip install example==1.2.2', 'pip-pin', false),
  h('DL3013 pip version not pinned with python -m', 'RUN python -m pip install example', 'pip-pin', true),
  h(
    'DL3013 pip install git (https)',
    'RUN pip install git+https://github.com/rtfd/r-ext.git@0.6-alpha#egg=r-ext',
    'pip-pin',
    true,
    {
      differs:
        'a tag (@0.6-alpha) can be moved: only a 40-hex commit pins a VCS ref, as the dependencies kind reads requirements',
    },
  ),
  h(
    'DL3013 pip install git (ssh)',
    'RUN pip install git+ssh://github.com/rtfd/r-ext.git@0.6-alpha#egg=r-ext',
    'pip-pin',
    true,
    {
      differs:
        'a tag (@0.6-alpha) can be moved: only a 40-hex commit pins a VCS ref, as the dependencies kind reads requirements',
    },
  ),
  h(
    'DL3013 pip install unversioned git (https)',
    'RUN pip install git+https://github.com/rtfd/read-ext.git#egg=read-ext',
    'pip-pin',
    true,
  ),
  h(
    'DL3013 pip install unversioned git (ssh)',
    'RUN pip install git+ssh://github.com/rtfd/read-ext.git#egg=read-ext',
    'pip-pin',
    true,
  ),
  h('DL3013 pip install local dir', 'RUN pip install foo/bar', 'pip-pin', false),
  h('DL3013 pip install https url package', 'RUN pip install https://foo.bar/baz.zip', 'pip-pin', true, {
    differs: 'a URL without a version in its file name nor a #sha256= can serve other bytes tomorrow',
  }),
  h('DL3013 pip install upper bound', "RUN pip install 'alabaster>=0.7'", 'pip-pin', true, {
    differs: 'a lower bound lets any later release in: not a pin',
  }),
  h('DL3013 pip install lower bound', "RUN pip install 'alabaster<0.7'", 'pip-pin', true, {
    differs: 'an upper bound still lets the version float: not a pin',
  }),
  h('DL3013 pip install excluded version', "RUN pip install 'alabaster!=0.7'", 'pip-pin', true, {
    differs: 'excluding one version pins nothing',
  }),
  h('DL3013 pip install user directory', 'RUN pip install MySQL_python==1.2.2 --user', 'pip-pin', false),
  h(
    'DL3013 pip install no pip version check',
    'RUN pip install MySQL_python==1.2.2 --disable-pip-version-check',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip install --index-url',
    'RUN pip install --index-url https://eg.com/foo foobar==1.0.0',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip install index-url with -i flag',
    'RUN pip install -i https://eg.com/foo foobar==1.0.0',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip install --index-url with --extra-index-url',
    'RUN pip install --index-url https://eg.com/foo --extra-index-url https://ex-eg.io/foo foobar==1.0.0',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip install no cache dir',
    'RUN pip install MySQL_python==1.2.2 --no-cache-dir',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip install constraints file - long version argument',
    'RUN pip install pykafka --constraint http://foo.bar.baz',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip install constraints file - short version argument',
    'RUN pip install pykafka -c http://foo.bar.baz',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip install --index-url with --extra-index-url with basic auth',
    'RUN pip install --index-url https://user:pass@eg.com/foo --extra-index-url https://user:pass@ex-eg.io/foo foobar==1.0.0',
    'pip-pin',
    false,
  ),
  h('DL3013 pipenv is not pip', 'RUN pipenv install black', 'pip-pin', false),
  h('DL3013 pipx version not pinned', 'RUN pipx install black', 'pip-pin', true),
  h(
    'DL3013 pipx install --python argument is not a package',
    'RUN pipx install --python "$(which python)" "poetry==1.8.5"',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip install --root-user-action argument is not a package',
    'RUN pip install --no-cache-dir --root-user-action ignore poetry==1.8.5',
    'pip-pin',
    false,
  ),
  h(
    'DL3013 pip install flag=value still checks the package',
    'RUN pip install --root-user-action=ignore mypkg',
    'pip-pin',
    true,
  ),
  // DL3015 - Avoid additional packages by specifying --no-install-recommends
  h(
    'DL3015 apt-get install recommends',
    'RUN apt-get install --no-install-recommends python',
    'apt-no-recommends',
    false,
  ),
  h('DL3015 apt-get no install recommends', 'RUN apt-get install python', 'apt-no-recommends', true),
  h('DL3015 apt-get no install recommends (-y)', 'RUN apt-get -y install python', 'apt-no-recommends', true),
  h(
    'DL3015 apt-get no install recommends via option',
    'RUN apt-get -o APT::Install-Recommends=false install python',
    'apt-no-recommends',
    false,
  ),
  // DL3020 - Use COPY instead of ADD for files and folders
  ...(
    [
      ['add for tar', 'ADD file.tar /usr/src/app/', false],
      ['add for gzip', 'ADD file.gz /usr/src/app/', false],
      ['add for bz2', 'ADD file.bz2 /usr/src/app/', false],
      ['add for xz', 'ADD file.xz /usr/src/app/', false],
      ['add for tgz', 'ADD file.tgz /usr/src/app/', false],
      ['add for url', 'ADD http://file.com /usr/src/app/', false],
      ['using add', 'ADD file /usr/src/app/', true],
      ['warn for zip', 'ADD file.zip /usr/src/app/', true],
      ['add for tgz with quotes', 'ADD "file.tgz" /usr/src/app/', false],
      ['add for url with quotes', 'ADD "http://file.com" /usr/src/app/', false],
      ['warn for zip with quotes', 'ADD "file.zip" /usr/src/app/', true],
    ] as const
  ).map(([name, line, fires]) => h(`DL3020 ${name}`, line, 'copy-not-add', fires)),
  // DL3026 - Use only an allowed registry in the FROM image
  h('DL3026 does not warn on empty allowed registries', 'FROM random.com/debian', 'trusted-registry', false),
  h('DL3026 warn on non-allowed registry', 'FROM random.com/debian', 'trusted-registry', true, {
    params: { trusted_registries: ['docker.io'] },
  }),
  h('DL3026 does not warn on allowed registries', 'FROM random.com/debian', 'trusted-registry', false, {
    params: { trusted_registries: ['x.com', 'random.com'] },
  }),
  h("DL3026 doesn't warn on scratch image", 'FROM scratch', 'trusted-registry', false, {
    params: { trusted_registries: ['x.com', 'random.com'] },
  }),
  h(
    'DL3026 allows all forms of docker.io',
    [
      'FROM ubuntu:18.04 AS builder1',
      'FROM zemanlx/ubuntu:18.04 AS builder2',
      'FROM docker.io/zemanlx/ubuntu:18.04 AS builder3',
    ],
    'trusted-registry',
    false,
    { params: { trusted_registries: ['docker.io'] } },
  ),
  h(
    'DL3026 allows using previous stages',
    ['FROM random.com/foo AS builder1', 'FROM builder1 AS builder2'],
    'trusted-registry',
    false,
    { params: { trusted_registries: ['random.com'] } },
  ),
  h('DL3026 warn on non-allowed wildcard registry', 'FROM x.com/debian', 'trusted-registry', true, {
    params: { trusted_registries: ['*.random.com'] },
  }),
  h(
    'DL3026 does not warn on allowed wildcard registries',
    'FROM foo.random.com/debian',
    'trusted-registry',
    false,
    { params: { trusted_registries: ['x.com', '*.random.com'] } },
  ),
  h(
    'DL3026 does not warn on * registry',
    [
      'FROM ubuntu:18.04 AS builder1',
      'FROM zemanlx/ubuntu:18.04 AS builder2',
      'FROM docker.io/zemanlx/ubuntu:18.04 AS builder3',
    ],
    'trusted-registry',
    false,
    { params: { trusted_registries: ['*'] } },
  ),
  h(
    'DL3026 does warn on copy from untrusted registry',
    'COPY --from=untrusted.com/repo/image:tag /foo /bar',
    'trusted-registry',
    true,
    { params: { trusted_registries: ['trusted.com', 'docker.io'] } },
  ),
  h(
    'DL3026 does not warn on copy from trusted registry',
    'COPY --from=trusted.com/repo/image:tag /foo /bar',
    'trusted-registry',
    false,
    { params: { trusted_registries: ['trusted.com', 'docker.io'] } },
  ),
  h(
    'DL3026 warn on run with bind mount from untrusted registry',
    'RUN --mount=type=bind,from=untrusted.com/repo/image:tag,target=/foo foobar',
    'trusted-registry',
    true,
    { params: { trusted_registries: ['trusted.com', 'docker.io'] } },
  ),
  h(
    'DL3026 warn on run with cache mount from untrusted registry',
    'RUN --mount=type=cache,from=untrusted.com/repo/image:tag,target=/foo foobar',
    'trusted-registry',
    true,
    { params: { trusted_registries: ['trusted.com', 'docker.io'] } },
  ),
  h(
    "DL3026 don't warn on run with bind mount from trusted registry",
    'RUN --mount=type=bind,from=trusted.com/repo/image:tag,target=/foo foobar',
    'trusted-registry',
    false,
    { params: { trusted_registries: ['trusted.com', 'docker.io'] } },
  ),
  h(
    "DL3026 don't warn on run with cache mount from trusted registry",
    'RUN --mount=type=cache,from=trusted.com/repo/image:tag,target=/foo foobar',
    'trusted-registry',
    false,
    { params: { trusted_registries: ['trusted.com', 'docker.io'] } },
  ),
  h(
    'DL3026 distrust all forms of docker.io if trusted registries are given',
    [
      'FROM ubuntu:18.04 AS builder1',
      'FROM zemanlx/ubuntu:18.04 AS builder2',
      'FROM docker.io/zemanlx/ubuntu:18.04 AS builder3',
    ],
    'trusted-registry',
    true,
    { params: { trusted_registries: ['trusted.com'] }, count: 3 },
  ),
  // DL3042 - Avoid use of cache directory with pip
  h('DL3042 pip2 --no-cache-dir not used', 'RUN pip2 install MySQL_python', 'pip-no-cache', true),
  h('DL3042 pip3 --no-cache-dir not used', 'RUN pip3 install MySQL_python', 'pip-no-cache', true),
  h('DL3042 pip --no-cache-dir not used', 'RUN pip install MySQL_python', 'pip-no-cache', true),
  h('DL3042 pip2 --no-cache-dir used', 'RUN pip2 install MySQL_python --no-cache-dir', 'pip-no-cache', false),
  h('DL3042 pip3 --no-cache-dir used', 'RUN pip3 install --no-cache-dir MySQL_python', 'pip-no-cache', false),
  h('DL3042 pip --no-cache-dir used', 'RUN pip install MySQL_python --no-cache-dir', 'pip-no-cache', false),
  h("DL3042 don't match on pipx", 'RUN pipx install software', 'pip-no-cache', false),
  h("DL3042 don't match on pipenv", 'RUN pipenv install library', 'pip-no-cache', false),
  ...TRUTHY.flatMap((v) => [
    h(
      `DL3042 respect ENV PIP_NO_CACHE_DIR=${v}`,
      ['FROM debian:12', `ENV PIP_NO_CACHE_DIR=${v}`, 'RUN pip install MySQL_python'],
      'pip-no-cache',
      false,
    ),
    h(
      `DL3042 respect RUN PIP_NO_CACHE_DIR=${v}`,
      `RUN PIP_NO_CACHE_DIR=${v} pip install MySQL_python`,
      'pip-no-cache',
      false,
    ),
    h(
      `DL3042 respect RUN export PIP_NO_CACHE_DIR=${v}`,
      `RUN export PIP_NO_CACHE_DIR=${v} && pip install MySQL_python`,
      'pip-no-cache',
      false,
    ),
  ]),
  ...FALSY.flatMap((v) => [
    h(
      `DL3042 respect ENV PIP_NO_CACHE_DIR=${v} (falsy)`,
      ['FROM debian:12', `ENV PIP_NO_CACHE_DIR=${v}`, 'RUN pip install MySQL_python'],
      'pip-no-cache',
      true,
    ),
    h(
      `DL3042 respect RUN PIP_NO_CACHE_DIR=${v} (falsy)`,
      `RUN PIP_NO_CACHE_DIR=${v} pip install MySQL_python`,
      'pip-no-cache',
      true,
    ),
    h(
      `DL3042 respect RUN export PIP_NO_CACHE_DIR=${v} (falsy)`,
      `RUN export PIP_NO_CACHE_DIR=${v} && pip install MySQL_python`,
      'pip-no-cache',
      true,
    ),
  ]),
  h(
    "DL3042 don't trigger if PIP_NO_CACHE_DIR is inherited",
    ['FROM debian:buster as base', 'ENV PIP_NO_CACHE_DIR=1', 'FROM base', 'RUN pip install six'],
    'pip-no-cache',
    false,
  ),
  h(
    'DL3042 trigger if PIP_NO_CACHE_DIR is not inherited',
    ['FROM debian:buster as base', 'ENV PIP_NO_CACHE_DIR=1', 'FROM debian:buster', 'RUN pip install six'],
    'pip-no-cache',
    true,
  ),
  h(
    'DL3042 ok with cache mount in cache dir',
    'RUN --mount=type=cache,target=/root/.cache/pip pip install foobar',
    'pip-no-cache',
    false,
  ),
  h(
    'DL3042 ok with tmpfs mount in cache dir',
    'RUN --mount=type=tmpfs,target=/root/.cache/pip pip install foobar',
    'pip-no-cache',
    false,
  ),
  // DL3057 - HEALTHCHECK instruction missing
  h('DL3057 warn with no HEALTHCHECK instructions', 'FROM scratch', 'healthcheck', true),
  h(
    'DL3057 ok when HEALTHCHECK is explicitly disabled',
    ['FROM scratch', 'HEALTHCHECK NONE'],
    'healthcheck',
    true,
    {
      differs: 'a service the runtime cannot health-check is what the rule is about',
    },
  ),
  h(
    'DL3057 ok with one HEALTHCHECK instruction',
    ['FROM scratch', 'HEALTHCHECK CMD /bin/bla'],
    'healthcheck',
    false,
  ),
  h(
    'DL3057 ok with inheriting HEALTHCHECK instruction',
    ['FROM scratch AS base', 'HEALTHCHECK CMD /bin/bla', 'FROM base'],
    'healthcheck',
    false,
  ),
  h(
    'DL3057 ok with ending inheritance chain with HEALTHCHECK',
    [
      'FROM scratch AS base1',
      'FROM base1 AS base2',
      'FROM base2 AS base3',
      'FROM base3 AS end',
      'HEALTHCHECK NONE',
    ],
    'healthcheck',
    true,
    {
      differs: 'HEALTHCHECK NONE, as above',
    },
  ),
  h(
    'DL3057 warn when inheritance chain bifurcates',
    [
      'FROM scratch AS base1',
      'FROM base1 AS base2',
      'FROM base2 AS base3.1',
      'FROM base2 AS base3.2',
      '',
      'FROM base3.1 AS end1',
      'HEALTHCHECK NONE',
      '',
      'FROM base3.2 AS end2',
    ],
    'healthcheck',
    true,
  ),
  h(
    'DL3057 warn when not inheriting with no HEALTHCHECK instruction',
    ['FROM scratch AS base', 'HEALTHCHECK CMD /bin/bla', 'FROM scratch'],
    'healthcheck',
    true,
  ),
];

/** Cases of ours where hadolint stays silent: what it misses (not counted as its scenarios). */
const BEYOND: Case[] = [
  h(
    '(a comment line inside a continued RUN does not split the command)',
    ['RUN apt-get install -y --no-install-recommends \\', '    # the HTTP client', '    curl'],
    'apt-pin',
    true,
  ),
  h(
    '(a comment line inside a continued RUN, pinned)',
    [
      'RUN apt-get install -y --no-install-recommends \\',
      "    # don't float: pinned",
      '    curl=7.88.1-10+deb12u8',
    ],
    'apt-pin',
    false,
  ),
  h(
    '(hadolint issue: no USER at all is not flagged)',
    ['FROM python:3.11-slim', 'RUN pip install --no-cache-dir flask==3.0.0'],
    'non-root-user',
    true,
  ),
  h('(ARG default resolved)', ['ARG BASE=python', 'FROM ${BASE}'], 'base-image-tag', true),
  h(
    '(nested ARG default resolved)',
    ['ARG TAG=latest', 'ARG IMG=python:${TAG}', 'FROM ${IMG}'],
    'base-image-latest',
    true,
  ),
  h(
    "(a stage's own ARG in USER)",
    ['FROM python:3.11-slim', 'ARG UID=0', 'USER ${UID}'],
    'non-root-user',
    true,
  ),
  h(
    "(a stage's own ARG in USER, non-root)",
    ['FROM python:3.11-slim', 'ARG APP_UID=10001', 'USER ${APP_UID}'],
    'non-root-user',
    false,
  ),
  h(
    '(distroless :nonroot runs as 65532)',
    ['FROM gcr.io/distroless/python3-debian12:nonroot'],
    'non-root-user',
    false,
  ),
  h(
    '(distroless :debug-nonroot runs as 65532)',
    ['FROM gcr.io/distroless/base-debian12:debug-nonroot'],
    'non-root-user',
    false,
  ),
  h(
    '(distroless without nonroot runs as root)',
    ['FROM gcr.io/distroless/python3-debian12:latest'],
    'non-root-user',
    true,
  ),
  h('(first command after then)', 'RUN if true; then sudo make; fi', 'sudo', true),
  h('(curl piped to sh)', 'RUN curl -fsSL https://get.example.com | sh', 'pipe-to-shell', true),
  h('(ADD of a URL without --checksum)', 'ADD https://example.com/model.bin /models/', 'add-url', true),
  h(
    '(ADD of a URL with --checksum)',
    'ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/model.bin /models/',
    'add-url',
    false,
  ),
  h(
    '(a cache mount on a continuation line)',
    [
      'RUN --mount=type=secret,id=netrc \\',
      '    --mount=type=cache,target=/root/.cache/pip \\',
      '    pip install --root-user-action ignore torch==2.1.0',
    ],
    'pip-no-cache',
    false,
  ),
  h(
    '(pip --root-user-action takes a value)',
    'RUN pip install --no-cache-dir --root-user-action ignore torch==2.1.0',
    'pip-pin',
    false,
  ),
  h(
    '(apt-get -o X install)',
    'RUN apt-get -o Acquire::Retries=3 install -y --no-install-recommends curl',
    'apt-pin',
    true,
  ),
];

const withFrom = (lines: string[]) =>
  lines.some((l) => /^FROM\s/i.test(l)) ? lines : ['FROM debian:12', ...lines];

async function decide(c: Case): Promise<{ fired: boolean; count: number }> {
  const rules = await firedRules(`${withFrom(c.dockerfile).join('\n')}\n`, c.params);
  const count = rules.filter((r) => r === `dockerfile/${c.rule}`).length;
  return { fired: count > 0, count };
}

describe("dockerfile rules against hadolint's test cases", () => {
  const agreed: string[] = [];
  afterAll(() => {
    const differ = CASES.filter((c) => c.differs).length;
    // the figure the issue tracks; every case not marked `differs` is asserted to agree
    console.log(`hadolint agreement: ${agreed.length}/${CASES.length}, ${differ} differ on purpose`);
  });

  test.each(
    CASES.map(
      (c) =>
        [
          `${c.hadolint} → dockerfile/${c.rule} ${c.fires ? 'fires' : 'silent'}${c.differs ? ` (differs: ${c.differs})` : ''}`,
          c,
        ] as const,
    ),
  )('%s', async (_name, c) => {
    const { fired, count } = await decide(c);
    expect(fired).toBe(c.fires);
    if (c.count !== undefined) expect(count).toBe(c.count);
    if (!c.differs) agreed.push(c.hadolint);
  });

  test.each(
    BEYOND.map((c) => [`${c.hadolint} → dockerfile/${c.rule} ${c.fires ? 'fires' : 'silent'}`, c] as const),
  )('beyond hadolint: %s', async (_name, c) => {
    expect((await decide(c)).fired).toBe(c.fires);
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
        'sudo',
        'trusted-registry',
      ].map((r) => `dockerfile/${r}`),
    );
  });
});
