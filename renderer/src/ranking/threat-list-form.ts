/**
 * The threat-list editor: entries pasted one per line (blank lines and # comments ignored, as in
 * most published lists), each checked; the first wrong line is reported with its number.
 */
import { MAX_THREAT_ENTRIES, isAddressOrCidr, type NewThreatList, type ThreatList } from '../../../common/bridge/messages.js';

export interface ThreatListForm {
  name: string;
  rank: string;
  /** One address or CIDR block per line. */
  entries: string;
  enabled: boolean;
}

export type ThreatListErrors = Partial<Record<'name' | 'rank' | 'entries', string>>;

export const EMPTY_THREAT_LIST_FORM: Readonly<ThreatListForm> = Object.freeze({ name: '', rank: '3', entries: '', enabled: true });

export type ParsedEntries = { ok: true; entries: string[] } | { ok: false; line: number; text: string; message: string };

export function parseEntries(text: string): ParsedEntries {
  const entries: string[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const hash = lines[i].indexOf('#');
    const t = (hash < 0 ? lines[i] : lines[i].slice(0, hash)).trim();
    if (!t) continue;
    if (!isAddressOrCidr(t)) {
      const shown = t.length > 60 ? `${t.slice(0, 57)}…` : t;
      return { ok: false, line: i + 1, text: shown, message: `line ${i + 1}: "${shown}" is not an IP address or CIDR block` };
    }
    if (seen.has(t)) continue;
    seen.add(t);
    entries.push(t);
    if (entries.length > MAX_THREAT_ENTRIES) return { ok: false, line: i + 1, text: t, message: `line ${i + 1}: a list holds at most ${MAX_THREAT_ENTRIES.toLocaleString('en-US')} entries; split it` };
  }
  return { ok: true, entries };
}

export function threatListToForm(l: ThreatList): ThreatListForm {
  return { name: l.name, rank: String(l.rank), entries: l.entries.join('\n'), enabled: l.enabled };
}

export function formToThreatList(f: ThreatListForm): { value: NewThreatList } | { errors: ThreatListErrors } {
  const errors: ThreatListErrors = {};
  const name = f.name.trim();
  if (!name) errors.name = 'Give the list a name.';
  else if (name.length > 100) errors.name = 'At most 100 characters.';
  const r = f.rank.trim();
  const rank = /^[+-]?\d{1,3}$/.test(r) ? Number(r) : NaN;
  if (!(rank >= -10 && rank <= 10)) errors.rank = 'The rank is a whole number from −10 to +10.';
  const parsed = parseEntries(f.entries);
  if (!parsed.ok) errors.entries = parsed.message;
  else if (parsed.entries.length === 0) errors.entries = 'Paste at least one address or CIDR block, one per line.';
  if (Object.keys(errors).length || !parsed.ok) return { errors };
  return { value: { name, rank, entries: parsed.entries, enabled: f.enabled } };
}
