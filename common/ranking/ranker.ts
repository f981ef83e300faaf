/**
 * Ranking: how threatening an event or flow is (negative = likely false positive, 0 = normal,
 * positive = high threat), from three sources, in this order:
 *
 *   1. rule priority (IDS events): 1 → +3, 2 → +2, 3 → +1, 4 and beyond → 0 (priorityRank);
 *   2. threat lists: touching a listed address (either side) adds the list's rank; when several
 *      lists match, the highest rank counts (a threat outranks an allow-list);
 *   3. event classes: every enabled class whose criteria all hold labels the event; the highest
 *      set_rank among them replaces the rank so far, then every rank_delta is added.
 *
 * base = priority rank + threat-list rank; rank = (max set_rank, else base) + Σ rank_delta,
 * clamped to −100…100. Sums and maxima do not depend on the order of classes or lists, so the
 * result does not either. Environment-free and allocation-light: compiled once per change of
 * classes or lists, applied to every event the services publish and every row they return.
 */
import type { EventClass, ThreatList } from '../bridge/messages.js';
import { AddressSet, addressKey, type AddressKey } from './address-set.js';

export const MIN_RANK = -100;
export const MAX_RANK = 100;

/** The CEF event types (the seed's list) of the events ranking emits, for SIEM export. */
export const CEF_EVENT_TYPES = { ranking: 10, 'class-match': 11 } as const;

/** IDS rule priority → rank: 1 → +3, 2 → +2, 3 → +1; 4 and beyond (and no priority) → 0. */
export function priorityRank(priority: number | null | undefined): number {
  if (priority === null || priority === undefined || !Number.isInteger(priority) || priority < 1) return 0;
  return Math.max(0, 4 - priority);
}

export function clampRank(rank: number): number {
  return rank < MIN_RANK ? MIN_RANK : rank > MAX_RANK ? MAX_RANK : rank;
}

/** What ranking looks at in an event or flow. */
export interface RankFacts {
  kind: string;
  sensor: string;
  sid: number | null;
  priority: number | null;
  message: string | null;
  /** Both sides' addresses (as text; non-addresses never match). */
  addresses: readonly string[];
  /** Both sides' ports. */
  ports: readonly number[];
}

export interface ClassHit {
  id: string;
  name: string;
}

export interface RankOutcome {
  /** Before classes: priority rank + threat-list rank. */
  base: number;
  /** After classes. */
  rank: number;
  /** Names of the matching classes, sorted and without repeats. */
  labels: string[];
  /** The matching classes, ordered by id. */
  hits: ClassHit[];
}

interface CompiledClass {
  id: string;
  name: string;
  sid: number | undefined;
  /** Lower-cased. */
  message: string | undefined;
  address: AddressSet | undefined;
  port: number | undefined;
  sensor: string | undefined;
  kind: string | undefined;
  delta: number;
  set: number | undefined;
}

interface CompiledList {
  rank: number;
  set: AddressSet;
}

const NO_LABELS: string[] = [];
const NO_HITS: ClassHit[] = [];

export class Ranker {
  private readonly classes: CompiledClass[];
  private readonly lists: CompiledList[];

  /** Disabled classes and lists are left out here, once. */
  constructor(classes: readonly EventClass[] = [], lists: readonly ThreatList[] = []) {
    this.classes = classes
      .filter((c) => c.enabled)
      .map((c) => ({
        id: c.id,
        name: c.name,
        sid: c.match.sid,
        message: c.match.message_contains?.toLowerCase(),
        address: c.match.address === undefined ? undefined : new AddressSet([c.match.address]),
        port: c.match.port,
        sensor: c.match.sensor,
        kind: c.match.kind,
        delta: c.rank_delta ?? 0,
        set: c.set_rank,
      }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.lists = lists.filter((l) => l.enabled && l.entries.length > 0).map((l) => ({ rank: l.rank, set: new AddressSet(l.entries) }));
  }

  /** Nothing enabled: every rank is the priority rank (callers may skip work). */
  get idle(): boolean {
    return this.classes.length === 0 && this.lists.length === 0;
  }

  rank(f: RankFacts): RankOutcome {
    const prio = priorityRank(f.priority);
    if (this.idle) return { base: prio, rank: clampRank(prio), labels: NO_LABELS, hits: NO_HITS };

    // each address parsed once per call, whatever the number of lists and classes
    const keys: AddressKey[] = [];
    for (const a of f.addresses) {
      const k = addressKey(a);
      if (k !== null) keys.push(k);
    }

    let threat: number | null = null;
    for (const l of this.lists) {
      if (threat !== null && l.rank <= threat) continue;
      for (const k of keys) {
        if (l.set.hasKey(k)) {
          threat = l.rank;
          break;
        }
      }
    }
    const base = clampRank(prio + (threat ?? 0));

    let message: string | null | undefined;
    let set: number | null = null;
    let delta = 0;
    let hits: ClassHit[] | null = null;
    for (const c of this.classes) {
      if (c.kind !== undefined && c.kind !== f.kind) continue;
      if (c.sensor !== undefined && c.sensor !== f.sensor) continue;
      if (c.sid !== undefined && c.sid !== f.sid) continue;
      if (c.port !== undefined && !f.ports.includes(c.port)) continue;
      if (c.address !== undefined && !keys.some((k) => (c.address as AddressSet).hasKey(k))) continue;
      if (c.message !== undefined) {
        if (message === undefined) message = f.message === null ? null : f.message.toLowerCase();
        if (message === null || !message.includes(c.message)) continue;
      }
      (hits ??= []).push({ id: c.id, name: c.name });
      if (c.set !== undefined) set = set === null ? c.set : Math.max(set, c.set);
      delta += c.delta;
    }
    if (hits === null) return { base, rank: base, labels: NO_LABELS, hits: NO_HITS };
    const labels = [...new Set(hits.map((h) => h.name))].sort();
    return { base, rank: clampRank((set ?? base) + delta), labels, hits };
  }
}
