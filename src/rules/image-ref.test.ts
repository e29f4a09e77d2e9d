import { describe, expect, test } from 'vitest';
import { imageTagProblem, knownNonRootUser, parseImage, registryMatches } from './image.js';

describe('image references', () => {
  test('registries with ports, Docker Hub forms, ko://', () => {
    expect(parseImage('localhost:5000/img:1.2')).toEqual({
      registry: 'localhost:5000',
      repository: 'img',
      tag: '1.2',
    });
    expect(parseImage('registry.example.com:5000/ml/serve')).toEqual({
      registry: 'registry.example.com:5000',
      repository: 'ml/serve',
    });
    expect(parseImage('index.docker.io/python:3.11').registry).toBe('docker.io');
    expect(parseImage('ko://github.com/acme/model-server/cmd/serve')).toEqual({
      registry: 'ko',
      repository: 'github.com/acme/model-server/cmd/serve',
      ko: true,
    });
    expect(imageTagProblem('ko://github.com/acme/serve')).toBeUndefined();
    expect(imageTagProblem('localhost:5000/img')).toBe('no tag');
    expect(imageTagProblem('localhost:5000/img:latest')).toBe('latest');
    expect(imageTagProblem('img:latest@sha256:abc')).toBeUndefined();
  });

  test('registry patterns: prefixes, ports, wildcards, Docker Hub', () => {
    expect(registryMatches('localhost:5000/img:1.2', 'localhost:5000')).toBe(true);
    expect(registryMatches('localhost:5001/img:1.2', 'localhost:5000')).toBe(false);
    expect(
      registryMatches('123.dkr.ecr.eu-west-1.amazonaws.com/ml/serve:1', '*.dkr.ecr.*.amazonaws.com'),
    ).toBe(true);
    expect(registryMatches('ghcr.io/acme/serve:1', 'ghcr.io/acme/*')).toBe(true);
    expect(registryMatches('ghcr.io/other/serve:1', 'ghcr.io/acme/*')).toBe(false);
    expect(registryMatches('python:3.11', 'docker.io/library')).toBe(true);
    expect(registryMatches('python:3.11', 'index.docker.io')).toBe(true);
    expect(registryMatches('nvcr.io.evil.com/x:1', 'nvcr.io')).toBe(false);
    expect(registryMatches('anything/at:all', '*')).toBe(true);
  });

  test('base images known to run as non-root', () => {
    expect(knownNonRootUser('gcr.io/distroless/python3-debian12:nonroot')?.user).toMatch(/65532/);
    expect(knownNonRootUser('gcr.io/distroless/static-debian12:debug-nonroot')?.user).toMatch(/65532/);
    expect(knownNonRootUser('gcr.io/distroless/static-debian12:latest')).toBeUndefined();
    expect(knownNonRootUser('gcr.io/distroless/static-debian12')).toBeUndefined();
    expect(knownNonRootUser('cgr.dev/chainguard/python:latest')?.user).toMatch(/65532/);
    expect(knownNonRootUser('cgr.dev/chainguard/python:latest-dev')).toBeUndefined();
    expect(knownNonRootUser('quay.io/jupyter/scipy-notebook:2024-05-27')?.user).toMatch(/jovyan/);
    expect(knownNonRootUser('python:3.11-slim')).toBeUndefined();
  });
});
