/**
 * The flows grid's rows, for up to a million or so flows: one typed array per field (about 140
 * bytes a row, where FlowRow objects would take several hundred), repeated strings interned, and
 * no per-row object until a row is drawn or opened.
 *
 * Rows live in slots, appended in arrival order (a search's results oldest first, then live
 * flows), so the newest row is the last slot and the grid shows slots from the end: view index 0
 * is the top. `order` lists the slots that pass the exclusions. Pausing freezes how many of them
 * are shown (`visibleLen`); later rows are held back and counted, and updates to shown rows are
 * queued, until resume. A cap on rows drops the oldest in bulk so memory stays bounded.
 */
import type { FlowRow } from '../../../common/bridge/messages.js';
import { PACKED_CID_BYTES, packCommunityId, unpackCommunityId } from './community-id-pack.js';
import { Interner } from './interner.js';

/** A row as the grid, the menus and the detail pane see it (rank and classes from the back end's ranking). */
export interface GridRow extends FlowRow {
  slot: number;
}

export type ExclusionField = 'ip' | 'port' | 'proto';
export interface Exclusion {
  field: ExclusionField;
  value: string | number;
}

const KINDS = ['ip', 'non-ip', 'undecoded', 'malformed'] as const;
/** Joins a row's class labels into one interned string (class names cannot hold control characters). */
const LABEL_SEP = '\n';
const FLOW_ID_PREFIX = /^[0-9A-Za-z]{1,40}$/;
const INITIAL_CAPACITY = 1024;

type NumArray = Float64Array | Uint32Array | Int32Array | Int16Array | Uint8Array | Int8Array;

function grown<A extends NumArray>(a: A, capacity: number): A {
  const Ctor = a.constructor as new (n: number) => A;
  const b = new Ctor(capacity);
  b.set(a);
  return b;
}

/** "1362692526.869344000" as whole seconds and nanoseconds. */
export function splitTs(ts: string): [number, number] {
  const dot = ts.indexOf('.');
  if (dot < 0) return [Number(ts), 0];
  // Digit by digit: this runs twice per row on every insert.
  let nsec = 0;
  for (let i = 1; i <= 9; i++) {
    const c = dot + i < ts.length ? ts.charCodeAt(dot + i) - 48 : 0;
    nsec = nsec * 10 + (c >= 0 && c <= 9 ? c : 0);
  }
  return [Number(ts.slice(0, dot)), nsec];
}

/** "<capture>-<n>" split into prefix and n, or null for any other form of flow id. */
function parseFlowId(id: string): { prefix: string; n: number } | null {
  const dash = id.lastIndexOf('-');
  if (dash < 1 || dash > 40 || id.length - dash - 1 < 1 || id.length - dash - 1 > 9) return null;
  let n = 0;
  for (let i = dash + 1; i < id.length; i++) {
    const c = id.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    n = n * 10 + c;
  }
  const prefix = id.slice(0, dash);
  if (prefix === lastGoodPrefix) return { prefix, n };
  if (!FLOW_ID_PREFIX.test(prefix)) return null;
  lastGoodPrefix = prefix;
  return { prefix, n };
}

/** The last prefix that passed FLOW_ID_PREFIX (rows arrive in runs from one capture). */
let lastGoodPrefix = '';

function joinTs(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

function nullable(v: number): number | null {
  return v < 0 ? null : v;
}

interface Columns {
  firstSec: Float64Array;
  firstNsec: Uint32Array;
  lastSec: Float64Array;
  lastNsec: Uint32Array;
  bytes: Float64Array;
  packets: Float64Array;
  clientBytes: Float64Array;
  clientPackets: Float64Array;
  clientIp: Uint32Array;
  serverIp: Uint32Array;
  clientPort: Int32Array;
  serverPort: Int32Array;
  proto: Int16Array;
  kind: Uint8Array;
  /** −100…100 (common/ranking/). */
  rank: Int8Array;
  /** Interned class labels (LABEL_SEP-joined), 0 for none. */
  classes: Uint32Array;
  /** Interned "sensor\0id-prefix" of the flow id. */
  idPair: Uint32Array;
  /** Numeric suffix of the flow id, or -1 when the id is kept whole in idFallback. */
  idNum: Float64Array;
  vlan: Int32Array;
  tcpFlags: Int16Array;
  icmpType: Int16Array;
  icmpCode: Int16Array;
  l2Type: Int32Array;
  fragmented: Uint8Array;
  note: Uint32Array;
  /** Correlated log messages (FlowRow.log_count), -1 when the sensor did not count them. */
  logCount: Int32Array;
  /** 0 no Community ID, 1 packed in cid, 2 kept whole in cidFallback. */
  cidState: Uint8Array;
  /** Position of each slot in `order`, or -1 when excluded. */
  posOf: Int32Array;
}

type ColumnKey = keyof Columns;
const COLUMN_KEYS = Object.keys(allocColumns(0)) as ColumnKey[];

function allocColumns(n: number): Columns {
  return {
    firstSec: new Float64Array(n),
    firstNsec: new Uint32Array(n),
    lastSec: new Float64Array(n),
    lastNsec: new Uint32Array(n),
    bytes: new Float64Array(n),
    packets: new Float64Array(n),
    clientBytes: new Float64Array(n),
    clientPackets: new Float64Array(n),
    clientIp: new Uint32Array(n),
    serverIp: new Uint32Array(n),
    clientPort: new Int32Array(n),
    serverPort: new Int32Array(n),
    proto: new Int16Array(n),
    kind: new Uint8Array(n),
    rank: new Int8Array(n),
    classes: new Uint32Array(n),
    idPair: new Uint32Array(n),
    idNum: new Float64Array(n),
    vlan: new Int32Array(n),
    tcpFlags: new Int16Array(n),
    icmpType: new Int16Array(n),
    icmpCode: new Int16Array(n),
    l2Type: new Int32Array(n),
    fragmented: new Uint8Array(n),
    note: new Uint32Array(n),
    logCount: new Int32Array(n),
    cidState: new Uint8Array(n),
    posOf: new Int32Array(n),
  };
}

export interface RowStoreOptions {
  /** Rows kept at most; above it the oldest 10% are dropped at once. */
  maxRows?: number;
}

export class RowStore {
  readonly maxRows: number;
  private capacity = 0;
  private count = 0;

  /** One typed array per field, one entry per slot. */
  private c: Columns = allocColumns(0);
  /** 20 bytes per slot: the packed Community ID. */
  private cid = new Uint8Array(0);

  private readonly idFallback = new Map<number, string>();
  private readonly cidFallback = new Map<number, string>();
  private readonly ips = new Interner();
  private readonly sensors = new Interner();
  private readonly notes = new Interner();
  private readonly labels = new Interner();
  private readonly pairs = new Interner();
  private pairSensor: number[] = [0];
  private pairPrefix: string[] = [''];
  /** Per sensor+prefix pair: n → slot, for ids of the usual "<capture>-<n>" form (small-integer keys are fast). */
  private byPair: Map<number, number>[] = [];
  /** The last pair looked up: consecutive rows nearly always share it. */
  private lastPair = { sensor: '', prefix: '', id: -1 };
  private readonly stringKeys = new Map<string, number>();

  // ---- what is shown ----
  private order = new Int32Array(0);
  private orderLen = 0;
  private visible = 0;
  /** Slots at or above this are held back (paused); Infinity when live. */
  private heldFrom = Infinity;
  private readonly queuedUpdates = new Map<number, { flow: FlowRow; rank: number | null }>();
  private excludedIps = new Set<number>();
  private excludedPorts = new Set<number>();
  private excludedProtos = new Set<number>();

  /** How many times the columns were reallocated (growth is geometric: O(log n)). */
  reallocations = 0;
  /** Rows dropped by the row cap since the last clear. */
  dropped = 0;

  constructor(opts: RowStoreOptions = {}) {
    this.maxRows = opts.maxRows ?? 1_200_000;
  }

  // ---------------------------------------------------------------- sizes

  /** Rows held in memory (shown, held back or excluded). */
  get size(): number {
    return this.count;
  }
  /** Rows the grid shows. */
  get visibleCount(): number {
    return this.visible;
  }
  /** Rows that arrived while paused and are not shown yet. */
  get pendingNew(): number {
    return this.orderLen - this.visible;
  }
  /** Shown rows with an update waiting for resume. */
  get pendingUpdates(): number {
    return this.queuedUpdates.size;
  }
  get paused(): boolean {
    return this.heldFrom !== Infinity;
  }

  /** Memory the columns use per row (for tests and the status line). */
  static bytesPerRow(): number {
    return 8 * 8 + 4 * 2 + 4 * 6 + 2 * 4 + 1 * 4 + 4 * 2 + PACKED_CID_BYTES + 1 + 4;
  }

  // ---------------------------------------------------------------- writing

  clear(): void {
    this.count = 0;
    this.capacity = 0;
    this.c = allocColumns(0);
    this.cid = new Uint8Array(0);
    this.order = new Int32Array(0);
    this.orderLen = 0;
    this.visible = 0;
    this.idFallback.clear();
    this.cidFallback.clear();
    this.byPair = [];
    this.stringKeys.clear();
    this.queuedUpdates.clear();
    this.dropped = 0;
    if (this.paused) this.heldFrom = 0;
  }

  /**
   * Adds rows from a search, in any order: they are placed oldest first so the newest is on top.
   * Rows already present (same sensor and id) are updated instead.
   */
  addResults(rows: readonly FlowRow[]): void {
    const keyed = rows.map((r, i) => {
      const [s, n] = splitTs(r.first_ts);
      return { i, s, n };
    });
    keyed.sort((a, b) => a.s - b.s || a.n - b.n || a.i - b.i);
    const pausedBefore = this.paused;
    for (const k of keyed) this.upsert(rows[k.i], null);
    // Search results are what the analyst asked for: show them even when live updates are paused.
    if (pausedBefore) this.heldFrom = this.count;
    this.visible = this.countVisible();
  }

  /**
   * Adds or updates one flow (a live event). Returns the slot. rank, when given, is the event's
   * rank (it wins over the row's own); otherwise the row's rank counts.
   */
  upsert(flow: FlowRow, rank: number | null = null): number {
    const slot = this.find(flow.sensor, flow.id);
    if (slot >= 0) {
      if (slot < this.heldFrom && this.c.posOf[slot] >= 0) {
        this.queuedUpdates.set(slot, { flow, rank });
        if (!this.paused) this.applyQueued();
      } else this.write(slot, flow, rank);
      return slot;
    }
    if (this.count >= this.maxRows) this.dropOldest(this.count - Math.floor(this.maxRows * 0.9));
    if (this.count === this.capacity) this.grow();
    const s = this.count++;
    this.write(s, flow, rank);
    this.index(s, flow.sensor, flow.id);
    if (this.isExcluded(s)) this.c.posOf[s] = -1;
    else {
      if (this.orderLen === this.order.length) this.order = grown(this.order, Math.max(INITIAL_CAPACITY, Math.ceil(this.order.length * 1.5)));
      this.c.posOf[s] = this.orderLen;
      this.order[this.orderLen++] = s;
      if (s < this.heldFrom) this.visible++;
    }
    return s;
  }

  // ---------------------------------------------------------------- pause

  pause(): void {
    if (!this.paused) this.heldFrom = this.count;
  }

  resume(): void {
    this.heldFrom = Infinity;
    this.visible = this.orderLen;
    this.applyQueued();
  }

  // ---------------------------------------------------------------- exclusions

  setExclusions(list: readonly Exclusion[]): void {
    this.excludedIps = new Set(list.filter((e) => e.field === 'ip').map((e) => this.ips.id(String(e.value))));
    this.excludedPorts = new Set(list.filter((e) => e.field === 'port').map((e) => Number(e.value)));
    this.excludedProtos = new Set(list.filter((e) => e.field === 'proto').map((e) => Number(e.value)));
    this.rebuildOrder();
  }

  // ---------------------------------------------------------------- reading

  /** The slot shown at a view index (0 = top), or -1. */
  slotAt(viewIndex: number): number {
    if (viewIndex < 0 || viewIndex >= this.visible) return -1;
    return this.order[this.visible - 1 - viewIndex];
  }

  /** The view index of a slot, or -1 when it is not shown. */
  viewIndexOf(slot: number): number {
    if (slot < 0 || slot >= this.count) return -1;
    const pos = this.c.posOf[slot];
    return pos < 0 || pos >= this.visible ? -1 : this.visible - 1 - pos;
  }

  find(sensor: string, id: string): number {
    const parsed = parseFlowId(id);
    if (!parsed) return this.stringKeys.get(`${sensor}\u0000${id}`) ?? -1;
    const pair = this.pairId(sensor, parsed.prefix, false);
    return pair < 0 ? -1 : (this.byPair[pair]?.get(parsed.n) ?? -1);
  }

  /** The row in a slot as a fresh object (only for rows being drawn or opened). */
  row(slot: number): GridRow | null {
    if (slot < 0 || slot >= this.count) return null;
    const pair = this.c.idPair[slot];
    const num = this.c.idNum[slot];
    const cs = this.c.cidState[slot];
    const bytes = this.c.bytes[slot];
    const packets = this.c.packets[slot];
    const labels = this.labels.value(this.c.classes[slot]);
    return {
      slot,
      rank: this.c.rank[slot],
      classes: labels === null ? [] : labels.split(LABEL_SEP),
      id: num < 0 ? (this.idFallback.get(slot) ?? '') : `${this.pairPrefix[pair]}-${num}`,
      sensor: this.sensors.value(this.pairSensor[pair]) ?? '',
      kind: KINDS[this.c.kind[slot]] ?? 'malformed',
      proto: nullable(this.c.proto[slot]),
      client_ip: this.ips.value(this.c.clientIp[slot]),
      client_port: nullable(this.c.clientPort[slot]),
      server_ip: this.ips.value(this.c.serverIp[slot]),
      server_port: nullable(this.c.serverPort[slot]),
      first_ts: joinTs(this.c.firstSec[slot], this.c.firstNsec[slot]),
      last_ts: joinTs(this.c.lastSec[slot], this.c.lastNsec[slot]),
      packets,
      bytes,
      client_packets: this.c.clientPackets[slot],
      client_bytes: this.c.clientBytes[slot],
      server_packets: packets - this.c.clientPackets[slot],
      server_bytes: bytes - this.c.clientBytes[slot],
      community_id: cs === 0 ? null : cs === 1 ? unpackCommunityId(this.cid, slot * PACKED_CID_BYTES) : (this.cidFallback.get(slot) ?? null),
      vlan: nullable(this.c.vlan[slot]),
      tcp_flags: nullable(this.c.tcpFlags[slot]),
      icmp_type: nullable(this.c.icmpType[slot]),
      icmp_code: nullable(this.c.icmpCode[slot]),
      l2_type: nullable(this.c.l2Type[slot]),
      fragmented: this.c.fragmented[slot] === 1,
      note: this.notes.value(this.c.note[slot]),
      ...(this.c.logCount[slot] >= 0 ? { log_count: this.c.logCount[slot] } : {}),
    };
  }

  /** The row at a view index, or null. */
  rowAt(viewIndex: number): GridRow | null {
    return this.row(this.slotAt(viewIndex));
  }

  // ---------------------------------------------------------------- internals

  private grow(): void {
    const cap = Math.max(INITIAL_CAPACITY, Math.ceil(this.capacity * 1.5));
    const cols = this.c as unknown as Record<ColumnKey, NumArray>;
    for (const k of COLUMN_KEYS) cols[k] = grown(cols[k], cap);
    this.cid = grown(this.cid, cap * PACKED_CID_BYTES);
    this.capacity = cap;
    this.reallocations++;
  }

  private write(s: number, f: FlowRow, rank: number | null): void {
    const [fs, fn] = splitTs(f.first_ts);
    const [ls, ln] = splitTs(f.last_ts);
    this.c.firstSec[s] = fs;
    this.c.firstNsec[s] = fn;
    this.c.lastSec[s] = ls;
    this.c.lastNsec[s] = ln;
    this.c.bytes[s] = f.bytes;
    this.c.packets[s] = f.packets;
    this.c.clientBytes[s] = f.client_bytes;
    this.c.clientPackets[s] = f.client_packets;
    this.c.clientIp[s] = this.ips.id(f.client_ip);
    this.c.serverIp[s] = this.ips.id(f.server_ip);
    this.c.clientPort[s] = f.client_port ?? -1;
    this.c.serverPort[s] = f.server_port ?? -1;
    this.c.proto[s] = f.proto ?? -1;
    this.c.kind[s] = Math.max(0, KINDS.indexOf(f.kind));
    this.c.rank[s] = Math.max(-100, Math.min(100, rank ?? f.rank));
    this.c.classes[s] = f.classes.length ? this.labels.id(f.classes.join(LABEL_SEP)) : 0;
    this.c.vlan[s] = f.vlan ?? -1;
    this.c.tcpFlags[s] = f.tcp_flags ?? -1;
    this.c.icmpType[s] = f.icmp_type ?? -1;
    this.c.icmpCode[s] = f.icmp_code ?? -1;
    this.c.l2Type[s] = f.l2_type ?? -1;
    this.c.fragmented[s] = f.fragmented ? 1 : 0;
    this.c.note[s] = this.notes.id(f.note);
    this.c.logCount[s] = f.log_count ?? -1;
    this.cidFallback.delete(s);
    if (f.community_id === null) this.c.cidState[s] = 0;
    else if (packCommunityId(f.community_id, this.cid, s * PACKED_CID_BYTES)) this.c.cidState[s] = 1;
    else {
      this.c.cidState[s] = 2;
      this.cidFallback.set(s, f.community_id);
    }
  }

  /** Records the slot's identity (sensor + id) for lookups and for row(). */
  private index(s: number, sensor: string, id: string): void {
    const parsed = parseFlowId(id);
    const pair = this.pairId(sensor, parsed ? parsed.prefix : '', true);
    this.c.idPair[s] = pair;
    if (parsed) {
      this.c.idNum[s] = parsed.n;
      (this.byPair[pair] ??= new Map()).set(parsed.n, s);
    } else {
      this.c.idNum[s] = -1;
      this.idFallback.set(s, id);
      this.stringKeys.set(`${sensor}\u0000${id}`, s);
    }
  }

  /** The id of a sensor+prefix pair; -1 when unknown and not created. */
  private pairId(sensor: string, prefix: string, create: boolean): number {
    const last = this.lastPair;
    if (last.id >= 0 && last.sensor === sensor && last.prefix === prefix) return last.id;
    const key = `${sensor}\u0000${prefix}`;
    let id = this.pairs.find(key);
    if (id < 0) {
      if (!create) return -1;
      id = this.pairs.id(key);
      this.pairSensor[id] = this.sensors.id(sensor);
      this.pairPrefix[id] = prefix;
    }
    this.lastPair = { sensor, prefix, id };
    return id;
  }

  private isExcluded(s: number): boolean {
    if (this.excludedIps.size && (this.excludedIps.has(this.c.clientIp[s]) || this.excludedIps.has(this.c.serverIp[s]))) return true;
    if (this.excludedPorts.size && (this.excludedPorts.has(this.c.clientPort[s]) || this.excludedPorts.has(this.c.serverPort[s]))) return true;
    return this.excludedProtos.size > 0 && this.excludedProtos.has(this.c.proto[s]);
  }

  private rebuildOrder(): void {
    if (this.order.length < this.count) this.order = new Int32Array(this.capacity);
    let n = 0;
    for (let s = 0; s < this.count; s++) {
      if (this.isExcluded(s)) this.c.posOf[s] = -1;
      else {
        this.c.posOf[s] = n;
        this.order[n++] = s;
      }
    }
    this.orderLen = n;
    this.visible = this.countVisible();
  }

  /** Entries of `order` below heldFrom: a prefix, since order is ascending. */
  private countVisible(): number {
    if (!this.paused) return this.orderLen;
    let lo = 0;
    let hi = this.orderLen;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.order[mid] < this.heldFrom) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private applyQueued(): void {
    for (const [slot, u] of this.queuedUpdates) this.write(slot, u.flow, u.rank);
    this.queuedUpdates.clear();
  }

  /** Drops the k oldest slots and renumbers the rest. O(rows), done once per 10% of the cap. */
  private dropOldest(k: number): void {
    if (k <= 0) return;
    const n = this.count;
    for (const key of COLUMN_KEYS) this.c[key].copyWithin(0, k, n);
    this.cid.copyWithin(0, k * PACKED_CID_BYTES, n * PACKED_CID_BYTES);
    this.count = n - k;
    const shift = <V>(m: Map<number, V>): void => {
      const entries = [...m].filter(([s]) => s >= k);
      m.clear();
      for (const [s, v] of entries) m.set(s - k, v);
    };
    shift(this.idFallback);
    shift(this.cidFallback);
    shift(this.queuedUpdates);
    this.byPair = [];
    this.stringKeys.clear();
    for (let s = 0; s < this.count; s++) {
      if (this.c.idNum[s] >= 0) (this.byPair[this.c.idPair[s]] ??= new Map()).set(this.c.idNum[s], s);
      else {
        const pair = this.c.idPair[s];
        this.stringKeys.set(`${this.sensors.value(this.pairSensor[pair]) ?? ''}\u0000${this.idFallback.get(s) ?? ''}`, s);
      }
    }
    if (this.paused) this.heldFrom = Math.max(0, this.heldFrom - k);
    this.dropped += k;
    this.rebuildOrder();
  }
}
