/**
 * What `mlgate export` carried in `<!-- mlgate: ... -->` comments is read back only when the
 * Markdown still says the same thing. A checklist can come from anyone, and a comment is
 * invisible where the checklist is read, so a comment is honoured only
 *   - for the item it was written for: the title is the exported one (an edited title means
 *     the words changed, and the check comes from the new words);
 *   - when the item shows its check: "Checked by mlgate (KIND)" or "Sign-off …", as export
 *     writes it — a hidden comment cannot turn "Legal approves" into a file check;
 * and it never brings a way out of the project or the machine: `allow_outside_project`, a
 * check's `url` to another host, the service's `url` elsewhere or `allow_remote` are dropped,
 * each named in the import summary. Commands stay disabled (`review: required`) elsewhere.
 */
import type { ChecklistItem } from './parse.js';

export interface Vetted<T> {
  value?: T;
  notes: string[];
}

type Obj = Record<string, unknown>;

const isObj = (value: unknown): value is Obj => !!value && typeof value === 'object' && !Array.isArray(value);

export function carriedKind(carried: Obj): string {
  const check = carried.check as { kind?: unknown } | undefined;
  return typeof check?.kind === 'string' ? check.kind : 'manual';
}

/** 127.0.0.0/8, ::1 and localhost: the only hosts a carried url may name. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
  } catch {
    return false;
  }
}

/**
 * A `url` anywhere in a check's params that leaves the machine: the top-level one (http) and
 * nested ones such as the alerts kind's `metrics.url`, whose headers may carry `${env.NAME}`.
 */
function offMachineUrl(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const entry of value) {
      const found = offMachineUrl(entry);
      if (found) return found;
    }
    return undefined;
  }
  if (!isObj(value)) return undefined;
  for (const [key, entry] of Object.entries(value)) {
    if (key === 'url' && typeof entry === 'string' && !isLoopbackUrl(entry)) return entry;
    const found = offMachineUrl(entry);
    if (found) return found;
  }
  return undefined;
}

export function vetCarriedItem(item: ChecklistItem): Vetted<Obj> {
  const carried = item.carried;
  if (!carried) return { notes: [] };
  const where = `line ${item.line}`;
  const title = carried.title;
  if (typeof title !== 'string' || (title !== item.title && title !== item.writtenTitle))
    return {
      notes: [
        `${where}: "${item.title}" differs from the title its mlgate comment was written for; the check comes from the words`,
      ],
    };
  const kind = carriedKind(carried);
  // Export shows every check: a sign-off line, a command's Verification block, or the kind.
  const shown =
    kind === 'manual'
      ? item.description.some((line) => /^Sign-off\b/.test(line))
      : kind === 'command'
        ? item.blocks.some((block) => block.role === 'verification' || block.role === 'in-item')
        : item.description.includes(`Checked by mlgate (${kind})`);
  if (!shown)
    return {
      notes: [
        `${where}: an mlgate comment names ${kind === 'manual' ? 'a sign-off' : `a ${kind} check`} the item does not show ("${kind === 'manual' ? 'Sign-off' : `Checked by mlgate (${kind})`}"); ignored, the check comes from the words`,
      ],
    };
  const check = isObj(carried.check) ? { ...carried.check } : undefined;
  const away = check ? offMachineUrl(check) : undefined;
  if (away)
    return {
      notes: [
        `${where}: an mlgate comment sends the ${kind} check to ${away}, off this machine; ignored, the check comes from the words`,
      ],
    };
  const notes: string[] = [];
  const value: Obj = { ...carried };
  if ('allow_outside_project' in value || (check && 'allow_outside_project' in check)) {
    delete value.allow_outside_project;
    if (check) delete check.allow_outside_project;
    notes.push(
      `${where}: allow_outside_project from an mlgate comment dropped (set it yourself if you mean it)`,
    );
  }
  if (check) value.check = check;
  return { value, notes };
}

export function vetCarriedSpec(spec: Obj): Vetted<Obj> {
  const notes: string[] = [];
  const value: Obj = { ...spec };
  if (isObj(value.service)) {
    const service: Obj = { ...value.service };
    if (typeof service.url === 'string' && !isLoopbackUrl(service.url)) {
      notes.push(
        `the service url ${service.url} from the mlgate-spec comment is off this machine: replaced by a TODO placeholder`,
      );
      service.url = 'http://127.0.0.1:8000';
    }
    if ('allow_remote' in service) {
      delete service.allow_remote;
      notes.push('allow_remote from the mlgate-spec comment dropped (set it yourself if you mean it)');
    }
    if (isObj(service.start)) {
      const start: Obj = { review: 'required', ...service.start };
      if ('allow_outside_project' in start) {
        delete start.allow_outside_project;
        notes.push('service.start.allow_outside_project from the mlgate-spec comment dropped');
      }
      service.start = start;
    }
    value.service = service;
  }
  if (isObj(value.artifacts)) {
    const artifacts: Obj = {};
    for (const [name, artifact] of Object.entries(value.artifacts)) {
      if (isObj(artifact) && 'allow_outside_project' in artifact) {
        const { allow_outside_project: _dropped, ...rest } = artifact;
        artifacts[name] = rest;
        notes.push(`artifact ${name}: allow_outside_project from the mlgate-spec comment dropped`);
      } else artifacts[name] = artifact;
    }
    value.artifacts = artifacts;
  }
  return { value, notes };
}
