/**
 * The Real-Time view's rows: each row summarizes one or more flows or events.
 *
 * - Flow rows group the flows of one client using one service: same sensor, protocol, client
 *   address and server port. The row counts its flows, bytes and packets, and keeps the distinct
 *   servers, client ports (and, for port-less protocols, nothing more) it covers: a cell shows
 *   the value when there is one, "N servers" when there are several.
 * - Event rows (IDS alerts, discovery, syslog, files, notices and any kind added later) group
 *   repeats of one event: same sensor, kind, signature (sid, else message), source and
 *   destination: an incident-style aggregate with a count.
 * - Events tied to an address (service and host discovery, syslog, alerts) are also listed below
 *   the addresses of every row that covers that address, and counted in its Events column; a file
 *   event is tied to the row of its flow.
 *
 * Flow rows without any tied event are hidden unless "flow events" are enabled. Rows are shown in
 * the order they became visible, newest on top; pausing freezes that list (new rows are counted
 * and held back; counts of shown rows keep updating). Numbers live in typed arrays (about 90 bytes
 * a row plus its key); distinct-value sets exist only for rows that cover more than one value.
 */
import type { FlowRow } from '../../../common/bridge/messages.js';
import { BOOKKEEPING_KINDS, factAddresses, type EventFacts } from '../events/event-facts.js';
import { Interner } from '../flows/interner.js';

export type AggregateKind = 'flow' | 'event';

/** A tied event as listed under a row's addresses. */
export interface TiedEvent {
  kind: string;
  ts: number;
  rank: number;
  message: string;
  address: string;
}

/** A row as the grid and the menus see it (a fresh object, only for rows on screen). */
export interface AggregateRow {
  index: number;
  rowKind: AggregateKind;
  kind: string;
  sensor: string;
  firstTs: number;
  lastTs: number;
  rank: number;
  bytes: number;
  packets: number;
  flows: number;
  /** Log messages correlated with the row's flows (their log_count, where the sensor counts them). */
  logs: number;
  /** Events aggregated (event rows) or tied to the row's addresses and flows (flow rows). */
  events: number;
  servers: string[];
  clients: string[];
  serverPorts: number[];
  clientPorts: number[];
  proto: number | null;
  sid: number | null;
  message: string;
  /** The most recent flows of the row (sensor-scoped ids), newest last; at most MAX_FLOW_REFS. */
  flowIds: string[];
  /** The latest events tied to the row's addresses, newest first. */
  tied: TiedEvent[];
}

export type ListField = 'servers' | 'clients' | 'serverPorts' | 'clientPorts';

export const MAX_FLOW_REFS = 200;
/**
 * Flows remembered individually (to count a re-sent, grown flow once and to tie a file event to
 * its flow's row), most recent first: live flows are re-sent while they last, files follow their
 * flow closely, so a bounded memory suffices.
 */
export const RECENT_FLOWS = 200_000;
const MAX_TIED_PER_ADDRESS = 8;
const INITIAL = 1024;

type Arr = Float64Array | Uint32Array | Int32Array | Int16Array | Int8Array | Uint8Array;
function grow<A extends Arr>(a: A, n: number): A {
  const b = new (a.constructor as new (n: number) => A)(n);
  b.set(a);
  return b;
}

export interface AggregateStoreOptions {
  /** Rows kept at most; above it the oldest tenth is dropped at once. */
  maxRows?: number;
}

export class AggregateStore {
  readonly maxRows: number;
  private n = 0;
  private cap = 0;
  private rowKind = new Uint8Array(0);
  private kind = new Uint32Array(0);
  private sensor = new Uint32Array(0);
  private proto = new Int16Array(0);
  private first = new Float64Array(0);
  private last = new Float64Array(0);
  private bytes = new Float64Array(0);
  private packets = new Float64Array(0);
  private flows = new Uint32Array(0);
  private logs = new Float64Array(0);
  private events = new Uint32Array(0);
  private rank = new Int8Array(0);
  private client = new Uint32Array(0);
  private server = new Uint32Array(0);
  private sport = new Int32Array(0);
  private cport = new Int32Array(0);
  private sid = new Int32Array(0);
  private message = new Uint32Array(0);
  private shownAt = new Int32Array(0);

  private keys: string[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly serverSets = new Map<number, Set<number>>();
  private readonly clientSets = new Map<number, Set<number>>();
  private readonly sportSets = new Map<number, Set<number>>();
  private readonly cportSets = new Map<number, Set<number>>();
  private readonly flowRefs = new Map<number, string[]>();
  /** Flow id (sensor-scoped) → row, for tying file events to their flow's row. */
  private readonly flowRow = new Map<string, number>();
  /** Address id → rows covering it. */
  private readonly addrRows = new Map<number, number[]>();
  /** Address id → events tied to it (newest last) and their count. */
  private readonly addrEvents = new Map<number, { count: number; recent: TiedEvent[] }>();
  /** Events tied through flows (file events): row → count. */
  private readonly flowTied = new Map<number, number>();

  private readonly strings = new Interner();

  private order = new Int32Array(0);
  private orderLen = 0;
  private visible = 0;
  private paused = false;
  private showFlowRows = false;
  dropped = 0;

  constructor(opts: AggregateStoreOptions = {}) {
    this.maxRows = opts.maxRows ?? 1_000_000;
  }

  get size(): number {
    return this.n;
  }
  get visibleCount(): number {
    return this.visible;
  }
  get pendingNew(): number {
    return this.orderLen - this.visible;
  }
  get flowRowsShown(): boolean {
    return this.showFlowRows;
  }

  // ------------------------------------------------------------ input

  /** Adds a batch of events (facts); returns whether anything changed. */
  add(batch: readonly { facts: EventFacts; flow?: FlowRow }[]): boolean {
    let any = false;
    for (const { facts, flow } of batch) {
      if (BOOKKEEPING_KINDS.has(facts.kind)) continue;
      if (facts.kind === 'flow' && flow) this.addFlow(facts, flow);
      else this.addEvent(facts);
      any = true;
    }
    return any;
  }

  private addFlow(f: EventFacts, flow: FlowRow): void {
    const key = `f\u0000${f.sensor}\u0000${flow.proto ?? -1}\u0000${flow.client_ip ?? ''}\u0000${flow.server_port ?? -1}`;
    const flowKey = `${f.sensor}\u0000${flow.id}`;
    let r = this.byKey.get(key);
    const known = this.flowRow.get(flowKey);
    const isNew = r === undefined;
    if (r === undefined) {
      r = this.create(key, 0, f);
      this.client[r] = this.strings.id(flow.client_ip ?? '');
      this.server[r] = this.strings.id(flow.server_ip ?? '');
      this.sport[r] = flow.server_port ?? -1;
      this.cport[r] = flow.client_port ?? -1;
      this.proto[r] = flow.proto ?? -1;
      this.message[r] = this.strings.id(flow.kind === 'ip' ? '' : flow.kind);
      this.index(r, this.client[r]);
      this.index(r, this.server[r]);
    } else {
      this.note(this.serverSets, r, this.server, this.strings.id(flow.server_ip ?? ''), true);
      this.note(this.cportSets, r, this.cport, flow.client_port ?? -1, false);
    }
    if (known === r) {
      // An update of a flow already counted (it grew): replace its totals, not add them again.
      const prev = this.flowTotals.get(flowKey);
      if (prev) {
        this.bytes[r] += flow.bytes - prev[0];
        this.packets[r] += flow.packets - prev[1];
        this.logs[r] += (flow.log_count ?? 0) - prev[2];
      }
    } else {
      this.bytes[r] += flow.bytes;
      this.packets[r] += flow.packets;
      this.logs[r] += flow.log_count ?? 0;
      this.flows[r]++;
      this.flowRow.set(flowKey, r);
      const refs = this.flowRefs.get(r) ?? [];
      refs.push(flow.id);
      if (refs.length > MAX_FLOW_REFS) refs.shift();
      this.flowRefs.set(r, refs);
    }
    this.flowTotals.delete(flowKey); // re-inserted: the most recently seen flows are kept longest
    this.flowTotals.set(flowKey, [flow.bytes, flow.packets, flow.log_count ?? 0]);
    if (this.flowTotals.size > RECENT_FLOWS) this.forgetOldestFlows();
    this.touch(r, f);
    if (isNew && this.isShown(r)) this.show(r);
  }

  /** Per flow: its last counted bytes, packets and log messages (flows are re-sent as they grow). */
  private readonly flowTotals = new Map<string, [number, number, number]>();

  /** Forgets the oldest tenth of the remembered flows (Maps iterate in insertion order). */
  private forgetOldestFlows(): void {
    let k = Math.floor(RECENT_FLOWS / 10);
    for (const key of this.flowTotals.keys()) {
      if (k-- <= 0) break;
      this.flowTotals.delete(key);
      this.flowRow.delete(key);
    }
  }

  private addEvent(f: EventFacts): void {
    const sig = f.sid !== null ? `sid:${f.sid}` : f.message.slice(0, 200);
    const key = `e\u0000${f.sensor}\u0000${f.kind}\u0000${sig}\u0000${f.srcIp ?? ''}\u0000${f.dstIp ?? ''}`;
    let r = this.byKey.get(key);
    if (r === undefined) {
      r = this.create(key, 1, f);
      this.client[r] = this.strings.id(f.srcIp ?? '');
      this.server[r] = this.strings.id(f.dstIp ?? '');
      this.sport[r] = f.dstPort ?? -1;
      this.cport[r] = f.srcPort ?? -1;
      this.proto[r] = f.proto ?? -1;
      this.sid[r] = f.sid ?? -1;
      this.message[r] = this.strings.id(f.message.slice(0, 500));
      this.index(r, this.client[r]);
      this.index(r, this.server[r]);
      this.show(r);
    } else {
      this.note(this.sportSets, r, this.sport, f.dstPort ?? -1, false);
      this.note(this.cportSets, r, this.cport, f.srcPort ?? -1, false);
    }
    this.events[r]++;
    this.bytes[r] += f.bytes;
    this.packets[r] += f.packets;
    this.touch(r, f);

    // tie the event to the rows of its addresses and of its flow
    const line = (address: string): TiedEvent => ({ kind: f.kind, ts: f.ts, rank: f.rank, message: f.message.slice(0, 200), address });
    for (const a of factAddresses(f)) {
      const id = this.strings.id(a);
      const entry = this.addrEvents.get(id) ?? { count: 0, recent: [] };
      const first = entry.count === 0;
      entry.count++;
      entry.recent.push(line(a));
      if (entry.recent.length > MAX_TIED_PER_ADDRESS) entry.recent.shift();
      this.addrEvents.set(id, entry);
      // the first event of an address shows every row covering it; later ones find them shown
      // (rows created afterwards are checked in index()), so a busy address costs O(1) per event
      if (first) for (const row of this.addrRows.get(id) ?? []) if (row !== r) this.tiedChanged(row);
    }
    if (f.flowId !== null) {
      const row = this.flowRow.get(`${f.sensor}\u0000${f.flowId}`);
      if (row !== undefined) {
        this.flowTied.set(row, (this.flowTied.get(row) ?? 0) + 1);
        this.tiedChanged(row);
      }
    }
  }

  private create(key: string, rowKind: number, f: EventFacts): number {
    if (this.n >= this.maxRows) this.dropOldest(this.n - Math.floor(this.maxRows * 0.9));
    if (this.n === this.cap) this.growTo(Math.max(INITIAL, Math.ceil(this.cap * 1.5)));
    const r = this.n++;
    this.keys[r] = key;
    this.byKey.set(key, r);
    this.rowKind[r] = rowKind;
    this.kind[r] = this.strings.id(f.kind);
    this.sensor[r] = this.strings.id(f.sensor);
    this.first[r] = f.ts;
    this.last[r] = f.ts;
    this.rank[r] = Math.max(-100, Math.min(100, f.rank));
    this.sid[r] = -1;
    this.shownAt[r] = -1;
    // a slot freed by dropOldest still holds an old row's numbers
    this.bytes[r] = 0;
    this.packets[r] = 0;
    this.flows[r] = 0;
    this.logs[r] = 0;
    this.events[r] = 0;
    this.client[r] = 0;
    this.server[r] = 0;
    this.sport[r] = -1;
    this.cport[r] = -1;
    this.proto[r] = -1;
    this.message[r] = 0;
    return r;
  }

  private touch(r: number, f: EventFacts): void {
    if (f.ts < this.first[r]) this.first[r] = f.ts;
    if (f.ts > this.last[r]) this.last[r] = f.ts;
    if (f.rank > this.rank[r]) this.rank[r] = Math.min(100, f.rank);
  }

  /** Records a value in a row's distinct set (created when a second value appears). */
  private note(sets: Map<number, Set<number>>, r: number, firstCol: Uint32Array | Int32Array, v: number, isAddress: boolean): void {
    const set = sets.get(r);
    if (set) {
      if (!set.has(v)) {
        set.add(v);
        if (isAddress) this.index(r, v);
      }
      return;
    }
    if (firstCol[r] === v) return;
    sets.set(r, new Set([firstCol[r], v]));
    if (isAddress) this.index(r, v);
  }

  private index(r: number, addr: number): void {
    if (this.strings.value(addr) === '') return;
    const rows = this.addrRows.get(addr);
    if (rows) {
      if (rows[rows.length - 1] !== r) rows.push(r);
    } else this.addrRows.set(addr, [r]);
    if (this.rowKind[r] === 0 && this.addrEvents.has(addr)) this.tiedChanged(r);
  }

  private tiedChanged(r: number): void {
    if (this.shownAt[r] < 0 && this.isShown(r)) this.show(r);
  }

  /** Events tied to a flow row: through its addresses and its flows. */
  private tiedCount(r: number): number {
    let n = this.flowTied.get(r) ?? 0;
    for (const a of this.addressesOf(r)) n += this.addrEvents.get(a)?.count ?? 0;
    return n;
  }

  private addressesOf(r: number): number[] {
    const out = new Set<number>([this.client[r], ...(this.serverSets.get(r) ?? [this.server[r]])]);
    if (this.rowKind[r] === 1) for (const a of this.clientSets.get(r) ?? []) out.add(a);
    return [...out].filter((a) => this.strings.value(a) !== '');
  }

  private isShown(r: number): boolean {
    return this.rowKind[r] === 1 || this.showFlowRows || this.tiedCount(r) > 0;
  }

  private show(r: number): void {
    if (this.orderLen === this.order.length) this.order = grow(this.order, Math.max(INITIAL, Math.ceil(this.order.length * 1.5)));
    this.shownAt[r] = this.orderLen;
    this.order[this.orderLen++] = r;
    if (!this.paused) this.visible = this.orderLen;
  }

  // ------------------------------------------------------------ view

  setShowFlowRows(on: boolean): void {
    if (on === this.showFlowRows) return;
    this.showFlowRows = on;
    this.rebuildOrder();
  }

  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.visible = this.orderLen;
  }

  clear(): void {
    const show = this.showFlowRows;
    const paused = this.paused;
    Object.assign(this, new AggregateStore({ maxRows: this.maxRows }));
    this.showFlowRows = show;
    this.paused = paused;
  }

  /** The row index shown at a view position (0 = top, newest), or -1. */
  rowIndexAt(viewIndex: number): number {
    if (viewIndex < 0 || viewIndex >= this.visible) return -1;
    return this.order[this.visible - 1 - viewIndex];
  }

  rowAt(viewIndex: number): AggregateRow | null {
    return this.row(this.rowIndexAt(viewIndex));
  }

  row(r: number): AggregateRow | null {
    if (r < 0 || r >= this.n) return null;
    const s = (id: number): string => this.strings.value(id) ?? '';
    const addrs = (set: Set<number> | undefined, first: number): string[] => (set ? [...set] : [first]).map(s).filter((x) => x !== '');
    const ports = (set: Set<number> | undefined, first: number): number[] => (set ? [...set] : [first]).filter((p) => p >= 0);
    const isFlow = this.rowKind[r] === 0;
    const tied: TiedEvent[] = [];
    for (const a of this.addressesOf(r)) for (const t of this.addrEvents.get(a)?.recent ?? []) tied.push(t);
    tied.sort((a, b) => b.ts - a.ts);
    return {
      index: r,
      rowKind: isFlow ? 'flow' : 'event',
      kind: s(this.kind[r]),
      sensor: s(this.sensor[r]),
      firstTs: this.first[r],
      lastTs: this.last[r],
      rank: this.rank[r],
      bytes: this.bytes[r],
      packets: this.packets[r],
      flows: this.flows[r],
      logs: this.logs[r],
      events: isFlow ? this.tiedCount(r) : this.events[r],
      servers: addrs(this.serverSets.get(r), this.server[r]),
      clients: addrs(this.clientSets.get(r), this.client[r]),
      serverPorts: ports(this.sportSets.get(r), this.sport[r]),
      clientPorts: ports(this.cportSets.get(r), this.cport[r]),
      proto: this.proto[r] < 0 ? null : this.proto[r],
      sid: this.sid[r] < 0 ? null : this.sid[r],
      message: s(this.message[r]),
      flowIds: [...(this.flowRefs.get(r) ?? [])],
      tied: isFlow ? tied.slice(0, MAX_TIED_PER_ADDRESS) : tied.filter((t) => t.kind !== s(this.kind[r]) || t.message !== s(this.message[r])).slice(0, MAX_TIED_PER_ADDRESS),
    };
  }

  /** Distinct values a row covers, by field, for the "N servers" popup. */
  list(r: number, field: ListField): string[] {
    const row = this.row(r);
    if (!row) return [];
    const v = row[field];
    return (v as (string | number)[]).map(String).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  }

  // ------------------------------------------------------------ internals

  private growTo(cap: number): void {
    this.rowKind = grow(this.rowKind, cap);
    this.kind = grow(this.kind, cap);
    this.sensor = grow(this.sensor, cap);
    this.proto = grow(this.proto, cap);
    this.first = grow(this.first, cap);
    this.last = grow(this.last, cap);
    this.bytes = grow(this.bytes, cap);
    this.packets = grow(this.packets, cap);
    this.flows = grow(this.flows, cap);
    this.logs = grow(this.logs, cap);
    this.events = grow(this.events, cap);
    this.rank = grow(this.rank, cap);
    this.client = grow(this.client, cap);
    this.server = grow(this.server, cap);
    this.sport = grow(this.sport, cap);
    this.cport = grow(this.cport, cap);
    this.sid = grow(this.sid, cap);
    this.message = grow(this.message, cap);
    this.shownAt = grow(this.shownAt, cap);
    this.cap = cap;
  }

  private rebuildOrder(): void {
    this.order = new Int32Array(Math.max(INITIAL, this.cap));
    this.orderLen = 0;
    for (let r = 0; r < this.n; r++) {
      if (this.isShown(r)) {
        this.shownAt[r] = this.orderLen;
        this.order[this.orderLen++] = r;
      } else this.shownAt[r] = -1;
    }
    this.visible = this.orderLen;
  }

  /**
   * Drops the k oldest rows (created first) by rebuilding the row indexes: O(rows), once per
   * tenth of the cap, so a long live session stays bounded.
   */
  private dropOldest(k: number): void {
    if (k <= 0) return;
    const cols: (keyof this)[] = ['rowKind', 'kind', 'sensor', 'proto', 'first', 'last', 'bytes', 'packets', 'flows', 'logs', 'events', 'rank', 'client', 'server', 'sport', 'cport', 'sid', 'message', 'shownAt'] as (keyof this)[];
    for (const c of cols) (this[c] as unknown as Arr).copyWithin(0, k, this.n);
    this.n -= k;
    this.keys = this.keys.slice(k);
    this.byKey.clear();
    this.keys.forEach((key, i) => this.byKey.set(key, i));
    const shiftMap = <V>(m: Map<number, V>): void => {
      const entries = [...m].filter(([r]) => r >= k);
      m.clear();
      for (const [r, v] of entries) m.set(r - k, v);
    };
    shiftMap(this.serverSets);
    shiftMap(this.clientSets);
    shiftMap(this.sportSets);
    shiftMap(this.cportSets);
    shiftMap(this.flowRefs);
    shiftMap(this.flowTied);
    for (const [fk, r] of [...this.flowRow]) {
      if (r < k) {
        this.flowRow.delete(fk);
        this.flowTotals.delete(fk);
      } else this.flowRow.set(fk, r - k);
    }
    for (const [a, rows] of [...this.addrRows]) {
      const kept = rows.filter((r) => r >= k).map((r) => r - k);
      if (kept.length) this.addrRows.set(a, kept);
      else this.addrRows.delete(a);
    }
    this.dropped += k;
    const visibleBefore = this.visible;
    const held = this.orderLen - visibleBefore;
    this.rebuildOrder();
    if (this.paused) this.visible = Math.max(0, this.orderLen - held);
  }
}
