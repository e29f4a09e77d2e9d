import { relative, resolve } from 'node:path';
import { assertProjectFolder } from '../spec/project-folder.js';
import { type CheckRegistry, loadBuiltinChecks } from '../engine/registry.js';
import { findSpecFile, type LoadedSpec, loadSpec } from '../spec/load.js';
import type { CliIO } from './io.js';

export interface ProjectOptions {
  config?: string;
}

export interface Project {
  registry: CheckRegistry;
  loaded: LoadedSpec;
  /** The spec path as the user sees it (relative to where mlgate runs). */
  specPath: string;
}

/** DIR/mlgate.yaml, or --config FILE; paths in the spec are relative to the spec's folder. */
export async function loadProject(
  dir: string | undefined,
  options: ProjectOptions,
  io: CliIO,
): Promise<Project> {
  const registry = await loadBuiltinChecks();
  const file = options.config ? resolve(io.cwd, options.config) : findSpecFile(resolve(io.cwd, dir ?? '.'));
  if (!options.config) assertProjectFolder(dir ?? '.', file, io.cwd);
  const loaded = loadSpec(file, registry);
  const specPath = relative(io.cwd, file) || file;
  return { registry, loaded, specPath };
}
