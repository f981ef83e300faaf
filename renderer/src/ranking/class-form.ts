/**
 * The event-class editor's text fields ↔ the NewEventClass message: one message per wrong field,
 * checked with the same schema the back end uses (common/bridge/messages.ts), so what the form
 * accepts the server accepts.
 */
import { CLASSIFIABLE_KINDS, ID_PATTERN, NewEventClassSchema, isAddressOrCidr, type EventClass, type NewEventClass } from '../../../common/bridge/messages.js';

export type ClassKind = (typeof CLASSIFIABLE_KINDS)[number];

export interface ClassForm {
  name: string;
  sid: string;
  message: string;
  address: string;
  port: string;
  sensor: string;
  /** '' = any kind. */
  kind: '' | ClassKind;
  effect: 'delta' | 'set';
  /** The delta or the rank to set, −10…+10. */
  value: string;
  enabled: boolean;
}

export type ClassFormField = Exclude<keyof ClassForm, 'enabled' | 'effect'> | 'match';
export type ClassFormErrors = Partial<Record<ClassFormField, string>>;

export const EMPTY_CLASS_FORM: Readonly<ClassForm> = Object.freeze({
  name: '',
  sid: '',
  message: '',
  address: '',
  port: '',
  sensor: '',
  kind: '',
  effect: 'delta',
  value: '1',
  enabled: true,
});

export function classToForm(c: EventClass): ClassForm {
  return {
    name: c.name,
    sid: c.match.sid === undefined ? '' : String(c.match.sid),
    message: c.match.message_contains ?? '',
    address: c.match.address ?? '',
    port: c.match.port === undefined ? '' : String(c.match.port),
    sensor: c.match.sensor ?? '',
    kind: c.match.kind ?? '',
    effect: c.set_rank === undefined ? 'delta' : 'set',
    value: String(c.set_rank ?? c.rank_delta ?? 0),
    enabled: c.enabled,
  };
}

function whole(text: string, min: number, max: number): number | null {
  const t = text.trim();
  if (!/^[+-]?\d{1,10}$/.test(t)) return null;
  const n = Number(t);
  return n >= min && n <= max ? n : null;
}

/** "+2" for a delta, "= −3" for a set rank. */
export function effectText(c: Pick<EventClass, 'rank_delta' | 'set_rank'>): string {
  if (c.set_rank !== undefined) return `= ${c.set_rank}`;
  const d = c.rank_delta ?? 0;
  return d > 0 ? `+${d}` : String(d);
}

/** "address 10.0.0.0/8, port 443" */
export function describeMatch(m: EventClass['match']): string {
  const parts: string[] = [];
  if (m.address !== undefined) parts.push(`address ${m.address}`);
  if (m.port !== undefined) parts.push(`port ${m.port}`);
  if (m.sid !== undefined) parts.push(`sid ${m.sid}`);
  if (m.message_contains !== undefined) parts.push(`message contains "${m.message_contains}"`);
  if (m.sensor !== undefined) parts.push(`sensor ${m.sensor}`);
  if (m.kind !== undefined) parts.push(`${m.kind} events`);
  return parts.join(', ');
}

export function formToClass(f: ClassForm): { value: NewEventClass } | { errors: ClassFormErrors } {
  const errors: ClassFormErrors = {};
  const match: NewEventClass['match'] = {};
  const name = f.name.trim();
  if (!name) errors.name = 'Give the class a name.';
  else if (name.length > 100) errors.name = 'At most 100 characters.';
  if (f.sid.trim()) {
    const n = whole(f.sid, 1, 4_294_967_295);
    if (n === null) errors.sid = 'A signature id is a whole number from 1.';
    else match.sid = n;
  }
  if (f.message.trim()) {
    if (f.message.trim().length > 200) errors.message = 'At most 200 characters.';
    else match.message_contains = f.message.trim();
  }
  if (f.address.trim()) {
    if (!isAddressOrCidr(f.address.trim())) errors.address = `"${f.address.trim()}" is not an IP address or CIDR block (e.g. 10.0.0.5 or 10.0.0.0/8).`;
    else match.address = f.address.trim();
  }
  if (f.port.trim()) {
    const n = whole(f.port, 0, 65535);
    if (n === null) errors.port = 'A port is a whole number from 0 to 65535.';
    else match.port = n;
  }
  if (f.sensor.trim()) {
    if (!ID_PATTERN.test(f.sensor.trim())) errors.sensor = 'A sensor id: letters, digits, . _ - (at most 64).';
    else match.sensor = f.sensor.trim();
  }
  if (f.kind) match.kind = f.kind;
  if (Object.keys(match).length === 0 && !errors.sid && !errors.message && !errors.address && !errors.port && !errors.sensor)
    errors.match = 'Give at least one thing to match (address, port, sid, message, sensor or kind).';
  const v = whole(f.value, -10, 10);
  if (v === null) errors.value = f.effect === 'set' ? 'The rank to set is a whole number from −10 to +10.' : 'The change is a whole number from −10 to +10.';
  if (Object.keys(errors).length) return { errors };
  const value: NewEventClass = { name, match, enabled: f.enabled, ...(f.effect === 'set' ? { set_rank: v as number } : { rank_delta: v as number }) };
  // the schema has the last word (the same check the back end makes)
  const r = NewEventClassSchema.safeParse(value);
  if (!r.success) return { errors: { match: r.error.issues[0]?.message ?? 'invalid class' } };
  return { value };
}
