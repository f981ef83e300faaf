/**
 * "Classify" from the flows menu: a class built from a cell's value (an address or a port).
 * Either a new class (name and rank change), or an existing class applied to the value: classes
 * that share a name are one class to the analyst (the grid shows the name), so applying class
 * "Backup traffic" to 10.0.0.9 adds a rule named "Backup traffic" with the same rank effect that
 * matches 10.0.0.9.
 */
import type { EventClass, NewEventClass } from '../../../common/bridge/messages.js';
import { effectText } from './class-form.js';

export interface ClassifyTarget {
  field: 'address' | 'port';
  value: string | number;
}

export interface ClassifyForm {
  mode: 'new' | 'existing';
  name: string;
  /** Rank change for a new class, −10…+10. */
  delta: string;
  /** The existing class (by name) to apply. */
  existing: string;
}

export type ClassifyErrors = Partial<Record<'name' | 'delta' | 'existing', string>>;

export function targetLabel(t: ClassifyTarget): string {
  return t.field === 'address' ? String(t.value) : `port ${t.value}`;
}

/** Existing classes as the analyst sees them: one entry per name, with its rank effect. */
export function classChoices(classes: readonly EventClass[]): { name: string; effect: string }[] {
  const seen = new Map<string, string>();
  for (const c of classes) if (!seen.has(c.name)) seen.set(c.name, effectText(c));
  return [...seen].map(([name, effect]) => ({ name, effect })).sort((a, b) => a.name.localeCompare(b.name));
}

export function defaultClassifyForm(classes: readonly EventClass[]): ClassifyForm {
  return { mode: 'new', name: '', delta: '2', existing: classChoices(classes)[0]?.name ?? '' };
}

function matchFor(t: ClassifyTarget): NewEventClass['match'] {
  return t.field === 'address' ? { address: String(t.value) } : { port: Number(t.value) };
}

export function classifyRequest(t: ClassifyTarget, f: ClassifyForm, classes: readonly EventClass[]): { value: NewEventClass } | { errors: ClassifyErrors } {
  const match = matchFor(t);
  if (f.mode === 'existing') {
    const same = classes.filter((c) => c.name === f.existing);
    if (!same.length) return { errors: { existing: 'Pick a class (or create a new one).' } };
    const already = same.find((c) => Object.keys(c.match).length === 1 && (t.field === 'address' ? c.match.address === match.address : c.match.port === match.port));
    if (already) return { errors: { existing: `${f.existing} already applies to ${targetLabel(t)}.` } };
    const model = same[0];
    const effect = model.set_rank !== undefined ? { set_rank: model.set_rank } : { rank_delta: model.rank_delta ?? 0 };
    return { value: { name: model.name, match, enabled: true, ...effect } };
  }
  const errors: ClassifyErrors = {};
  const name = f.name.trim();
  if (!name) errors.name = 'Give the class a name (it labels what it matches).';
  else if (name.length > 100) errors.name = 'At most 100 characters.';
  const d = f.delta.trim();
  const delta = /^[+-]?\d{1,2}$/.test(d) ? Number(d) : NaN;
  if (!(delta >= -10 && delta <= 10)) errors.delta = 'A whole number from −10 (likely false positive) to +10 (high threat).';
  if (Object.keys(errors).length) return { errors };
  return { value: { name, match, rank_delta: delta, enabled: true } };
}
