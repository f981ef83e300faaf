/**
 * Flows across live segments. Each live segment has its own flow table, so a connection that
 * outlives a rotation is stored as one piece per segment. The query side links the pieces back
 * into one flow: a piece continues the latest earlier-segment piece with the same flow key
 * (VLANs, IP version, protocol, both endpoints in either orientation) when the flow table of a
 * single capture would have kept them as one flow: the gap between them is within the flow
 * table's idle timeout (TCP 900 s, others 120 s), and it is not a TCP connection reopened (a SYN
 * in the later piece after FIN or RST in the earlier one).
 *
 * Built in one pass over the segments' flow records (typed arrays, a hash map holding only the
 * latest piece per key, pruned of pieces past the idle timeout), per query; Store keeps the last
 * result while the same index snapshots are in use, and the state before the last segment, so
 * a new snapshot of the open segment is linked by a pass over that segment alone.
 *
 * An imported capture indexed in parts (an import bounded in memory, node/store/build-index.ts)
 * is linked the same way but exactly: each part lists which of its flows continue which flow of
 * an earlier part (the import's flow table decided it), and those links are taken as they are.
 * Imported captures are never linked to each other: each import is a capture of its own.
 */
import { FLOW_RECORD_SIZE } from '../../common/index/index-format.js';
import type { FlowRecord, IndexView } from '../../common/index/index-reader.js';

/** Idle timeouts of the flow table (common/flow/flow-table.ts defaults). */
export const TCP_IDLE_SEC = 900;
export const OTHER_IDLE_SEC = 120;

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;

/** A piece: file number (index into the files given to build) and flow number. */
export type PieceRef = number;
const SCALE = 2 ** 32;
export const pieceRef = (file: number, flow: number): PieceRef => file * SCALE + flow;
export const refFile = (r: PieceRef): number => Math.floor(r / SCALE);
export const refFlow = (r: PieceRef): number => r % SCALE;

export interface ChainInput {
  /** A live segment's index (its flows are linked by key and time); imported captures need none. */
  view?: IndexView;
  flowCount: number;
  /** The index's Continuations section (IndexView.continuations); empty for segments. */
  continuations: Uint32Array;
  /** Live segment (linked) or imported capture (never linked, but for its index parts). */
  segment: boolean;
  /** Imported captures: the capture's id and this index part's number (0 when indexed whole). */
  capture?: string;
  part?: number;
}

function idleOf(proto: number): number {
  return proto === 6 ? TCP_IDLE_SEC : OTHER_IDLE_SEC;
}

/** FNV-1a over `len` bytes of b from `at`, continuing from h. */
function fnv(b: Uint8Array, at: number, len: number, h: number): number {
  for (let k = at; k < at + len; k++) h = Math.imul(h ^ b[k], 0x01000193);
  return h >>> 0;
}

/** A direction-free hash of flow i's key (the two endpoints combined commutatively). */
function keyHash(b: Uint8Array, i: number): number {
  const at = i * FLOW_RECORD_SIZE;
  // client address + port, server address + port
  const a = fnv(b, at + 48, 2, fnv(b, at + 16, 16, 0x811c9dc5));
  const z = fnv(b, at + 50, 2, fnv(b, at + 32, 16, 0x811c9dc5));
  // ip version, protocol, both VLANs
  return fnv(b, at + 8, 4, fnv(b, at + 1, 2, (a + z) >>> 0));
}

function bytesEqual(a: Uint8Array, ai: number, b: Uint8Array, bi: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (a[ai + k] !== b[bi + k]) return false;
  return true;
}

/** Same flow key, in the same or the opposite orientation. */
function sameKey(a: Uint8Array, i: number, b: Uint8Array, j: number): boolean {
  const x = i * FLOW_RECORD_SIZE;
  const y = j * FLOW_RECORD_SIZE;
  if (a[x] !== b[y] || a[x + 1] !== b[y + 1] || a[x + 2] !== b[y + 2]) return false;
  if (!bytesEqual(a, x + 8, b, y + 8, 4)) return false;
  // client(16) server(32) ports(48: client, 50: server)
  if (bytesEqual(a, x + 16, b, y + 16, 32) && bytesEqual(a, x + 48, b, y + 48, 4)) return true;
  return bytesEqual(a, x + 16, b, y + 32, 16) && bytesEqual(a, x + 32, b, y + 16, 16) && bytesEqual(a, x + 48, b, y + 50, 2) && bytesEqual(a, x + 50, b, y + 48, 2);
}

/** Whether piece j (later segment) continues piece i (earlier segment), keys already equal. */
function continues(pv: IndexView, i: number, nv: IndexView, j: number): boolean {
  const proto = pv.flowSection[i * FLOW_RECORD_SIZE + 2];
  const gap = nv.firstSec(j) - pv.lastSec(i) + (nv.firstNsec(j) - pv.lastNsec(i)) / 1e9;
  if (gap > idleOf(proto)) return false;
  if (proto === 6) {
    const pf = pv.flowSection[i * FLOW_RECORD_SIZE + 4];
    const nf = nv.flowSection[j * FLOW_RECORD_SIZE + 4];
    if ((pf & (TCP_FIN | TCP_RST)) !== 0 && (nf & TCP_SYN) !== 0) return false;
  }
  return true;
}

/**
 * A file's links: flow number → the linked piece. Sparse: only flows continued across a
 * segment rotation or an index part boundary have one, so memory follows the links, not the flows.
 */
type Links = Map<number, PieceRef>;

export class FlowChains {
  /** Per file: the previous and next piece of its linked flows, only for files with links. */
  private readonly prev: (Links | null)[];
  private readonly next: (Links | null)[];
  /** Pieces that continue an earlier one (so: flows counted twice when pieces are summed). */
  readonly continuations: number;

  private constructor(prev: (Links | null)[], next: (Links | null)[], continuations: number) {
    this.prev = prev;
    this.next = next;
    this.continuations = continuations;
  }

  /** For ChainBuilder. */
  static of(prev: (Links | null)[], next: (Links | null)[], continuations: number): FlowChains {
    return new FlowChains(prev, next, continuations);
  }

  /** Links the pieces of files (segments in creation order; imported captures are skipped). */
  static build(files: readonly ChainInput[]): FlowChains {
    const b = new ChainBuilder(files);
    for (let f = 0; f < files.length; f++) b.add(f);
    return b.finish();
  }

  /**
   * As build, and the state before the last file, to resume from when only the last file
   * changes (a live writer replaces the open segment's snapshot every flush; the segments
   * before it stay the same objects): see resume.
   */
  static buildResumable(files: readonly ChainInput[]): { chains: FlowChains; beforeLast: ChainBuilder } {
    const b = new ChainBuilder(files);
    for (let f = 0; f < files.length - 1; f++) b.add(f);
    const beforeLast = b.fork(files);
    b.add(files.length - 1);
    return { chains: b.finish(), beforeLast };
  }

  /** Links `files`, whose all but the last are the files `beforeLast` has seen. */
  static resume(beforeLast: ChainBuilder, files: readonly ChainInput[]): FlowChains {
    const b = beforeLast.fork(files);
    b.add(files.length - 1);
    return b.finish();
  }

  /** Whether file f has any piece linked to another segment. */
  linked(f: number): boolean {
    return this.prev[f] !== null || this.next[f] !== null;
  }

  /** The first piece of the flow that piece (f, i) belongs to. */
  head(f: number, i: number): PieceRef {
    let r = pieceRef(f, i);
    for (;;) {
      const p = this.prev[refFile(r)]?.get(refFlow(r)) ?? -1;
      if (p < 0) return r;
      r = p;
    }
  }

  /** Whether piece (f, i) is linked to another piece. */
  isChained(f: number, i: number): boolean {
    return this.prev[f]?.has(i) === true || this.next[f]?.has(i) === true;
  }

  /** Every piece of the flow that starts at `head`, in order. */
  pieces(head: PieceRef): PieceRef[] {
    const out = [head];
    for (let r = head; ; ) {
      const n = this.next[refFile(r)]?.get(refFlow(r)) ?? -1;
      if (n < 0) return out;
      out.push(n);
      r = n;
    }
  }
}

const sameEndpoint = (a: FlowRecord, b: FlowRecord): boolean => a.clientPort === b.clientPort && bytesEqual(a.client, 0, b.client, 0, 16);

/**
 * The flow of several pieces as one record: the first piece's identity and orientation (client,
 * server), first time of the first piece, last time of the latest, packets and bytes summed per
 * side (a later piece whose own orientation is reversed is counted the other way round), TCP
 * flags and fragment attribution OR-ed. Offsets stay the first piece's: read packets through
 * the pieces (FoundFlow.pieces), never through this record's offsets.
 */
export function mergePieceRecords(pieces: readonly FlowRecord[]): FlowRecord {
  const head = pieces[0];
  const m: FlowRecord = { ...head };
  for (let k = 1; k < pieces.length; k++) {
    const p = pieces[k];
    const same = sameEndpoint(head, p);
    m.clientPackets += same ? p.clientPackets : p.serverPackets;
    m.serverPackets += same ? p.serverPackets : p.clientPackets;
    m.clientBytes += same ? p.clientBytes : p.serverBytes;
    m.serverBytes += same ? p.serverBytes : p.clientBytes;
    m.tcpFlags |= p.tcpFlags;
    m.fragmented ||= p.fragmented;
    if (p.firstSec < m.firstSec || (p.firstSec === m.firstSec && p.firstNsec < m.firstNsec)) {
      m.firstSec = p.firstSec;
      m.firstNsec = p.firstNsec;
    }
    if (p.lastSec > m.lastSec || (p.lastSec === m.lastSec && p.lastNsec > m.lastNsec)) {
      m.lastSec = p.lastSec;
      m.lastNsec = p.lastNsec;
    }
  }
  return m;
}

function segmentView(x: ChainInput): IndexView {
  if (!x.view) throw new Error('a live segment needs its index view to be linked');
  return x.view;
}

/**
 * The linking pass, one file at a time (see FlowChains.build). fork() copies the state so a
 * later file can be added to a copy: the map of latest pieces and the previous/next arrays are
 * copied (link maps copy-on-write: only those the new file's links write to).
 */
export class ChainBuilder {
  private links = 0;

  constructor(
    private files: readonly ChainInput[],
    private readonly prev: (Links | null)[] = files.map(() => null),
    private readonly next: (Links | null)[] = files.map(() => null),
    private readonly latest = new Map<number, PieceRef[]>(),
    /** Arrays this builder may write to (the others are shared with the builder it was forked from). */
    private readonly owned = new Set<Links>(),
  ) {}

  /** A copy of this state for files (the same files, plus at most more after them). */
  fork(files: readonly ChainInput[]): ChainBuilder {
    // from now on both share the arrays: each copies one before writing to it
    this.owned.clear();
    const latest = new Map<number, PieceRef[]>();
    for (const [h, l] of this.latest) latest.set(h, l.slice());
    const pad = (a: (Links | null)[]) => [...a, ...new Array<null>(Math.max(0, files.length - a.length)).fill(null)];
    const b = new ChainBuilder(files, pad(this.prev), pad(this.next), latest);
    b.links = this.links;
    return b;
  }

  /** The array of file f in a (created, or copied when shared), to write to. */
  private writable(a: (Links | null)[], f: number): Links {
    let x = a[f];
    if (!x) x = new Map();
    else if (!this.owned.has(x)) x = new Map(x);
    this.owned.add(x);
    a[f] = x;
    return x;
  }

  add(f: number): void {
    const files = this.files;
    // (an empty store: buildResumable has no last file)
    if (f < 0 || f >= files.length) return;
    if (!files[f].segment) {
      this.addPartLinks(f);
      return;
    }
    const view = segmentView(files[f]);
    const b = view.flowSection;
    const n = view.flowCount;
    if (n === 0) return;
    const latest = this.latest;
    // forget pieces no later flow can continue: quiet for longer than the longest idle timeout
    let minFirst = Infinity;
    for (let j = 0; j < n; j++) minFirst = Math.min(minFirst, view.firstSec(j));
    for (const [h, list] of latest) {
      const kept = list.filter((r) => segmentView(files[refFile(r)]).lastSec(refFlow(r)) >= minFirst - TCP_IDLE_SEC - 1);
      if (kept.length === 0) latest.delete(h);
      else if (kept.length !== list.length) latest.set(h, kept);
    }
    for (let j = 0; j < n; j++) {
      if (b[j * FLOW_RECORD_SIZE] !== 0) continue; // IP flows only: other kinds have no endpoints
      const h = keyHash(b, j);
      const me = pieceRef(f, j);
      const list = latest.get(h);
      if (!list) {
        latest.set(h, [me]);
        continue;
      }
      let found = false;
      for (let k = 0; k < list.length; k++) {
        const r = list[k];
        const pf = refFile(r);
        const pi = refFlow(r);
        const pv = segmentView(files[pf]);
        if (!sameKey(pv.flowSection, pi, b, j)) continue;
        found = true;
        // the same key again within one segment: that segment's table decided it is a new flow
        if (pf !== f && continues(pv, pi, view, j)) {
          this.writable(this.next, pf).set(pi, me);
          this.writable(this.prev, f).set(j, r);
          this.links++;
        }
        list[k] = me;
        break;
      }
      if (!found) list.push(me);
    }
  }

  /** An index part's own links to the flows of earlier parts of its capture (see ChainInput). */
  private addPartLinks(f: number): void {
    const files = this.files;
    const me = files[f];
    const cont = me.continuations;
    if (cont.length === 0 || me.capture === undefined) return;
    const partAt = (part: number): number => {
      // parts are listed in order; an unusable one is missing, so search back from f
      for (let g = f - 1; g >= 0; g--) {
        const x = files[g];
        if (x.capture === me.capture && !x.segment && x.part === part) return g;
        if (x.capture !== me.capture) break;
      }
      return -1;
    };
    for (let k = 0; k < cont.length; k += 3) {
      const j = cont[k];
      const pf = partAt(cont[k + 1]);
      const pi = cont[k + 2];
      if (pf < 0 || pi >= files[pf].flowCount) continue;
      // a flow continues at most once (the import links each flow forward once)
      if (this.next[pf]?.has(pi)) continue;
      this.writable(this.next, pf).set(pi, pieceRef(f, j));
      this.writable(this.prev, f).set(j, pieceRef(pf, pi));
      this.links++;
    }
  }

  finish(): FlowChains {
    return FlowChains.of(this.prev.slice(0, this.files.length), this.next.slice(0, this.files.length), this.links);
  }
}
