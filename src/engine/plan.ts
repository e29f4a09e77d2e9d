/**
 * Which items run, at which severity: the profile picks severities and applicability,
 * --only picks a subset (plus everything it needs).
 */
import type { Severity } from '../domain/run-report.js';
import type { LoadedItem, LoadedSpec } from '../spec/load.js';
import { didYouMean } from '../util/suggest.js';
import { UsageError } from './errors.js';

export interface PlannedItem {
  item: LoadedItem;
  severity: Severity;
  applicable: boolean;
  /** Why it does not apply: "only in profiles prod (running dev)". */
  notApplicableReason?: string;
}

export interface Plan {
  profile: string | null;
  items: PlannedItem[];
  selection: { only: string[]; addedForNeeds: string[] } | null;
}

export interface PlanOptions {
  profile?: string;
  only?: string[];
}

export function selectProfile(loaded: LoadedSpec, requested?: string): string | null {
  const profiles = Object.keys(loaded.spec.profiles);
  if (requested !== undefined) {
    if (profiles.length === 0) {
      throw new UsageError(
        `--profile ${requested}: this spec defines no profiles`,
        'remove --profile, or add a "profiles:" map to the spec',
      );
    }
    if (!profiles.includes(requested)) {
      throw new UsageError(
        `unknown profile "${requested}".${didYouMean(requested, profiles)}`,
        `profiles in this spec: ${profiles.join(', ')}`,
      );
    }
    return requested;
  }
  if (loaded.spec.default_profile !== undefined) return loaded.spec.default_profile;
  if (profiles.length > 0) {
    // Guessing would decide which items apply; a gate must not guess that.
    throw new UsageError(
      `this spec defines profiles (${profiles.join(', ')}) and none was chosen`,
      'pass --profile NAME, or set "default_profile" in the spec',
    );
  }
  return null;
}

export function severityFor(item: LoadedItem, profile: string | null): Severity {
  if (typeof item.severity === 'string') return item.severity;
  return (profile !== null ? item.severity[profile] : undefined) ?? item.severity.default ?? 'required';
}

export function makePlan(loaded: LoadedSpec, options: PlanOptions = {}): Plan {
  const profile = selectProfile(loaded, options.profile);
  let selected = loaded.items;
  let selection: Plan['selection'] = null;
  if (options.only && options.only.length > 0) {
    const ids = loaded.items.map((item) => item.id);
    const byId = new Map(loaded.items.map((item) => [item.id, item]));
    const unknown = options.only.filter((id) => !byId.has(id));
    if (unknown.length > 0) {
      const first = unknown[0]!;
      throw new UsageError(
        `--only: unknown item id${unknown.length > 1 ? 's' : ''} ${unknown.map((id) => `"${id}"`).join(', ')}.${didYouMean(first, ids)}`,
        'see the ids with `mlgate validate --list`',
      );
    }
    const wanted = new Set<string>();
    const add = (id: string) => {
      if (wanted.has(id)) return;
      wanted.add(id);
      for (const need of [...(byId.get(id)?.needs ?? []), ...(byId.get(id)?.after ?? [])]) add(need);
    };
    options.only.forEach(add);
    selected = loaded.items.filter((item) => wanted.has(item.id));
    selection = {
      only: [...options.only],
      addedForNeeds: [...wanted].filter((id) => !options.only!.includes(id)),
    };
  }
  const items = selected.map((item): PlannedItem => {
    const severity = severityFor(item, profile);
    const missing = item.when.find((profiles) => profile === null || !profiles.includes(profile));
    if (missing) {
      return {
        item,
        severity,
        applicable: false,
        notApplicableReason:
          profile === null
            ? `applies only in profile${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; no profile selected`
            : `applies only in profile${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (running ${profile})`,
      };
    }
    return { item, severity, applicable: true };
  });
  return { profile, items, selection };
}
